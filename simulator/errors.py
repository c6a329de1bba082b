"""The one exception type users see for bad input."""


class ConfigError(ValueError):
    """An invalid configuration value, raised before any computation.

    The message names the field (dotted config path), the offending value and
    the allowed range or choices, so that it can be shown to a user as is.
    """


class SolverError(RuntimeError):
    """The ODE integrator failed for a valid configuration (e.g. too many steps)."""
