"""Scenarios side by side: KPIs, savings against B0 and B1, and economics.

:func:`compare` puts N scenario results in one table (rows: indicators,
columns: scenarios) and a JSON-ready dict. Economics come from
:func:`energy.analysis.economics.evaluate`; this module decides what the investment is
compared with and how a short horizon becomes a year.

What the investment is compared with
------------------------------------
* **Whole-system view** (default, ``reference=None``): the investment is
  everything the scenario's district has (all PV systems, all batteries, a
  dimming controller on every luminaire, :func:`investment_items_from_district`),
  and the savings are those against **nothing built** (the ``nothing_built``
  comparison of :mod:`energy.kpi`: no PV, no battery and street lighting at
  full power whenever dark (S0), every kWh imported at the same prices), i.e.
  ``ScenarioResult.savings["vs_nothing_built"]["cost_eur"]``. This suits a
  quarter that is planned from scratch, as Gera's is.
* **Incremental view** (``reference="<name>"``): the investment is what a
  scenario's district has beyond the reference scenario's (PV systems,
  batteries and lighting groups with new ids, and added luminaires of a group,
  :func:`added_items`), and the savings are the reference's optimised cost
  minus the scenario's optimised cost. This is the cooperative's question
  "what does adding 300 kWp and 400 kWh bring?"; the reference itself shows
  zero investment.

Both compare optimised operation with optimised (or no) operation, so the
savings of smart operation of existing assets are not credited to a new
investment. The operation savings against B1 (headline) and B0 are shown
beside them, with the same names and signs as every other channel.

From the horizon to a year (:mod:`energy.analysis.annual`)
---------------------------------------------------------
A run over a whole year gives the annual figures directly. A shorter horizon
is scaled by ``8760 h / horizon hours`` and every annual figure carries
``extrapolated_from`` (e.g. ``"7 days (2025-06-02..2025-06-08)"``): one week
carries that week's weather and prices (a June week overstates PV, a January
week understates it). For annual figures without a whole-year run use
representative days (:func:`energy.studies.representative.run_representative`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from energy.analysis.annual import appraise
from energy.analysis.economics import (
    EconomicAssumptions,
    InvestmentItems,
    investment_items_from_district,
)
from energy.district import District
from energy.errors import InputDataError
from energy.kpi import (
    COMPARISON_LABELS,
    COMPARISONS,
    NOTHING_BUILT,
    SAVING_METRICS,
    comparison_key,
    compute_kpis,
    nothing_built_schedule,
)
from energy.report.exports import export_info, header_lines, write_csv_with_header, write_json
from energy.scenario import ScenarioResult
from energy.serialise import json_safe
from energy.timeindex import horizon_label, step_hours

logger = logging.getLogger(__name__)


#: Optimised KPIs shown: key, label, unit.
KPI_ROWS: tuple[tuple[str, str, str], ...] = (
    ("cost_eur", "cost", "EUR"),
    ("e_import_kwh", "import", "kWh"),
    ("e_export_kwh", "export", "kWh"),
    ("co2_kg", "CO2", "kg"),
    ("e_consumption_kwh", "consumption", "kWh"),
    ("e_generation_kwh", "PV generation", "kWh"),
    ("self_sufficiency", "self-sufficiency", "fraction"),
    ("self_consumption", "self-consumption", "fraction"),
    ("peak_import_kw", "peak import", "kW"),
    ("e_lighting_kwh", "lighting", "kWh"),
    ("e_curtailed_kwh", "curtailed PV", "kWh"),
    ("battery_cycles", "battery full cycles", "cycles"),
)
#: Savings against each comparison (energy.kpi: positive = better): key, label, unit.
SAVING_ROWS: tuple[tuple[str, str, str], ...] = tuple(
    (key, label, SAVING_METRICS[key][0])
    for key, label in (
        ("cost_eur", "cost saved"),
        ("e_import_kwh", "import saved"),
        ("co2_kg", "CO2 saved"),
        ("self_sufficiency_points", "self-sufficiency gained"),
        ("peak_import_kw", "peak import lowered"),
    )
)
#: Economic rows: key, label, unit.
ECONOMIC_ROWS: tuple[tuple[str, str, str], ...] = (
    ("capex_eur", "investment", "EUR"),
    ("capex_pv_eur", "investment PV", "EUR"),
    ("capex_battery_eur", "investment batteries", "EUR"),
    ("capex_controllers_eur", "investment lighting controllers", "EUR"),
    ("opex_eur_per_year", "operation and maintenance", "EUR/year"),
    ("horizon_savings_eur", "savings in the horizon vs economic reference", "EUR"),
    ("annualisation_factor", "horizon-to-year factor", "1"),
    ("annual_basis", "annual figures from", "text"),
    ("extrapolated_from", "annual figures extrapolated from", "text"),
    ("annual_savings_eur", "annual savings", "EUR/year"),
    ("annual_savings_is_estimate", "annual savings extrapolated (estimate)", "yes/no"),
    ("npv_eur", "net present value", "EUR"),
    ("irr_frac", "internal rate of return", "fraction per year"),
    ("payback_simple_years", "payback (simple)", "years"),
    ("payback_discounted_years", "payback (discounted)", "years"),
    ("lcoe_pv_eur_per_kwh", "LCOE of PV", "EUR/kWh"),
)


def result_savings(result: ScenarioResult, name: str) -> dict[str, float]:
    """Return the savings of a result against comparison ``name`` (:func:`energy.kpi.savings`).

    The run's own record; ``nothing_built`` of results stored before it was
    kept is computed by :func:`nothing_built_kpis`.
    """
    key = comparison_key(name)
    if key in result.savings:
        return dict(result.savings[key])
    if name != NOTHING_BUILT:
        raise InputDataError(f"result: holds no savings {key}; run it again")
    from energy.kpi import savings

    return savings(nothing_built_kpis(result), result.kpis["optimised"])


def row_info() -> dict[str, tuple[str, str]]:
    """Label and unit of every row key of :func:`compare`'s table."""
    info = {"horizon_h": ("horizon", "h")}
    info.update({k: (label, unit) for k, label, unit in KPI_ROWS})
    for name in COMPARISONS:
        info.update(
            {f"{k}_vs_{name}": (f"{label} vs {name}", unit) for k, label, unit in SAVING_ROWS}
        )
    info.update({k: (label, unit) for k, label, unit in ECONOMIC_ROWS})
    return info


