"""The ``energy`` command line: district checks, PV, load profiles, lighting, optimisation."""

from energy.cli.main import app

__all__ = ["app"]
