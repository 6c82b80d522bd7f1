"""``energy grid-fees``: §14a grid-fee modules 1, 2, 3 compared per household."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from energy.cli._options import DaysOpt, FileArg, JsonOpt, StartOpt, WeatherOpt
from energy.cli._output import friendly_errors, print_json, print_table
from energy.district import load_district
from energy.errors import InputDataError
from energy.models.flex_rules import rule_columns
from energy.models.tariff.grid_fee_14a import GridFee14a, compare_modules
from energy.optimisation.dispatch import optimise, solution_schedule
from energy.scenario import ScenarioOptions, scenario_inputs

PriceOpt = Annotated[
    float, typer.Option("--energy-price", min=0, help="Grid fee energy price [EUR/kWh, net]")
]
Module1Opt = Annotated[
    float | None,
    typer.Option("--module1", min=0, help="Module 1 reduction [EUR/a] (default: BNetzA formula)"),
]
OperationOpt = Annotated[
    str,
    typer.Option("--operation", help="optimised (the dispatch) or rules (thermostat, on arrival)"),
]


def grid_fees_command(
    file: FileArg,
    start: StartOpt = "2025-01-01",
    days: DaysOpt = 365,
    weather: WeatherOpt = None,
    operation: OperationOpt = "optimised",
    energy_price: PriceOpt = 0.09,
    module1: Module1Opt = None,
    as_json: JsonOpt = False,
) -> None:
    """Grid fee per household under §14a modules 1, 2, 3 (BK8-22/010-A), the cheapest named.

    The controllable devices are each building's heat pump and charging points,
    operated by the optimum or by the baselines' rules; flat amounts are charged
    for the horizon's share of a year.
    """
    with friendly_errors():
        if operation not in ("optimised", "rules"):
            raise InputDataError(
                f"--operation: {operation!r} is not allowed; use optimised or rules"
            )
        district = load_district(file)
        options = ScenarioOptions(
            start=dt.date.fromisoformat(start), days=days, weather=weather, ac_check=False
        )
        inputs = scenario_inputs(district, options)
        if inputs.flex is None:
            raise InputDataError(f"{file}: the district has no heat pumps or charging points")
        if operation == "optimised":
            cols = solution_schedule(inputs, optimise(inputs))
            columns = {c: cols[c].to_numpy() for c in cols.columns}
        else:
            columns, _ = rule_columns(inputs.flex, inputs.n_steps, inputs.dt_h)
        ids = [u.id for u in inputs.flex.heat_pumps] + [g.id for g in inputs.flex.ev_groups]
        device = {b: np.zeros(inputs.n_steps) for b in ids}
        for col, values in columns.items():
            quantity, _, node = col.partition(":")
            if node in device and quantity in ("p_heat_pump_kw", "p_backup_heater_kw", "p_ev_kw"):
                device[node] = device[node] + values
        households = {b.id: b.households for b in district.buildings if b.households}
        fee = GridFee14a(energy_price_eur_per_kwh=energy_price, module1_eur_per_year=module1)
        table = compare_modules(inputs.load_kw, device, district.site.timezone, fee, households)
    if as_json:
        print_json({"file": str(file), "operation": operation, "buildings": _records(table)})
        return
    print_table(
        f"{district.site.name}: §14a grid fee per household, {days} days ({operation})",
        ["building", "module 1 [EUR]", "module 2 [EUR]", "module 3 [EUR]", "cheapest"],
        [
            [b, *(f"{row.get(f'module{k}_per_household_eur', row[f'module{k}_eur']):,.2f}"
                  for k in (1, 2, 3)), row["cheapest"]]
            for b, row in table.iterrows()
        ],
    )  # fmt: skip


def _records(table: pd.DataFrame) -> dict[str, dict[str, object]]:
    return {str(b): {k: v for k, v in row.items() if v == v} for b, row in table.iterrows()}


def register(app: typer.Typer) -> None:
    """Add the ``grid-fees`` command to ``app``."""
    app.command("grid-fees")(grid_fees_command)
