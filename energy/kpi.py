"""Indicators of a schedule and THE savings vocabulary of the whole product.

A schedule is the common output of the optimiser and of the baselines; its
columns are listed in :mod:`energy.system`. Indicators follow DESIGN.md
"Definitions" and are computed from the schedule alone, independent of any
optimiser objective (:func:`compute_kpis`).

Savings: one vocabulary for library, API, CLI, exports and dashboard
--------------------------------------------------------------------
This docstring and ``docs/definitions.md`` are the one definition; every
channel uses the names below (:data:`COMPARISONS`, :data:`SAVING_METRICS`).

Against what (every figure names its comparison)
    ``B1``  the **headline** comparison: batteries on the self-consumption-first
            rule, street lighting S1 (50 % from 22:00 to 06:00, raised to the
            traffic-adaptive class minimum where that is higher); what an
            operator without optimisation actually runs (:mod:`energy.baselines`).
    ``B0``  the **reference**: no control; batteries idle, lighting S0 (100 %
            whenever dark).
    ``nothing_built``  neither PV nor battery nor dimming controllers: every
            kWh of building load and S0 lighting imported at the same prices
            (:func:`nothing_built_schedule`). The whole-system economics
            (:mod:`energy.analysis.compare`) appraise the investment against it.

    All three are computed on the same inputs (weather, loads, prices, horizon)
    as the optimum.

Which way round (a saving is positive when the scenario is better)
    Amounts where less is better (EUR, kWh imported, kg CO2, kW of peak, kWh
    of lighting, curtailment, battery losses): ``saving = comparison value -
    scenario value``; 1,473 EUR saved means the optimum costs 1,473 EUR less.
    Shares (self-sufficiency, self-consumption) are reported as a gain in
    **percentage points**: ``points = 100 x (scenario share - comparison
    share)``; a self-sufficiency of 41.2 % against 25.9 % is ``+15.3`` pp.
    Quantities where neither direction is better (export, generation, cycles)
    have no saving.

Stored energy at the horizon's end (equalised)
    Every schedule compared ends with each battery holding what it held at the
    start: the optimum under ``terminal_soc="equal_initial"`` (the cyclic
    condition of PyPSA's ``cyclic_state_of_charge``, Brown et al. 2018,
    https://doi.org/10.5334/jors.188), the baselines by refilling or releasing
    the difference in the last steps (:mod:`energy.baselines`). No stored kWh is
    left unvalued; ``delta_soc_kwh`` of every schedule is 0 up to solver
    tolerance and is reported so that anyone can check it.

Lighting: the class rule and what optimisation adds
    The lighting saving against a baseline splits into the **class rule**
    (baseline lighting minus lighting at the traffic-adaptive class minimum of
    EN 13201 / CEN/TR 13201-1 wherever dark, ``lighting_class_rule_kw``) and
    **optimisation** (class-minimum lighting minus optimised lighting). The LP
    dims every group to its class minimum in every dark step (lighting costs
    money and brings nothing else in the model), so the optimisation part is 0
    there and the whole lighting saving belongs to the class rule; discrete
    (MILP) levels can make it negative.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from energy.district import Battery
from energy.errors import InputDataError
from energy.timeindex import step_hours

#: The headline comparison of every channel.
HEADLINE_BASELINE = "B1"
#: The baselines simulated on the run's inputs, headline first (energy.baselines).
BASELINES: tuple[str, ...] = ("B1", "B0")
#: The "no PV, no battery, no dimming" comparison of the whole-system economics.
NOTHING_BUILT = "nothing_built"
#: Every comparison a saving can name, in the order channels show them.
COMPARISONS: tuple[str, ...] = (*BASELINES, NOTHING_BUILT)
#: What each comparison is, in words (shown by the CLI, the API and the exports).
COMPARISON_LABELS: dict[str, str] = {
    "B1": "B1: self-consumption rule, lighting S1 (headline)",
    "B0": "B0: no control, batteries idle, lighting S0 (reference)",
    NOTHING_BUILT: "nothing built: no PV, no battery, lighting S0",
}
#: What a run records about its comparisons (``metadata["comparisons"]``).
COMPARISON_RECORD: dict[str, object] = {
    "headline": HEADLINE_BASELINE,
    "labels": COMPARISON_LABELS,
    "terminal_energy": "equalised: every battery ends with the energy it started with, in "
    "the optimum and in the baselines",
    "definitions": "energy.kpi module docstring; docs/definitions.md",
}
#: Column of a scenario's schedule: street lighting at the class minimum wherever dark [kW].
CLASS_RULE_COLUMN = "lighting_class_rule_kw"
#: The two parts of the lighting saving (module docstring), in kWh.
LIGHTING_PART_KEYS = ("e_lighting_class_rule_kwh", "e_lighting_optimisation_kwh")
#: KPIs that are fractions; their savings are gains in percentage points.
FRACTION_KPIS = ("self_sufficiency", "self_consumption")
#: Savings: key -> (unit, KPI it is computed from). ``*_points`` are 100 x
#: (scenario - comparison); the others comparison - scenario (module docstring).
SAVING_METRICS: dict[str, tuple[str, str]] = {
    "cost_eur": ("EUR", "cost_eur"),
    "co2_kg": ("kg CO2", "co2_kg"),
    "e_import_kwh": ("kWh", "e_import_kwh"),
    "e_consumption_kwh": ("kWh", "e_consumption_kwh"),
    "e_lighting_kwh": ("kWh", "e_lighting_kwh"),
    "peak_import_kw": ("kW", "peak_import_kw"),
    "e_curtailed_kwh": ("kWh", "e_curtailed_kwh"),
    "battery_losses_kwh": ("kWh", "battery_losses_kwh"),
    "self_sufficiency_points": ("percentage points", "self_sufficiency"),
    "self_consumption_points": ("percentage points", "self_consumption"),
}


def comparison_key(name: str) -> str:
    """Key of the savings against comparison ``name`` in every channel: ``vs_<name>``."""
    if name not in COMPARISONS:
        raise InputDataError(
            f"baseline: {name!r} is not allowed; allowed: {', '.join(COMPARISONS)}"
        )
    return f"vs_{name}"


def _ratio(num: float, den: float) -> float:
    return 1.0 - num / den if den > 0 else math.nan


def _battery_sums(
    schedule: pd.DataFrame, batteries: Sequence[Battery], dt: float
) -> dict[str, float]:
    """Charged, discharged, change of stored energy, capacity and throughput cost."""
    out = dict.fromkeys(("e_ch", "e_dis", "delta", "capacity", "throughput"), 0.0)
    for bat in batteries:
        dis = schedule[f"p_discharge_kw:{bat.id}"].to_numpy()
        soc = schedule[f"soc_kwh:{bat.id}"].to_numpy()
        out["throughput"] += bat.throughput_cost_eur_per_kwh * float(dis.sum()) * dt
        out["e_ch"] += float(schedule[f"p_charge_kw:{bat.id}"].sum()) * dt
        out["e_dis"] += float(dis.sum()) * dt
        out["delta"] += float(soc[-1]) - bat.soc_initial_frac * bat.capacity_kwh
        out["capacity"] += bat.capacity_kwh
    return out


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
        installed capacity (equivalent full cycles); ``delta_soc_kwh`` (stored
        energy at the end minus at the start, all batteries); and, where the
        schedule has :data:`CLASS_RULE_COLUMN`, ``e_lighting_class_rule_kwh``
        (lighting at the class minimum); with heat pumps or EV charging the
        keys of :func:`flex_kpis`.
    """
    if len(schedule) == 0:
        raise InputDataError("schedule: it has no steps")
    dt = step_hours(schedule.index)
    imp = schedule["p_import_kw"].to_numpy()
    exp = schedule["p_export_kw"].to_numpy()
    price = schedule["import_price_eur_per_kwh"].to_numpy()
    feed = schedule["feed_in_eur_per_kwh"].to_numpy()
    energy_cost = float((price * imp - feed * exp).sum() * dt)
    peak = float(imp.max())
    bat = _battery_sums(schedule, batteries, dt)
    e_import = float(imp.sum() * dt)
    e_export = float(exp.sum() * dt)
    e_light = float(schedule["lighting_kw"].sum() * dt)
    e_flex = sum(float(schedule[c].sum() * dt) for c in FLEX_LOAD_COLUMNS if c in schedule)
    e_cons = float(schedule["load_kw"].sum() * dt) + e_light + e_flex
    e_curt = float(schedule["pv_curtailed_kw"].sum() * dt)
    e_gen = float(schedule["pv_kw"].sum() * dt) - e_curt
    class_rule = (
        {"e_lighting_class_rule_kwh": float(schedule[CLASS_RULE_COLUMN].sum() * dt)}
        if CLASS_RULE_COLUMN in schedule
        else {}
    )
    return (
        class_rule
        | flex_kpis(schedule, dt, e_import, e_cons)
        | {
            "cost_eur": energy_cost + peak_charge_eur_per_kw * peak + bat["throughput"],
            "energy_cost_eur": energy_cost,
            "peak_cost_eur": peak_charge_eur_per_kw * peak,
            "throughput_cost_eur": bat["throughput"],
            "co2_kg": float((imp * schedule["co2_g_per_kwh"].to_numpy()).sum() * dt / 1000.0),
            "e_import_kwh": e_import,
            "e_export_kwh": e_export,
            "e_consumption_kwh": e_cons,
            "e_generation_kwh": e_gen,
            "self_sufficiency": _ratio(e_import, e_cons),
            "self_consumption": _ratio(e_export, e_gen),
            "peak_import_kw": peak,
            "e_lighting_kwh": e_light,
            "e_curtailed_kwh": e_curt,
            "e_charge_kwh": bat["e_ch"],
            "e_discharge_kwh": bat["e_dis"],
            "battery_losses_kwh": bat["e_ch"] - bat["e_dis"] - bat["delta"],
            "battery_cycles": bat["e_dis"] / bat["capacity"] if bat["capacity"] > 0 else 0.0,
            "delta_soc_kwh": bat["delta"],
        }
    )


