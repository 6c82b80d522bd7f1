"""Planning library of the Digitales Stadtwerk Gera.

PV, building loads, dimmable street lighting, tariffs, batteries, dispatch
optimisation (Pyomo + HiGHS) and AC grid checks (pandapower) for a
municipal low-voltage district. Plain Python: no web framework, no database.
"""

from energy.errors import (
    EnergyError,
    InfeasibleError,
    InputDataError,
    PowerFlowError,
    SolverError,
)

__version__ = "0.1.0"

__all__ = [
    "EnergyError",
    "InfeasibleError",
    "InputDataError",
    "PowerFlowError",
    "SolverError",
    "__version__",
]
