"""Investment formulas on plain numbers: annuity, NPV, payback, LCOE, IRR.

Pure functions; every argument is range-checked and a bad one raises
:class:`~energy.errors.InputDataError` naming it, its value and what is
allowed. Conventions (real money, yearly flows at the end of each year, year
0 the investment) and references are those of :mod:`energy.analysis.economics`,
which appraises investments with them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from scipy.optimize import brentq
from typing_extensions import TypeIs

from energy.errors import InputDataError


# -- range checks --------------------------------------------------------------------------
def check_number(
    name: str,
    value: Any,
    *,
    unit: str = "",
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    integer: bool = False,
) -> float:
    """Return ``value`` as float, or raise InputDataError naming ``name`` and the allowed range."""
    unit_txt = f" {unit}" if unit else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputDataError(f"{name}: {value!r} is not allowed; it must be a number{unit_txt}")
    number = float(value)
    limits = []
    if gt is not None:
        limits.append(f"> {gt:g}")
    if ge is not None:
        limits.append(f">= {ge:g}")
    if le is not None:
        limits.append(f"<= {le:g}")
    allowed = (" and ".join(limits) or "finite") + unit_txt
    if integer:
        allowed = "a whole number " + allowed
    bad = (
        not math.isfinite(number)
        or (gt is not None and not number > gt)
        or (ge is not None and not number >= ge)
        or (le is not None and not number <= le)
        or (integer and number != round(number))
    )
    if bad:
        raise InputDataError(f"{name}: {value!r} is not allowed; it must be {allowed}")
    return number


def is_number(value: float | Sequence[float]) -> TypeIs[float]:
    """Tell a single number from a sequence of yearly values."""
    return isinstance(value, numbers.Real)


def check_rate(name: str, rate: Any) -> float:
    """Check a yearly rate [fraction per year]: > -1 (at -100 % nothing has a present value)."""
    return check_number(name, rate, unit="(fraction per year)", gt=-1.0, le=10.0)


def check_years(name: str, years: Any) -> int:
    """Check a whole number of years, 1..200."""
    return int(check_number(name, years, unit="years", ge=1, le=200, integer=True))


# -- formulas ------------------------------------------------------------------------
def annuity_factor(rate: float, years: float) -> float:
    r"""Capital recovery (annuity) factor [1/year].

    .. math:: a = \frac{r (1+r)^n}{(1+r)^n - 1}, \qquad a = 1/n \text{ for } r = 0

    Computed as ``r + r / expm1(n log1p(r))``, which is the same expression and
    accurate for small ``r`` (VDI 2067-1; Konstantin 2017, ch. 2).

    Parameters
    ----------
    rate
        Discount rate [fraction per year], > -1.
    years
        Number of yearly payments [years], > 0.

    Returns
    -------
    float
        Yearly payment that repays a principal of 1 over ``years`` [1/year].
    """
    r = check_rate("rate", rate)
    n = check_number("years", years, unit="years", gt=0, le=1000)
    if r == 0.0:
        return 1.0 / n
    return r + r / math.expm1(n * math.log1p(r))


def annualised_capex(capex_eur: float, rate: float, lifetime_years: float) -> float:
    """Equivalent yearly cost of an investment over its lifetime [EUR/year].

    ``capex_eur * annuity_factor(rate, lifetime_years)``.
    """
    capex = check_number("capex_eur", capex_eur, unit="EUR", ge=0)
    return capex * annuity_factor(rate, lifetime_years)


def npv(rate: float, cash_flows: Sequence[float]) -> float:
    r"""Net present value [EUR] of yearly cash flows, year 0 first.

    .. math:: NPV = \sum_{t=0}^{N} \frac{CF_t}{(1+r)^t}

    Parameters
    ----------
    rate
        Discount rate [fraction per year], > -1.
    cash_flows
        ``CF_0, CF_1, ...`` [EUR]; ``CF_t`` falls at the end of year ``t``.
    """
    r = check_rate("rate", rate)
    if len(cash_flows) == 0:
        raise InputDataError("cash_flows: empty; it needs at least the year-0 value")
    flows = [check_number(f"cash_flows[{t}]", cf, unit="EUR") for t, cf in enumerate(cash_flows)]
    return math.fsum(cf / (1.0 + r) ** t for t, cf in enumerate(flows))


def payback_years(
    investment_eur: float,
    annual_savings_eur: float | Sequence[float],
    rate: float | None = None,
    horizon_years: int | None = None,
) -> float | None:
    """Years until the (discounted) savings repay an investment made in year 0.

    The cumulative savings are evaluated at the end of each year; the payback
    year is interpolated linearly within the year in which the cumulative sum
    first reaches the investment. With ``rate=None`` this is the simple
    (static) payback; with a rate, each year's savings are discounted by
    ``(1 + rate)**t`` first (dynamic payback).

    Parameters
    ----------
    investment_eur
        Investment in year 0 [EUR], >= 0.
    annual_savings_eur
        Constant savings per year [EUR/year], or one value for each year 1, 2, ...
        [EUR] (its length is then the horizon).
    rate
        Discount rate [fraction per year]; ``None`` for the simple payback.
    horizon_years
        Years to look at (the lifetime) for constant savings; ``None``: no limit.
        Not allowed together with a sequence of savings.

    Returns
    -------
    float or None
        Payback time [years], ``None`` when the investment is never repaid
        within the horizon (or ever, without one). 0 for a zero investment.

    Examples
    --------
    >>> payback_years(1000.0, 300.0)  # 1000 / 300
    3.3333333333333335
    """
    investment = check_number("investment_eur", investment_eur, unit="EUR", ge=0)
    r = 0.0 if rate is None else check_rate("rate", rate)
    if investment == 0.0:
        return 0.0
    if is_number(annual_savings_eur):
        saving = check_number("annual_savings_eur", annual_savings_eur, unit="EUR/year")
        if horizon_years is not None:
            horizon = check_years("horizon_years", horizon_years)
        else:
            # Without a horizon, look only as far as the year the payback must lie in.
            # Discounted: a perpetuity of S is worth S / r, so it is never repaid if
            # S <= I r; otherwise the closed form n = -ln(1 - I r / S) / ln(1 + r).
            if saving <= 0.0 or (r > 0.0 and saving <= investment * r):
                return None
            n_closed = (
                investment / saving
                if r == 0.0
                else -math.log1p(-investment * r / saving) / math.log1p(r)
            )
            horizon = math.ceil(n_closed) + 1
        savings = [saving] * horizon
    else:
        if horizon_years is not None:
            raise InputDataError(
                "horizon_years: give it only with constant annual_savings_eur; a sequence "
                f"of savings sets the horizon by its length ({len(annual_savings_eur)})"
            )
        savings = [
            check_number(f"annual_savings_eur[{i}]", s, unit="EUR")
            for i, s in enumerate(annual_savings_eur)
        ]
    cumulative = 0.0
    for year, saving_t in enumerate(savings, start=1):
        value_t = saving_t / (1.0 + r) ** year
        if cumulative + value_t >= investment and value_t > 0.0:
            return year - 1 + (investment - cumulative) / value_t
        cumulative += value_t
    return None


def lcoe(
    capex_eur: float,
    opex_eur_per_year: float,
    energy_kwh_per_year: float,
    rate: float,
    years: int,
    degradation_frac_per_year: float = 0.0,
) -> float:
    r"""Levelised cost of energy [EUR/kWh]: discounted costs over discounted energy.

    .. math::
        LCOE = \frac{I_0 + \sum_{t=1}^{n} \frac{A_t}{(1+r)^t}}
                    {\sum_{t=1}^{n} \frac{E_1 (1-d)^{t-1}}{(1+r)^t}}

    Fraunhofer ISE, "Stromgestehungskosten erneuerbare Energien", July 2024,
    section "Methodik" (the same definition). Without degradation this is
    ``(I_0 a + A) / E`` with the annuity factor ``a``.

    Parameters
    ----------
    capex_eur
        Investment in year 0 [EUR], >= 0.
    opex_eur_per_year
        Constant yearly operating cost [EUR/year], >= 0.
    energy_kwh_per_year
        Energy in the first year [kWh/year], > 0.
    rate
        Discount rate [fraction per year], > -1.
    years
        Lifetime [years], a whole number >= 1.
    degradation_frac_per_year
        Relative yearly loss of output [fraction per year], 0..<1 (PV modules
        typically lose about 0.5 %/a).
    """
    capex = check_number("capex_eur", capex_eur, unit="EUR", ge=0)
    opex = check_number("opex_eur_per_year", opex_eur_per_year, unit="EUR/year", ge=0)
    energy = check_number("energy_kwh_per_year", energy_kwh_per_year, unit="kWh/year", gt=0)
    r = check_rate("rate", rate)
    n = check_years("years", years)
    d = check_number("degradation_frac_per_year", degradation_frac_per_year, ge=0, le=0.5)
    discount = [(1.0 + r) ** -t for t in range(1, n + 1)]
    costs = capex + opex * math.fsum(discount)
    energy_disc = math.fsum(
        energy * (1.0 - d) ** (t - 1) * discount[t - 1] for t in range(1, n + 1)
    )
    return costs / energy_disc


def irr(cash_flows: Sequence[float]) -> float | None:
    """Return the internal rate of return [fraction per year], the rate at which NPV = 0.

    Searched by Brent's bracketing method (:func:`scipy.optimize.brentq`)
    between -99 % and +1000 % a year. ``None`` when the NPV does not change sign
    there (e.g. the savings never repay the investment, or all flows have one
    sign). For flows with several sign changes the root found is one of several.
    """
    lo, hi = -0.99, 10.0
    f_lo, f_hi = npv(lo, cash_flows), npv(hi, cash_flows)
    if f_lo == 0.0:
        return lo
    if f_lo * f_hi > 0.0:
        return None
    return float(brentq(lambda r: npv(r, cash_flows), lo, hi, xtol=1e-12, rtol=1e-12))