#: District columns of flexible electricity use that count as consumption [kW].
FLEX_LOAD_COLUMNS = ("p_heat_pump_kw", "p_backup_heater_kw", "p_ev_kw")


def flex_kpis(
    schedule: pd.DataFrame, dt: float, e_import: float, e_consumption: float
) -> dict[str, float]:
    """Return the indicators of heat pumps and EV charging (empty without them).

    ``e_heat_pump_kwh`` (compressor + backup heater electricity),
    ``e_backup_heater_kwh``, ``e_ev_kwh``, ``e_electricity_kwh``
    (consumption without heat pumps and EVs: buildings + lighting),
    ``e_heat_kwh`` (space-heat + hot-water demand), ``e_heat_unmet_kwh``
    (demand not met), ``scop`` (seasonal COP: compressor heat / compressor
    electricity), ``ev_pv_share`` (share of EV energy from local generation:
    each step's EV energy times that step's local share of consumption,
    ``1 - import / consumption``, a proportional attribution) and
    ``self_sufficiency_heat`` (electricity + heat: ``1 - import / (electricity
    without heat pumps + heat delivered)``, ambient heat counting as local).
    Energies in kWh, shares in [0, 1].
    """
    if not any(c in schedule for c in FLEX_LOAD_COLUMNS):
        return {}

    def energy(col: str) -> float:
        return float(schedule[col].sum() * dt) if col in schedule else 0.0

    e_hp, e_backup, e_ev = energy("p_heat_pump_kw"), energy("p_backup_heater_kw"), energy("p_ev_kw")
    e_heat, e_unmet = energy("q_heat_demand_kw"), energy("q_unmet_kw")
    demand = schedule["load_kw"].to_numpy() + schedule["lighting_kw"].to_numpy()
    for col in FLEX_LOAD_COLUMNS:
        if col in schedule:
            demand = demand + schedule[col].to_numpy()
    imp = schedule["p_import_kw"].to_numpy()
    local = 1.0 - np.divide(imp, demand, out=np.ones_like(demand), where=demand > 0)
    ev = schedule["p_ev_kw"].to_numpy() if "p_ev_kw" in schedule else np.zeros(len(schedule))
    e_heat_delivered = e_heat - e_unmet
    return {
        "e_heat_pump_kwh": e_hp + e_backup,
        "e_backup_heater_kwh": e_backup,
        "e_ev_kwh": e_ev,
        "e_electricity_kwh": e_consumption - e_hp - e_backup - e_ev,
        "e_heat_kwh": e_heat,
        "e_heat_unmet_kwh": e_unmet,
        "scop": energy("q_heat_pump_kw") / e_hp if e_hp > 0 else math.nan,
        "ev_pv_share": float((ev * np.clip(local, 0.0, 1.0)).sum() * dt) / e_ev
        if e_ev > 0
        else math.nan,
        "self_sufficiency_heat": _ratio(
            e_import, e_consumption - e_hp - e_backup + e_heat_delivered
        ),
    }


