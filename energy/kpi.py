"""Indicators of a schedule: cost, energy, CO2, autarky, peak, battery use, savings.

A schedule is the common output of the optimiser and of the baselines; its
columns are listed in :mod:`energy.system`. Indicators follow DESIGN.md
"Definitions" and are computed from the schedule alone, independent of any
optimiser objective.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from energy.district import Battery
from energy.errors import InputDataError
from energy.timeindex import step_hours

#: KPIs that are fractions (savings of these are differences of fractions).
FRACTION_KPIS = ("self_sufficiency", "self_consumption")


def _ratio(num: float, den: float) -> float:
    return 1.0 - num / den if den > 0 else math.nan


def compute_kpis(
    schedule: pd.DataFrame,
    batteries: Sequence[Battery] = (),
    peak_charge_eur_per_kw: float = 0.0,
) -> dict[str, float]:
    """Compute the indicators of a schedule, by DESIGN.md "Definitions".

    Parameters
    ----------
    schedule
        A schedule (columns: :mod:`energy.system`).
    batteries
        Specs of the batteries in the schedule (capacity, initial SoC,
        throughput cost).
    peak_charge_eur_per_kw
        Charge on the horizon's maximum import [EUR/kW].

    Returns
    -------
    dict
        ``cost_eur`` = sum(price x import - feed-in x export) x dt + peak charge
        x max(import) + throughput costs, with its parts ``energy_cost_eur``,
        ``peak_cost_eur``, ``throughput_cost_eur``; ``co2_kg`` = sum(import x
        intensity) x dt / 1000 (no credit for export); ``e_import_kwh``,
        ``e_export_kwh``; ``e_consumption_kwh`` (buildings + lighting; battery
        losses separate); ``e_generation_kwh`` (PV after curtailment);
        ``self_sufficiency`` = 1 - import / consumption; ``self_consumption`` =
        1 - export / generation (NaN without generation); ``peak_import_kw``;
        ``e_lighting_kwh``; ``e_curtailed_kwh``; ``e_charge_kwh``,
        ``e_discharge_kwh``; ``battery_losses_kwh`` = charged - discharged -
        change of stored energy; ``battery_cycles`` = discharged energy /
        installed capacity (equivalent full cycles); ``delta_soc_kwh``.
    """
    if len(schedule) == 0:
        raise InputDataError("schedule: it has no steps")
    dt = step_hours(schedule.index)
    imp = schedule["p_import_kw"].to_numpy()
    exp = schedule["p_export_kw"].to_numpy()
    price = schedule["import_price_eur_per_kwh"].to_numpy()
    feed = schedule["feed_in_eur_per_kwh"].to_numpy()
    co2 = schedule["co2_g_per_kwh"].to_numpy()
    energy_cost = float((price * imp - feed * exp).sum() * dt)
    peak = float(imp.max())
    peak_cost = peak_charge_eur_per_kw * peak
    throughput = 0.0
    e_ch = e_dis = delta = capacity = 0.0
    for bat in batteries:
        ch = schedule[f"p_charge_kw:{bat.id}"].to_numpy()
        dis = schedule[f"p_discharge_kw:{bat.id}"].to_numpy()
        soc = schedule[f"soc_kwh:{bat.id}"].to_numpy()
        throughput += bat.throughput_cost_eur_per_kwh * float(dis.sum()) * dt
        e_ch += float(ch.sum()) * dt
        e_dis += float(dis.sum()) * dt
        delta += float(soc[-1]) - bat.soc_initial_frac * bat.capacity_kwh
        capacity += bat.capacity_kwh
    e_import = float(imp.sum() * dt)
    e_export = float(exp.sum() * dt)
    e_light = float(schedule["lighting_kw"].sum() * dt)
    e_cons = float(schedule["load_kw"].sum() * dt) + e_light
    e_curt = float(schedule["pv_curtailed_kw"].sum() * dt)
    e_gen = float(schedule["pv_kw"].sum() * dt) - e_curt
    return {
        "cost_eur": energy_cost + peak_cost + throughput,
        "energy_cost_eur": energy_cost,
        "peak_cost_eur": peak_cost,
        "throughput_cost_eur": throughput,
        "co2_kg": float((imp * co2).sum() * dt / 1000.0),
        "e_import_kwh": e_import,
        "e_export_kwh": e_export,
        "e_consumption_kwh": e_cons,
        "e_generation_kwh": e_gen,
        "self_sufficiency": _ratio(e_import, e_cons),
        "self_consumption": _ratio(e_export, e_gen),
        "peak_import_kw": peak,
        "e_lighting_kwh": e_light,
        "e_curtailed_kwh": e_curt,
        "e_charge_kwh": e_ch,
        "e_discharge_kwh": e_dis,
        "battery_losses_kwh": e_ch - e_dis - delta,
        "battery_cycles": e_dis / capacity if capacity > 0 else 0.0,
        "delta_soc_kwh": delta,
    }


def savings(baseline: Mapping[str, float], optimised: Mapping[str, float]) -> dict[str, float]:
    """Return savings against a baseline: ``baseline value - optimised value`` per KPI.

    Positive means the optimised schedule has less of it (EUR, kWh, kg saved);
    for the fractions (self-sufficiency, self-consumption) a negative value
    means the optimised schedule is better.
    """
    return {k: float(baseline[k]) - float(optimised[k]) for k in optimised if k in baseline}