# -- annualisation and references ----------------------------------------------------------
def horizon_hours(result: ScenarioResult) -> float:
    """Length of a run's horizon [h]."""
    return len(result.schedule) * step_hours(result.schedule.index)


def nothing_built_kpis(result: ScenarioResult) -> dict[str, float]:
    """KPIs of the ``nothing_built`` comparison (:mod:`energy.kpi`) of a result.

    The run's own ``kpis["nothing_built"]``; for results stored before it
    was kept, computed from the B0 schedule by the same definition.
    """
    if NOTHING_BUILT in result.kpis:
        return result.kpis[NOTHING_BUILT]
    b0 = result.baselines.get("B0")
    if b0 is None:
        raise InputDataError(
            "result: holds no B0 schedule; the whole-system economics need it "
            "(energy.scenario.run_scenario keeps it)"
        )
    peak = float(result.kpis["B0"]["peak_import_kw"])
    rate = float(result.kpis["B0"]["peak_cost_eur"]) / peak if peak > 0 else 0.0
    return compute_kpis(nothing_built_schedule(b0), (), rate)


def added_items(district: District, reference: District) -> InvestmentItems:
    """Investment items ``district`` has beyond ``reference`` (matched by id).

    PV systems and batteries whose id is not in the reference are added in
    full; luminaires count for new lighting groups in full and for a group of
    the reference by the number added. Items the scenario removed are not
    credited.

    Raises
    ------
    InputDataError
        A PV system or battery with the same id has a different size (the
        incremental view cannot tell what was bought); compare in the
        whole-system view (no reference) instead.
    """
    ref_pv = {p.id: p.kwp for p in reference.pv}
    ref_bat = {b.id: (b.capacity_kwh, b.power_kw) for b in reference.batteries}
    ref_light = {g.id: g.luminaires for g in reference.lighting}
    errors = [
        f"pv {p.id}: {p.kwp} kWp here, {ref_pv[p.id]} kWp in the reference"
        for p in district.pv
        if p.id in ref_pv and not math.isclose(p.kwp, ref_pv[p.id])
    ] + [
        f"battery {b.id}: {b.capacity_kwh} kWh / {b.power_kw} kW here, "
        f"{ref_bat[b.id][0]} kWh / {ref_bat[b.id][1]} kW in the reference"
        for b in district.batteries
        if b.id in ref_bat and not np.allclose((b.capacity_kwh, b.power_kw), ref_bat[b.id])
    ]
    if errors:
        raise InputDataError(
            "reference: same id, different size, so the added investment is unclear ("
            + "; ".join(errors)
            + "); give new ids to new systems or compare without a reference"
        )
    new_bats = [b for b in district.batteries if b.id not in ref_bat]
    return InvestmentItems(
        pv_kwp=tuple(p.kwp for p in district.pv if p.id not in ref_pv),
        battery_kwh=tuple(b.capacity_kwh for b in new_bats),
        battery_kw=tuple(b.power_kw for b in new_bats),
        luminaires=sum(max(g.luminaires - ref_light.get(g.id, 0), 0) for g in district.lighting),
    )