def savings(comparison: Mapping[str, float], scenario: Mapping[str, float]) -> dict[str, float]:
    """Return the savings of a scenario against a comparison (module docstring's signs).

    Parameters
    ----------
    comparison
        KPIs (:func:`compute_kpis`) of the comparison (B1, B0 or nothing built).
    scenario
        KPIs of the scenario (usually the optimised schedule).

    Returns
    -------
    dict
        For each key of :data:`SAVING_METRICS` whose KPI both have: amounts
        ``comparison - scenario`` (positive: the scenario needs less), shares
        ``100 x (scenario - comparison)`` in percentage points (positive: the
        scenario is more self-sufficient). Where the scenario has
        ``e_lighting_class_rule_kwh``, the lighting saving's two parts
        (:data:`LIGHTING_PART_KEYS`): ``e_lighting_class_rule_kwh`` =
        comparison lighting - class-minimum lighting and
        ``e_lighting_optimisation_kwh`` = class-minimum lighting - scenario
        lighting; they add up to ``e_lighting_kwh``.
    """
    out: dict[str, float] = {}
    for key, (unit, kpi) in SAVING_METRICS.items():
        if kpi not in comparison or kpi not in scenario:
            continue
        a, b = float(comparison[kpi]), float(scenario[kpi])
        out[key] = 100.0 * (b - a) if unit == "percentage points" else a - b
    if "e_lighting_class_rule_kwh" in scenario and "e_lighting_kwh" in out:
        class_rule = float(scenario["e_lighting_class_rule_kwh"])
        out["e_lighting_class_rule_kwh"] = float(comparison["e_lighting_kwh"]) - class_rule
        out["e_lighting_optimisation_kwh"] = class_rule - float(scenario["e_lighting_kwh"])
    return out


