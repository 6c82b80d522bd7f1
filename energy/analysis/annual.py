"""Annual figures: from a horizon (or representative days) to EUR a year, NPV, payback, LCOE.

Annual figures (EUR/a, NPV, IRR, payback, LCOE) come from a whole year, or
from representative days chosen by a documented method
(:mod:`energy.studies.representative`), never silently from one week scaled
up: a horizon shorter than a year is scaled by ``8760 h / horizon hours`` and
every annual figure of it carries ``extrapolated_from`` (e.g. ``"7 days
(2025-06-02..2025-06-08)"``), in the library's records, the API, the CLI and
CSV headers. The appraisal itself is :func:`energy.analysis.economics.evaluate`
(NPV with replacements and residual value, IRR, simple and discounted
payback); the PV's LCOE is :func:`energy.analysis.finance.lcoe` over the PV
lifetime with the annual PV generation (after curtailment).
"""

from __future__ import annotations

from typing import Any

from energy.analysis.economics import EconomicAssumptions, InvestmentItems, evaluate
from energy.analysis.finance import lcoe
from energy.errors import InputDataError
from energy.timeindex import HOURS_PER_YEAR, YEAR_MIN_HOURS

#: Where annual figures come from (the values of ``annual_basis``).
FULL_YEAR = "full year"
EXTRAPOLATED = "extrapolated"


def annualisation(horizon_h: float, horizon_label: str | None = None) -> tuple[float, str | None]:
    """Return the horizon-to-year factor ``8760 / horizon_h`` and what it extrapolates from.

    The second value is None for a horizon of a whole year (at least
    :data:`YEAR_MIN_HOURS`); otherwise the text every annual figure of that
    horizon carries as ``extrapolated_from``: ``horizon_label`` (e.g. ``7 days
    (2025-06-02..2025-06-08)``, :func:`energy.scenario.horizon_label`), else
    the hours.
    """
    if not horizon_h > 0:
        raise InputDataError(f"horizon_h: {horizon_h} h is not allowed; it must be > 0")
    if horizon_h >= YEAR_MIN_HOURS:
        return HOURS_PER_YEAR / horizon_h, None
    return HOURS_PER_YEAR / horizon_h, horizon_label or f"{horizon_h:g} h"


def appraise_annual(
    items: InvestmentItems,
    annual_savings_eur: float,
    annual_generation_kwh: float,
    assumptions: EconomicAssumptions | None = None,
    annual_basis: str = FULL_YEAR,
    extrapolated_from: str | None = None,
) -> dict[str, Any]:
    """Appraise an investment from annual savings: NPV, IRR, payback and the PV's LCOE.

    Parameters
    ----------
    items
        What is bought.
    annual_savings_eur
        First-year savings against the economic reference [EUR/year].
    annual_generation_kwh
        PV generation the investment brings in a year [kWh/year] (for the LCOE).
    assumptions
        Prices, lifetimes, rate; German defaults if omitted.
    annual_basis
        Where the annual figures come from: ``full year``, ``representative
        days (...)`` (:mod:`energy.studies.representative`) or ``extrapolated``.
    extrapolated_from
        The short horizon the figures were scaled from (None if they were not).

    Returns
    -------
    dict
        The rows of :data:`energy.analysis.compare.ECONOMIC_ROWS` and ``appraisal`` (the
        full :class:`Appraisal`, with cash flows).
    """
    a = assumptions or EconomicAssumptions()
    appraisal = evaluate(items, annual_savings_eur, a)
    capex = appraisal["capex_by_component_eur"]
    lcoe_pv = (
        lcoe(
            capex["pv"],
            capex["pv"] * a.pv_opex_frac_per_year,
            annual_generation_kwh,
            a.discount_rate_frac,
            a.pv_lifetime_years,
        )
        if capex["pv"] > 0 and annual_generation_kwh > 0
        else None
    )
    return {
        "capex_eur": appraisal["capex_eur"],
        "capex_pv_eur": capex["pv"],
        "capex_battery_eur": capex["battery"],
        "capex_controllers_eur": capex["controllers"],
        "opex_eur_per_year": appraisal["opex_eur_per_year"],
        "annual_savings_eur": annual_savings_eur,
        "annual_basis": annual_basis,
        "extrapolated_from": extrapolated_from,
        "annual_savings_is_estimate": extrapolated_from is not None,
        "npv_eur": appraisal["npv_eur"],
        "irr_frac": appraisal["irr_frac"],
        "payback_simple_years": appraisal["payback_simple_years"],
        "payback_discounted_years": appraisal["payback_discounted_years"],
        "lcoe_pv_eur_per_kwh": lcoe_pv,
        "appraisal": appraisal,
    }


def appraise(
    items: InvestmentItems,
    horizon_savings_eur: float,
    horizon_h: float,
    generation_kwh: float,
    assumptions: EconomicAssumptions | None = None,
    horizon_label: str | None = None,
) -> dict[str, Any]:
    """Appraise an investment from the savings of a horizon: the one appraisal of runs.

    The horizon's savings become annual ones (:func:`annualisation`) and are
    appraised by :func:`appraise_annual`. A horizon of a full year gives the
    annual figures directly; a shorter one scales them up and flags every one
    with ``extrapolated_from`` (one week carries that week's weather and
    prices: a June week overstates PV, a January week understates it). For
    annual figures without a full-year run use representative days
    (:mod:`energy.studies.representative`). :mod:`energy.analysis.compare` and
    the sweeps of :mod:`energy.studies.sweep` score through it.

    Parameters
    ----------
    items
        What is bought.
    horizon_savings_eur
        Savings against the economic reference over the horizon [EUR].
    horizon_h
        Length of the horizon [h].
    generation_kwh
        PV generation the investment brings in the horizon [kWh] (for the LCOE).
    assumptions
        Prices, lifetimes, rate; German defaults if omitted.
    horizon_label
        The horizon in words (:func:`energy.scenario.horizon_label`), named by
        ``extrapolated_from``.

    Returns
    -------
    dict
        :func:`appraise_annual`'s, plus ``horizon_savings_eur`` and
        ``annualisation_factor``.
    """
    factor, extrapolated = annualisation(horizon_h, horizon_label)
    out = appraise_annual(
        items,
        horizon_savings_eur * factor,
        generation_kwh * factor,
        assumptions,
        annual_basis=FULL_YEAR if extrapolated is None else EXTRAPOLATED,
        extrapolated_from=extrapolated,
    )
    return {"horizon_savings_eur": horizon_savings_eur, "annualisation_factor": factor, **out}