def scenario_economics(
    result: ScenarioResult,
    district: District,
    assumptions: EconomicAssumptions | None = None,
    reference: tuple[ScenarioResult, District] | None = None,
) -> dict[str, Any]:
    """Economics of one scenario, whole-system or incremental (module docstring).

    Parameters
    ----------
    result, district
        The scenario's result and district.
    assumptions
        Economic assumptions; German defaults if omitted.
    reference
        ``(result, district)`` of the reference scenario for the incremental
        view; ``None`` for the whole-system view against nothing built.
    """
    kpis = result.kpis["optimised"]
    if reference is None:
        items = investment_items_from_district(district)
        base = nothing_built_kpis(result)
        view = f"whole system against {COMPARISON_LABELS[NOTHING_BUILT]}"
    else:
        ref_result, ref_district = reference
        if not ref_result.schedule.index.equals(result.schedule.index):
            raise InputDataError(
                "reference: its horizon differs from the scenario's; run both with the "
                "same start, days and resolution"
            )
        items = added_items(district, ref_district)
        base = ref_result.kpis["optimised"]
        view = "incremental against the reference scenario"
    out = appraise(
        items,
        base["cost_eur"] - kpis["cost_eur"],
        horizon_hours(result),
        kpis["e_generation_kwh"] - base["e_generation_kwh"],
        assumptions,
        horizon_label=result_horizon_label(result),
    )
    out["view"] = view
    out["items"] = dataclasses.asdict(items)
    return out


def result_horizon_label(result: ScenarioResult) -> str:
    """Return the horizon of a result in words (``7 days (2025-06-02..2025-06-08)``)."""
    recorded = result.metadata.get("horizon", {})
    if "label" in recorded:
        return str(recorded["label"])
    return horizon_label(result.schedule.index, recorded.get("timezone", "Europe/Berlin"))


# -- the comparison ------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """N scenarios side by side.

    Attributes
    ----------
    frame
        Rows: indicator keys (:func:`row_info` gives label and unit); columns:
        scenario names. Fractions as fractions, savings positive when saved.
    economics
        Per scenario the full :func:`scenario_economics` dict.
    reference
        Name of the reference scenario of the incremental view, or None.
    assumptions
        The economic assumptions used.
    info
        Licence and provenance (:func:`energy.report.exports.export_info`).
    """

    frame: pd.DataFrame
    economics: dict[str, dict[str, Any]]
    reference: str | None
    assumptions: EconomicAssumptions
    info: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: rows with label, unit and a value per scenario, economics, notes."""
        labels = row_info()
        rows = [
            {
                "key": key,
                "label": labels[key][0],
                "unit": labels[key][1],
                "values": {str(c): self.frame.loc[key, c] for c in self.frame.columns},
            }
            for key in self.frame.index
        ]
        return json_safe(
            {
                **self.info,
                "scenarios": [str(c) for c in self.frame.columns],
                "economic_reference": self.reference or "nothing built",
                "assumptions": dataclasses.asdict(self.assumptions),
                "notes": [*NOTES, *self.annual_notes()],
                "rows": rows,
                "economics": self.economics,
            }
        )

    def annual_notes(self) -> list[str]:
        """One line per scenario whose annual figures are extrapolated from a short horizon."""
        return [
            f"{name}: annual figures (annual savings, NPV, IRR, payback, LCOE) "
            f"extrapolated_from: {econ['extrapolated_from']}"
            for name, econ in self.economics.items()
            if econ.get("extrapolated_from")
        ]

    def write(self, out_dir: Path) -> list[Path]:
        """Write ``comparison.csv`` (with licence header lines) and ``comparison.json``."""
        out = Path(out_dir)
        labels = row_info()
        frame = self.frame.copy()
        frame.insert(0, "unit", [labels[k][1] for k in frame.index])
        frame.insert(0, "label", [labels[k][0] for k in frame.index])
        frame.insert(0, "key", frame.index)
        lines = [*header_lines(self.info), *NOTES, *self.annual_notes()]
        return [
            write_csv_with_header(frame, out / "comparison.csv", lines),
            write_json(self.to_dict(), out / "comparison.json"),
        ]


