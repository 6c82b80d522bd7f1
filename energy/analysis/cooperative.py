"""A citizen-energy cooperative's view: a project's investment, savings and NPV by member.

:func:`split_by_members` divides a project among the members of a
cooperative in proportion to their shares, with the cash flows of
:mod:`energy.analysis.economics`. :func:`run_members` does the same for a
scenario run (its whole-system economics, :func:`member_returns`), with the
members read from CSV by :func:`read_members_csv`; ``energy members`` and
``GET /runs/{id}/members`` show it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from energy.analysis.compare import scenario_economics
from energy.analysis.economics import (
    EconomicAssumptions,
    ProjectComponent,
    cash_flows,
    evaluate,
    investment_items_from_district,
    savings_by_year,
)
from energy.analysis.finance import check_number, npv, payback_years
from energy.district import District
from energy.errors import InputDataError
from energy.scenario import ScenarioResult

#: Relative tolerance when checking that member shares add up.
SHARE_SUM_RTOL = 1e-6


class MemberEconomics(TypedDict):
    """One member's row of :func:`split_by_members`."""

    member: str
    share_frac: float
    investment_eur: float
    annual_savings_eur: float
    annual_opex_eur: float
    npv_eur: float
    payback_simple_years: float | None
    payback_discounted_years: float | None


def _share_fractions(
    member_shares: Mapping[str, float], total_investment_eur: float
) -> dict[str, float]:
    """Return each member's fraction (shares: fractions summing to 1 or EUR to the total)."""
    if not member_shares:
        raise InputDataError("member_shares: empty; it needs at least one member")
    values = {
        str(m): check_number(f"member_shares[{m!r}]", v, ge=0) for m, v in member_shares.items()
    }
    total = math.fsum(values.values())
    if math.isclose(total, 1.0, rel_tol=SHARE_SUM_RTOL):
        return {m: v / total for m, v in values.items()}
    if total > 0.0 and math.isclose(total, total_investment_eur, rel_tol=SHARE_SUM_RTOL):
        return {m: v / total for m, v in values.items()}
    raise InputDataError(
        f"member_shares: the shares add up to {total:g}; as fractions they must add up to 1, "
        f"as EUR contributions to total_investment_eur = {total_investment_eur:g} EUR"
    )


def split_by_members(
    total_investment_eur: float,
    annual_savings_eur: float | Sequence[float],
    member_shares: Mapping[str, float],
    assumptions: EconomicAssumptions | None = None,
    annual_opex_eur: float = 0.0,
) -> list[MemberEconomics]:
    """Split a cooperative project's investment, savings and costs by member shares.

    Each member pays its share of the investment in year 0 and receives the
    same share of the savings and bears the same share of the operating costs
    every year of ``assumptions.horizon_years``. The whole investment is
    treated as one asset that lasts the horizon (no replacements, no residual
    value); for a project with replacements, take :func:`evaluate`'s
    ``npv_eur`` times ``share_frac`` (the NPV is linear in the shares). Because
    everything scales with the share, every member has the project's payback
    time; NPV and savings scale with the share.

    Parameters
    ----------
    total_investment_eur
        Investment of the project [EUR], >= 0.
    annual_savings_eur
        Savings of the first year [EUR/year] (escalated as in :func:`evaluate`),
        or one value per year of the horizon [EUR].
    member_shares
        Member name -> fraction (all adding up to 1) or EUR contributed (adding
        up to ``total_investment_eur``), within a relative 1e-6.
    assumptions
        Discount rate, escalation and horizon; German defaults if omitted.
    annual_opex_eur
        Operating cost of the project per year [EUR/year], >= 0.

    Returns
    -------
    list of MemberEconomics
        One row per member, in the order given: ``share_frac``,
        ``investment_eur``, ``annual_savings_eur`` (first year),
        ``annual_opex_eur``, ``npv_eur`` and the simple and discounted payback
        [years] (``None`` if not repaid within the horizon).
    """
    a = assumptions or EconomicAssumptions()
    total = check_number("total_investment_eur", total_investment_eur, unit="EUR", ge=0)
    opex = check_number("annual_opex_eur", annual_opex_eur, unit="EUR/year", ge=0)
    fractions = _share_fractions(member_shares, total)
    savings = savings_by_year(annual_savings_eur, a)
    project = ProjectComponent("investment", total, opex, a.horizon_years)
    flows, operating, _, _ = cash_flows([project], savings, a.horizon_years)
    r = a.discount_rate_frac
    rows: list[MemberEconomics] = []
    for member, f in fractions.items():
        rows.append(
            {
                "member": member,
                "share_frac": f,
                "investment_eur": f * total,
                "annual_savings_eur": f * savings[0],
                "annual_opex_eur": f * opex,
                "npv_eur": npv(r, [f * cf for cf in flows]),
                "payback_simple_years": payback_years(f * total, [f * x for x in operating]),
                "payback_discounted_years": payback_years(
                    f * total, [f * x for x in operating], rate=r
                ),
            }
        )
    return rows


