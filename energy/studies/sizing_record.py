"""What a sizing says about itself: notes in words and the metadata of its result.

:func:`energy.studies.sizing.size_dispatch` solves; this module words the
answer's caveats (:func:`sizing_notes`: a seasonal horizon, a capacity at its
upper bound, a size priced in another size class) and records its provenance
(:func:`sizing_metadata`: licence, horizon and whether annual readings are
extrapolated, the spec, the solver, the timings).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from energy.analysis.annual import EXTRAPOLATED, FULL_YEAR
from energy.optimisation.capacity import Capacities
from energy.optimisation.dispatch import DispatchSolution
from energy.optimisation.solve import highs_version
from energy.serialise import RESULTS_LICENCE
from energy.studies.candidates import SizingSpec
from energy.system import DispatchInputs
from energy.timeindex import YEAR_MIN_HOURS, horizon_label


def sizing_notes(spec: SizingSpec, caps: Capacities, years: float) -> list[str]:
    """Return warnings in words: a seasonal horizon, a capacity at its bound, a price class off."""
    notes: list[str] = []
    if years < 0.99:
        notes.append(
            f"the horizon is {years * 365:.0f} days: the capacities are those that pay if the "
            "whole year looked like it (a seasonal answer); size on a full year or on "
            "representative weeks of every season for an investment decision"
        )
    a = spec.assumptions
    if spec.battery is not None and caps.battery_kwh is not None:
        bat = spec.battery
        notes += _bound_and_price_notes(
            ("battery", "kWh", "class", "capex_eur_per_kwh"),
            caps.battery_kwh,
            (bat.kwh_min, bat.kwh_max),
            bat.capex_eur_per_kwh is None,
            spec.battery_capex_eur_per_kwh,
            a.battery_capex_eur_per_kwh(caps.battery_kwh),
        )
    if spec.pv is not None and caps.pv_kwp is not None:
        pv = spec.pv
        notes += _bound_and_price_notes(
            ("PV system", "kWp", "band", "capex_eur_per_kwp"),
            caps.pv_kwp,
            (pv.kwp_min, pv.kwp_max),
            pv.capex_eur_per_kwp is None,
            spec.pv_capex_eur_per_kwp,
            a.pv_capex_eur_per_kwp(caps.pv_kwp),
        )
    return notes


def sizing_metadata(
    inputs: DispatchInputs,
    spec: SizingSpec,
    solution: DispatchSolution,
    timings: dict[str, float],
) -> dict[str, Any]:
    """Licence, horizon (with ``extrapolated_from`` unless a year), spec, solver, timings.

    A horizon shorter than a year sizes for a year that looks like it (module
    docstring): its label is the ``extrapolated_from`` of every annual reading
    of the result (:mod:`energy.analysis.annual`).
    """
    hours = inputs.n_steps * inputs.dt_h
    label = horizon_label(inputs.index, inputs.timezone)
    return {
        "licence": RESULTS_LICENCE,
        "horizon": {
            "start": str(inputs.index[0]),
            "steps": inputs.n_steps,
            "dt_h": inputs.dt_h,
            "years": inputs.horizon_years,
            "label": label,
        },
        "annual_basis": FULL_YEAR if hours >= YEAR_MIN_HOURS else EXTRAPOLATED,
        "extrapolated_from": None if hours >= YEAR_MIN_HOURS else label,
        "spec": spec_record(spec),
        "solver": {"name": highs_version(), **solution.result.record()},
        "timings_s": timings,
    }


def _bound_and_price_notes(
    names: tuple[str, str, str, str],
    size: float,
    bounds: tuple[float, float],
    default_price: bool,
    price: float,
    price_of_size: float,
) -> list[str]:
    """Return notes on a sized candidate at its upper bound, or priced in another size class.

    ``names``: what (``battery``), its unit, ``class`` or ``band``, the price field.
    """
    what, unit, group, price_field = names
    lo, hi = bounds
    notes = []
    if hi > lo and size >= hi - 1e-6:
        notes.append(
            f"the {what} is at its upper bound of {hi:g} {unit}: a larger one may pay; "
            "raise the bound"
        )
    if default_price and size > 0 and price_of_size != price:
        short = "PV" if what == "PV system" else what
        notes.append(
            f"the {short} was priced at {price:g} EUR/{unit} (the size {group} of {hi:g} "
            f"{unit}), but {size:,.1f} {unit} falls in the {group} priced {price_of_size:g} "
            f"EUR/{unit}; give {price_field} or narrow the bounds"
        )
    return notes


def spec_record(spec: SizingSpec) -> dict[str, Any]:
    """Return the spec as plain data: unit costs, assumptions, candidates (no PV profile)."""
    record: dict[str, Any] = {
        "annual_cost_per_unit": spec.annual_cost_per_unit(),
        "assumptions": dataclasses.asdict(spec.assumptions),
    }
    if spec.pv is not None:
        pv = {k: v for k, v in dataclasses.asdict(spec.pv).items() if k != "profile_kw_per_kwp"}
        record["pv"] = {**pv, "capex_eur_per_kwp": spec.pv_capex_eur_per_kwp}
    if spec.battery is not None:
        record["battery"] = {
            **dataclasses.asdict(spec.battery),
            "capex_eur_per_kwh": spec.battery_capex_eur_per_kwh,
            "capex_eur_per_kw": spec.battery_capex_eur_per_kw,
        }
    return record
