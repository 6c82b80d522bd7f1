"""Assembly of the ``energy`` Typer application from its command modules."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="energy",
    help="Planning tools of the Digitales Stadtwerk Gera: PV, loads, lighting, dispatch, grid.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