# -- members of a scenario run ----------------------------------------------------------------
#: Columns of a members CSV (``member``, ``share``); ``#`` lines are comments.
MEMBER_COLUMNS = ("member", "share")
#: Most members one list may hold.
MAX_MEMBERS = 10_000


class MemberReturn(TypedDict):
    """One member's row of :func:`member_returns` (annual figures per year of operation)."""

    member: str
    share_frac: float
    investment_eur: float
    annual_savings_eur: float
    annual_opex_eur: float
    annual_return_eur: float
    return_frac_per_year: float | None
    npv_eur: float
    payback_simple_years: float | None
    payback_discounted_years: float | None
    energy_kwh_per_year: float


def read_members_csv(text: str) -> dict[str, float]:
    """Read a members list: CSV with the header ``member,share``, one member per row.

    ``share`` is a fraction (all adding up to 1) or EUR contributed (adding up
    to the investment); :func:`member_returns` checks the sum. Blank lines and
    lines starting with ``#`` are skipped.

    Raises
    ------
    InputDataError
        No header, a missing or repeated member, a share that is not a number
        >= 0, or more than :data:`MAX_MEMBERS` rows; the message names the line
        and the field. Nothing is accepted from a list with an error.
    """
    lines = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines or [c.strip().lower() for c in lines[0][1].split(",")] != list(MEMBER_COLUMNS):
        raise InputDataError("members: the first line must be the header 'member,share'")
    if len(lines) - 1 > MAX_MEMBERS:
        raise InputDataError(f"members: {len(lines) - 1} rows; at most {MAX_MEMBERS} members")
    shares: dict[str, float] = {}
    for n, line in lines[1:]:
        cells = [c.strip() for c in line.rsplit(",", 1)]
        if len(cells) != 2 or not cells[0]:
            raise InputDataError(f"members: line {n}: member: missing in {line!r}")
        name, value = cells
        if name in shares:
            raise InputDataError(f"members: line {n}: member: {name!r} appears twice")
        try:
            share = float(value)
        except ValueError:
            raise InputDataError(f"members: line {n}: share: {value!r} is not a number") from None
        shares[name] = check_number(f"members: line {n}: share", share, ge=0)
    if not shares:
        raise InputDataError("members: no member rows below the header")
    return shares


