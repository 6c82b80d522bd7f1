"""Exception hierarchy of the energy library.

Every message names the field (or file and line), the offending value with its
unit, and what is allowed, so that the CLI and the API can show it to people
unchanged. The API maps :class:`InputDataError` to HTTP 422,
:class:`InfeasibleError` to a failed run with its diagnosis, and
:class:`SolverError` to HTTP 503.
"""

from __future__ import annotations


class EnergyError(Exception):
    """Base class of all errors raised by :mod:`energy`."""


class InputDataError(EnergyError, ValueError):
    """Input data (a spec, a weather or price file, a series) is invalid.

    Parameters
    ----------
    message
        For people: ``field: value ... is not allowed; allowed: ...``.
    field
        Optional path of the field (``runs``, ``options.days``), for machines.
    value
        Optional rejected value, for machines.
    """

    def __init__(self, message: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class InfeasibleError(EnergyError):
    """An optimisation problem has no feasible solution.

    Parameters
    ----------
    message
        Summary for people.
    diagnosis
        One sentence per problem found, each naming the limit, the time step
        and the amount by which it is exceeded.
    """

    def __init__(self, message: str, diagnosis: list[str] | None = None) -> None:
        self.diagnosis: list[str] = list(diagnosis or [])
        full = (
            message
            if not self.diagnosis
            else message + "\n" + "\n".join(f"- {line}" for line in self.diagnosis)
        )
        super().__init__(full)


class SolverError(EnergyError):
    """The solver failed, hit a limit, or returned a non-optimal status."""


class PowerFlowError(EnergyError):
    """An AC power flow did not converge or could not be set up."""
