"""Assembly of the ``energy`` Typer application from its command modules."""

from __future__ import annotations

import logging

import typer

from energy.cli import (
    annual,
    compare,
    district,
    ensemble,
    grid,
    grid_fees,
    heat,
    members,
    optimise,
    pareto,
    profile,
    pv,
    report,
    size,
)

app = typer.Typer(
    name="energy",
    help="Planning tools of the Digitales Stadtwerk Gera: PV, loads, lighting, dispatch, grid.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log library details"),
) -> None:
    """Planning tools of the Digitales Stadtwerk Gera."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


for module in (
    district,
    pv,
    profile,
    optimise,
    grid,
    compare,
    annual,
    size,
    heat,
    ensemble,
    report,
    members,
    pareto,
    grid_fees,
):
    module.register(app)
