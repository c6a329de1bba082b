"""Results: Dataset assembly with CF attrs, netCDF writing."""

from .dataset import to_dataset
from .io import open_results, write_netcdf

__all__ = ["open_results", "to_dataset", "write_netcdf"]