def member_returns(
    economics: Mapping[str, Any], annual_generation_kwh: float, member_shares: Mapping[str, float]
) -> dict[str, Any]:
    """Split a scenario's annual economics among the members of a cooperative.

    Every figure of the project scales with a member's share ``f``: the
    investment ``f capex``, the first-year savings and operating costs, the
    annual return ``f (savings - opex)`` [EUR/year] and the NPV (linear in the
    cash flows, replacements included); the return per year of the invested
    money and the payback times are those of the project for every member.
    The energy is the member's part of the PV generation of a year
    ``f E_pv`` [kWh/year]. The members' figures add up to the project's
    (``total``).

    Parameters
    ----------
    economics
        Whole-system economics of the run
        (:func:`energy.analysis.compare.scenario_economics`): ``capex_eur``,
        ``annual_savings_eur``, ``opex_eur_per_year``, ``npv_eur``, the two
        paybacks, ``annual_basis``, ``extrapolated_from``.
    annual_generation_kwh
        PV generation of a year [kWh/year] (annualised like the savings).
    member_shares
        Member -> fraction (adding up to 1) or EUR (adding up to ``capex_eur``),
        within a relative 1e-6.

    Raises
    ------
    InputDataError
        The shares do not add up (the message gives their sum).
    """
    capex = float(economics["capex_eur"])
    savings = float(economics["annual_savings_eur"])
    opex = float(economics["opex_eur_per_year"])
    fractions = _share_fractions(member_shares, capex)
    net = savings - opex
    rows: list[MemberReturn] = [
        {
            "member": m,
            "share_frac": f,
            "investment_eur": f * capex,
            "annual_savings_eur": f * savings,
            "annual_opex_eur": f * opex,
            "annual_return_eur": f * net,
            "return_frac_per_year": net / capex if capex > 0 else None,
            "npv_eur": f * float(economics["npv_eur"]),
            "payback_simple_years": economics["payback_simple_years"],
            "payback_discounted_years": economics["payback_discounted_years"],
            "energy_kwh_per_year": f * annual_generation_kwh,
        }
        for m, f in fractions.items()
    ]
    summed = ("investment_eur", "annual_savings_eur", "annual_opex_eur", "annual_return_eur")
    total = {
        k: math.fsum(float(r[k]) for r in rows)  # type: ignore[literal-required]
        for k in (*summed, "npv_eur", "energy_kwh_per_year")
    }
    return {
        "members": rows,
        "total": total,
        "project": {
            "capex_eur": capex,
            "annual_savings_eur": savings,
            "opex_eur_per_year": opex,
            "annual_return_eur": net,
            "npv_eur": float(economics["npv_eur"]),
            "energy_kwh_per_year": annual_generation_kwh,
        },
        "annual_basis": economics.get("annual_basis"),
        "extrapolated_from": economics.get("extrapolated_from"),
    }


def run_members(
    result: ScenarioResult,
    district: District,
    member_shares: Mapping[str, float],
    assumptions: EconomicAssumptions | None = None,
) -> dict[str, Any]:
    """Each member's annual return, NPV, payback and energy of a scenario run.

    The project is the whole system of the run's district against nothing
    built (:func:`energy.analysis.compare.scenario_economics`, the economics
    ``/compare`` shows); a run shorter than a year has its annual figures
    scaled up and flagged (``annual_basis``, ``extrapolated_from``).
    :func:`member_returns` splits it.
    """
    economics = scenario_economics(result, district, assumptions)
    generation = result.kpis["optimised"]["e_generation_kwh"] * economics["annualisation_factor"]
    return member_returns(economics, generation, member_shares)


def check_member_shares(
    member_shares: Mapping[str, float],
    district: District,
    assumptions: EconomicAssumptions | None = None,
) -> dict[str, float]:
    """Return each member's fraction, checking that the shares add up for ``district``.

    Fractions must add up to 1, EUR contributions to the investment in the
    whole district (:func:`energy.analysis.economics.evaluate` of
    :func:`~energy.analysis.economics.investment_items_from_district`), the
    project :func:`run_members` splits.

    Raises
    ------
    InputDataError
        The shares do not add up (the message gives their sum and the investment).
    """
    capex = evaluate(investment_items_from_district(district), 0.0, assumptions)["capex_eur"]
    return _share_fractions(member_shares, capex)