def nothing_built_schedule(b0: pd.DataFrame) -> pd.DataFrame:
    """Return the district with nothing built, on the inputs of a B0 schedule.

    Every step imports the building load plus the B0 lighting (S0, full power
    while dark) at the same prices; no PV, no battery, no export.

    Parameters
    ----------
    b0
        A B0 schedule (:mod:`energy.system` format).

    Returns
    -------
    pandas.DataFrame
        A schedule with the district columns of :mod:`energy.system` (no
        per-asset columns); :func:`compute_kpis` reads it with no batteries.
    """
    zero = np.zeros(len(b0))
    load = b0["load_kw"].to_numpy()
    light = b0["lighting_kw"].to_numpy()
    return pd.DataFrame(
        {
            "load_kw": load,
            "lighting_kw": light,
            "pv_kw": zero,
            "pv_curtailed_kw": zero,
            "p_charge_kw": zero,
            "p_discharge_kw": zero,
            "soc_kwh": zero,
            "p_import_kw": load + light,
            "p_export_kw": zero,
            "import_price_eur_per_kwh": b0["import_price_eur_per_kwh"].to_numpy(),
            "feed_in_eur_per_kwh": b0["feed_in_eur_per_kwh"].to_numpy(),
            "co2_g_per_kwh": b0["co2_g_per_kwh"].to_numpy(),
        },
        index=b0.index,
    )


def comparison_kpis(
    optimised: pd.DataFrame,
    baselines: Mapping[str, pd.DataFrame],
    batteries: Sequence[Battery],
    peak_charge_eur_per_kw: float,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """KPIs of the optimum and of every comparison, and the savings against each.

    Parameters
    ----------
    optimised
        The scenario's schedule.
    baselines
        ``{"B0": ..., "B1": ...}`` schedules on the same index.
    batteries
        The batteries of the schedules.
    peak_charge_eur_per_kw
        Charge on the horizon's maximum import [EUR/kW].

    Returns
    -------
    (kpis, savings)
        ``kpis``: ``optimised``, ``B1``, ``B0``, ``nothing_built``;
        ``savings``: ``vs_B1``, ``vs_B0``, ``vs_nothing_built`` (:func:`savings`).
    """
    kpis = {"optimised": compute_kpis(optimised, batteries, peak_charge_eur_per_kw)}
    for name in BASELINES:
        kpis[name] = compute_kpis(baselines[name], batteries, peak_charge_eur_per_kw)
    kpis[NOTHING_BUILT] = compute_kpis(
        nothing_built_schedule(baselines["B0"]), (), peak_charge_eur_per_kw
    )
    saved = {comparison_key(n): savings(kpis[n], kpis["optimised"]) for n in COMPARISONS}
    return kpis, saved
