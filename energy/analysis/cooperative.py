"""A citizen-energy cooperative's view: a project's investment, savings and NPV by member.

:func:`split_by_members` divides a project among the members of a
cooperative in proportion to their shares, with the cash flows of
:mod:`energy.analysis.economics`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypedDict

from energy.analysis.economics import (
    EconomicAssumptions,
    ProjectComponent,
    cash_flows,
    savings_by_year,
)
from energy.analysis.finance import check_number, npv, payback_years
from energy.errors import InputDataError

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
