"""Parameter sweeps: Hydra multiruns gathered into one Dataset, and in-process grids.

* :mod:`.combine` stacks per-point Datasets into one with a dimension per swept key;
* :mod:`.grid` evaluates the config's ``grid`` section inside one process;
* :mod:`.gather` opens the jobs of a multirun folder and writes ``combined.nc``
  (``prrt-sim-gather <sweep_dir>``);
* :mod:`.callback` is the Hydra callback that gathers at the end of ``prrt-sim -m``;
* :mod:`.resume` writes a job's record ``done.json`` (sha256 of its outputs) and decides
  from it whether the job's folder is complete and can be kept.
"""