#: Notes carried in every export of a comparison.
NOTES = [
    "savings vs B1 (headline), B0 (reference) and nothing_built: comparison minus scenario on "
    "the same inputs, positive = the scenario is better; self-sufficiency gained in "
    "percentage points (docs/definitions.md)",
    *(f"{name}: {label}" for name, label in COMPARISON_LABELS.items()),
    "economics: whole-system view against nothing built (no PV, no battery, lighting S0), "
    "or incremental against the named reference scenario (energy.analysis.compare)",
    "annual figures: from a whole year; a shorter horizon is scaled by 8760 h / horizon "
    "hours and flagged with extrapolated_from",
]


def compare(
    results: Mapping[str, ScenarioResult],
    districts: Mapping[str, District],
    assumptions: EconomicAssumptions | None = None,
    reference: str | None = None,
) -> Comparison:
    """Compare scenarios: KPIs, savings against B0 and B1, economics.

    Parameters
    ----------
    results
        Scenario name -> result (with baselines), in the order of the columns.
    districts
        Scenario name -> the district the result was run on (for the
        investment items); one for every result.
    assumptions
        Economic assumptions; German defaults if omitted.
    reference
        Name of the reference scenario for the incremental economic view;
        ``None``: whole-system view against nothing built (module docstring).

    Raises
    ------
    InputDataError
        No results, a result without its district, an unknown reference, or
        a reference with a different horizon.
    """
    if not results:
        raise InputDataError("results: empty; give at least one scenario")
    missing = [name for name in results if name not in districts]
    if missing:
        raise InputDataError(f"districts: no district for the scenarios {missing}")
    if reference is not None and reference not in results:
        raise InputDataError(
            f"reference: {reference!r} is not a scenario; allowed: {list(results)}"
        )
    a = assumptions or EconomicAssumptions()
    columns: dict[str, dict[str, Any]] = {}
    economics: dict[str, dict[str, Any]] = {}
    for name, result in results.items():
        col: dict[str, Any] = {"horizon_h": horizon_hours(result)}
        col.update({k: result.kpis["optimised"][k] for k, _, _ in KPI_ROWS})
        for base in COMPARISONS:
            saved = result_savings(result, base)
            for key, _, _ in SAVING_ROWS:
                col[f"{key}_vs_{base}"] = saved[key]
        ref = None if reference is None else (results[reference], districts[reference])
        econ = scenario_economics(result, districts[name], a, ref)
        col.update({k: econ[k] for k, _, _ in ECONOMIC_ROWS})
        columns[str(name)] = col
        economics[str(name)] = econ
    frame = pd.DataFrame(columns, dtype=object)
    first = next(iter(results.values()))
    names = ", ".join(map(str, results))
    info = export_info(
        first.metadata,
        source=f"comparison of scenarios {names} (energy.analysis.compare); "
        f"first: {export_info(first.metadata)['source']}",
    )
    for result in results.values():
        for item in export_info(result.metadata)["data_licences"]:
            if item not in info["data_licences"]:
                info["data_licences"].append(item)
    logger.debug("compared %d scenarios (reference %s)", len(results), reference)
    return Comparison(
        frame=frame, economics=economics, reference=reference, assumptions=a, info=info
    )
