"""Assembly of the ``energy`` Typer application from its command modules.

The command modules import the models (pandapower, pvlib, Pyomo, ...), which
takes seconds; ``energy --help`` and a command's own ``--help`` must not wait
for all of them. So each command is listed in :data:`COMMANDS` with the
module that registers it and its one-line help, and :class:`LazyCommands`
imports a module only when one of its commands is invoked (or asked for its
own help). ``tests/energy/cli/test_main.py`` checks that ``energy --help``
imports neither pandapower nor Pyomo and that each listed help is the
command's own.
"""

from __future__ import annotations

import importlib
import logging

import typer
from typer import _click as click  # the click that Typer vendors and its classes derive from
from typer.core import TyperGroup

#: Command name -> (module whose ``register(app)`` adds it, the one-line help of the listing).
COMMANDS: dict[str, tuple[str, str]] = {
    "district": ("energy.cli.district", "Check and summarise district files."),
    "pv": (
        "energy.cli.pv",
        "Compute the annual AC energy [kWh] and specific yield [kWh/kWp] of every PV system.",
    ),
    "profile": (
        "energy.cli.profile",
        "Compute building loads from the BDEW standard load profiles: kWh/a and peak kW.",
    ),
    "lighting": (
        "energy.cli.profile",
        "Report street-lighting burning hours and kWh per group: S0, S1, adaptive minimum.",
    ),
    "optimise": (
        "energy.cli.optimise",
        "Optimise batteries, street lighting, heat pumps and charging; compare with B0 and B1.",
    ),
    "grid": ("energy.cli.grid", "Low-voltage grid: AC checks, hosting capacity, GeoJSON."),
    "compare": (
        "energy.cli.compare",
        "Run districts over the same horizon and compare KPIs, savings and economics.",
    ),
    "sweep": (
        "energy.cli.compare",
        "Sweep PV and battery additions; table, best points, heat maps of autarky and NPV.",
    ),
    "savings": (
        "energy.cli.compare",
        "Show savings per day, week, month or year by source (PV, battery, lighting).",
    ),
    "annual": (
        "energy.cli.annual",
        "Annual savings, NPV and payback of a district: from the whole year or typical days.",
    ),
    "size": (
        "energy.cli.size",
        "Size a new battery and/or PV system: capacity and dispatch in one optimisation.",
    ),
    "heat": (
        "energy.cli.heat",
        "Annual space heat, hot water, heat-pump electricity and seasonal COP per building.",
    ),
    "mobility": (
        "energy.cli.heat",
        "Charging sessions per day and kWh per year of every charger group (one car per point).",
    ),
    "ensemble": (
        "energy.cli.ensemble",
        "Run a scenario over weather x price years; print every figure's P10/P50/P90.",
    ),
    "operate": (
        "energy.cli.ensemble",
        "Operate a district on a rolling horizon with forecasts; cost of the forecast error.",
    ),
    "report": (
        "energy.cli.report",
        "Write the council report of a run (German; plain-language summary on page 1).",
    ),
    "members": (
        "energy.cli.members",
        "Print each member's investment, annual return, NPV, payback and energy of a run.",
    ),
    "pareto": (
        "energy.cli.pareto",
        "Cost-optimal PV, battery and dispatch for autarky targets from today's to the highest.",
    ),
    "grid-fees": (
        "energy.cli.grid_fees",
        "Grid fee per household under §14a modules 1, 2, 3 (BK8-22/010-A), the cheapest named.",
    ),
}


def load_command(name: str) -> click.Command | None:
    """Import the module of command ``name`` and return its click command (None if unknown)."""
    if name not in COMMANDS:
        return None
    module = importlib.import_module(COMMANDS[name][0])
    holder = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
    module.register(holder)
    group = typer.main.get_group(holder)
    return group.get_command(click.Context(group), name)


class LazyCommands(TyperGroup):
    """The ``energy`` group: the commands of :data:`COMMANDS`, each imported when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the eager commands and then those of :data:`COMMANDS`, in their order."""
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return command ``cmd_name``, importing its module on first use."""
        if cmd_name not in self.commands:
            command = load_command(cmd_name)
            if command is None:
                return None
            self.commands[cmd_name] = command
        return self.commands[cmd_name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands with the help of :data:`COMMANDS`, importing nothing."""
        rows = [
            (name, COMMANDS[name][1])
            if name in COMMANDS
            else (name, self.commands[name].get_short_help_str())
            for name in self.list_commands(ctx)
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    name="energy",
    help="Planning tools of the Digitales Stadtwerk Gera: PV, loads, lighting, dispatch, grid.",
    cls=LazyCommands,
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
