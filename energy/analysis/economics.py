"""Investment appraisal: annuities, NPV, payback, LCOE, and a cooperative's member view.

Pure functions on plain numbers plus two frozen, range-checked parameter
objects: :class:`EconomicAssumptions` (prices, lifetimes, discount rate) and
:class:`InvestmentItems` (what is built). :func:`evaluate` appraises a
scenario's investment against its annual savings; :func:`split_by_members`
divides a project among the members of a citizen-energy cooperative.

Conventions
-----------
* All money is real (constant prices of the base year), in EUR, net of VAT.
  For PV systems up to 30 kWp on dwellings and on buildings used for public
  interest activities (including their batteries) the VAT rate is 0 % since
  1 Jan 2023 (§ 12 Abs. 3 UStG, https://www.gesetze-im-internet.de/ustg_1980/__12.html),
  so net and gross prices coincide there; municipal utilities and cooperatives
  normally deduct input VAT anyway.
* Cash flows are yearly: year 0 is the investment, years 1..N the operation,
  each flow at the END of its year (ordinary annuity). The discount rate is a
  real rate in fraction per year.
* Savings are positive. A "cash flow" list starts with year 0.

The annuity method and the residual value follow VDI 2067 Blatt 1 (2012),
"Wirtschaftlichkeit gebäudetechnischer Anlagen - Grundlagen und
Kostenberechnung", Beuth, and the textbook investment appraisal of e.g.
Konstantin, "Praxisbuch Energiewirtschaft", 4th ed., Springer Vieweg 2017,
ch. 2, https://doi.org/10.1007/978-3-662-49823-1.

Replacements and residual value (in :func:`evaluate`)
-----------------------------------------------------
A component whose lifetime ``L`` is shorter than the horizon ``N`` is bought
again, at its original real price, in years ``L, 2L, ...`` below ``N``. At the
end of the horizon the last unit bought still has ``(t_last + L - N)`` of its
``L`` years left; it is credited in year ``N`` with the straight-line residual
value ``capex * (t_last + L - N) / L`` (VDI 2067-1, residual value with no
real price change). A component that outlives the horizon (``L > N``) gets the
same credit for its unused years. Example: a battery of 15 years in a
25-year horizon is bought in years 0 and 15, and one third of its price comes
back in year 25.

German default figures (round on purpose; the spread between sources is larger
than any digit after the first two)
--------------------------------------------------------------------------------
PV, turnkey rooftop systems, EUR/kWp net, by system size:
    <= 10 kWp: 1,500; 10-100 kWp: 1,200; > 100 kWp: 900.
    Fraunhofer ISE, "Stromgestehungskosten erneuerbare Energien", July 2024
    (Kost et al.), https://www.ise.fraunhofer.de/de/veroeffentlichungen/studien/
    studie-stromgestehungskosten-erneuerbare-energien.html: rooftop systems up to
    30 kWp 900-1,600 EUR/kWp, ground-mounted systems above 1 MWp 700-900 EUR/kWp.
    Small home systems sit at the upper end of the rooftop range, large roofs
    (schools, halls) between the two ranges. Fraunhofer ISE, "Aktuelle Fakten zur
    Photovoltaik in Deutschland" (H. Wirth, 2025 edition),
    https://www.ise.fraunhofer.de/de/veroeffentlichungen/studien/
    aktuelle-fakten-zur-photovoltaik-in-deutschland.html, shows the time series of
    net end-customer prices of installed 10-100 kWp rooftop systems (price data
    of EUPD Research and BSW-Solar). Uncertainty about +-25 %.
Battery storage, installed with its inverter, EUR/kWh of usable capacity, net:
    home storage (<= 30 kWh): 800; community / commercial storage (> 30 kWh): 500;
    power-related part: 0 EUR/kW (included in the per-kWh figures, which are for
    complete systems with a power of about 0.5-1 kW per kWh).
    The size classes (home storage up to 30 kWh, commercial 30 kWh-1 MWh, large
    above 1 MWh) and the falling price trend are those of the RWTH Aachen storage
    monitoring (Figgener et al., "The development of battery storage systems in
    Germany: a market review", yearly editions, https://www.battery-charts.de).
    The ISE LCOE study (2024, above) spans roughly 400-1,000 EUR/kWh from large to
    small battery systems. Uncertainty about +-30 %.
Street-light controller (a dimming node per LED luminaire, Zhaga/D4i or NEMA
socket, LoRaWAN, NB-IoT or power-line radio), EUR per luminaire installed: 150.
    Manufacturers' node prices are about 50-150 EUR; installation, commissioning
    and a share of gateways and the central management system add to it. No
    representative public German price statistics exist; municipal projects
    report roughly 80-300 EUR per light point depending on whether luminaires or
    drivers are exchanged at the same time. This is an order-of-magnitude
    engineering estimate, uncertainty about -50 %/+100 %: replace it with tender
    prices.
OPEX, fraction of the component's investment per year:
    PV 1.5 %, battery 1.0 %, controllers 3.0 %. PV: the ISE LCOE studies give
    fixed operating costs (maintenance, insurance, monitoring, metering) in
    EUR/kWp a year that amount to about 1.5-2 % of the investment. Battery: a
    rule-of-thumb figure for low-maintenance sealed systems. Controllers: licence
    and connectivity fees of the light-management system of a few EUR per node
    and year (vendors' subscription models). All uncertain by about a factor 1.5.
Lifetimes:
    PV 25 years (the usual 25-year module performance warranty; the ISE LCOE study
    calculates with 25-30 years). Battery 15 years (home storage carries 10-year
    warranties; lithium iron phosphate cells are expected to last longer;
    RWTH storage monitoring above). Controllers 15 years (electronics; LED
    luminaires themselves are planned for about 20-25 years, i.e. 80,000-100,000
    burning hours at about 4,000 h/a).
Discount rate: 4 % a year, real.
    KfW programme 270 "Erneuerbare Energien - Standard" (https://www.kfw.de/270)
    lends for PV and storage at effective nominal rates that were roughly 4-6 % a
    year in 2024/25 for good credit ratings; minus the ECB's 2 % inflation target
    that is about 2-4 % real, and a cooperative's equity expects somewhat more.
    4 % real is a round middle value, not a market quote.
Savings escalation: 0 % a year real (constant real electricity prices). Set it
    to test scenarios with rising or falling real prices.
Horizon: 25 years, the PV lifetime.
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypedDict

from scipy.optimize import brentq
from typing_extensions import TypeIs

from energy.district import District
from energy.errors import InputDataError

logger = logging.getLogger(__name__)

#: Relative tolerance when checking that member shares add up.
SHARE_SUM_RTOL = 1e-6


# -- range checks --------------------------------------------------------------------------
def _check_number(
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


def _is_number(value: float | Sequence[float]) -> TypeIs[float]:
    """Tell a single number from a sequence of yearly values."""
    return isinstance(value, numbers.Real)


def _check_rate(name: str, rate: Any) -> float:
    """Check a yearly rate [fraction per year]: > -1 (at -100 % nothing has a present value)."""
    return _check_number(name, rate, unit="(fraction per year)", gt=-1.0, le=10.0)


def _check_years(name: str, years: Any) -> int:
    """Check a whole number of years, 1..200."""
    return int(_check_number(name, years, unit="years", ge=1, le=200, integer=True))


def _param(default: float, unit: str, **limits: float | bool) -> Any:
    """Declare a dataclass field whose range :meth:`_Checked.__post_init__` enforces."""
    return field(default=default, metadata={"unit": unit, **limits})


@dataclass(frozen=True)
class _Checked:
    """Base of frozen parameter objects: each field is range-checked from its metadata."""

    def __post_init__(self) -> None:
        for f in fields(self):
            if "unit" not in f.metadata:
                continue
            limits = {k: v for k, v in f.metadata.items() if k != "unit"}
            value = _check_number(f.name, getattr(self, f.name), unit=f.metadata["unit"], **limits)
            object.__setattr__(self, f.name, int(value) if limits.get("integer") else value)


# -- parameter objects ---------------------------------------------------------------------
@dataclass(frozen=True)
class EconomicAssumptions(_Checked):
    """Prices, lifetimes and financing of a scenario, with German defaults (real EUR, net).

    The defaults and their sources are listed in the module docstring
    (:mod:`energy.analysis.economics`). Every field is range-checked on construction;
    use :func:`dataclasses.replace` to change one (it checks again).

    Attributes
    ----------
    pv_capex_small_eur_per_kwp, pv_capex_medium_eur_per_kwp, pv_capex_large_eur_per_kwp
        Turnkey PV price [EUR/kWp] of a system up to ``pv_small_max_kwp``, up to
        ``pv_medium_max_kwp``, and above. The band is chosen by the size of each
        system and applies to all of its kWp (published prices are averages over
        systems of a size class), so the total price is not continuous at a band
        limit.
    pv_small_max_kwp, pv_medium_max_kwp
        Upper limits [kWp] of the small and the medium band.
    battery_capex_home_eur_per_kwh, battery_capex_community_eur_per_kwh
        Installed battery price [EUR/kWh] of home storage (up to
        ``battery_home_max_kwh``) and of larger community or commercial storage.
    battery_home_max_kwh
        Largest home storage [kWh].
    battery_capex_eur_per_kw
        Additional price per kW of battery power [EUR/kW].
    controller_capex_eur_per_luminaire
        Dimming controller per luminaire, installed [EUR].
    pv_opex_frac_per_year, battery_opex_frac_per_year, controller_opex_frac_per_year
        Operation and maintenance per year [fraction of the component's capex].
    pv_lifetime_years, battery_lifetime_years, controller_lifetime_years
        Service lives [years].
    discount_rate_frac
        Real discount rate [fraction per year].
    savings_escalation_frac_per_year
        Real yearly change of the savings (electricity price escalation above
        inflation) [fraction per year]; 0 keeps them constant.
    horizon_years
        Appraisal horizon [years].
    """

    pv_capex_small_eur_per_kwp: float = _param(1500.0, "EUR/kWp", ge=0, le=10000)
    pv_capex_medium_eur_per_kwp: float = _param(1200.0, "EUR/kWp", ge=0, le=10000)
    pv_capex_large_eur_per_kwp: float = _param(900.0, "EUR/kWp", ge=0, le=10000)
    pv_small_max_kwp: float = _param(10.0, "kWp", gt=0, le=1e5)
    pv_medium_max_kwp: float = _param(100.0, "kWp", gt=0, le=1e5)
    battery_capex_home_eur_per_kwh: float = _param(800.0, "EUR/kWh", ge=0, le=10000)
    battery_capex_community_eur_per_kwh: float = _param(500.0, "EUR/kWh", ge=0, le=10000)
    battery_home_max_kwh: float = _param(30.0, "kWh", gt=0, le=1e6)
    battery_capex_eur_per_kw: float = _param(0.0, "EUR/kW", ge=0, le=10000)
    controller_capex_eur_per_luminaire: float = _param(150.0, "EUR", ge=0, le=10000)
    pv_opex_frac_per_year: float = _param(0.015, "(fraction of capex per year)", ge=0, le=0.5)
    battery_opex_frac_per_year: float = _param(0.010, "(fraction of capex per year)", ge=0, le=0.5)
    controller_opex_frac_per_year: float = _param(
        0.030, "(fraction of capex per year)", ge=0, le=0.5
    )
    pv_lifetime_years: int = _param(25, "years", ge=1, le=100, integer=True)
    battery_lifetime_years: int = _param(15, "years", ge=1, le=100, integer=True)
    controller_lifetime_years: int = _param(15, "years", ge=1, le=100, integer=True)
    discount_rate_frac: float = _param(0.04, "(fraction per year)", gt=-1, le=1)
    savings_escalation_frac_per_year: float = _param(0.0, "(fraction per year)", gt=-1, le=1)
    horizon_years: int = _param(25, "years", ge=1, le=100, integer=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.pv_small_max_kwp >= self.pv_medium_max_kwp:
            raise InputDataError(
                f"pv_small_max_kwp: {self.pv_small_max_kwp} kWp is not allowed; it must be "
                f"below pv_medium_max_kwp ({self.pv_medium_max_kwp} kWp)"
            )

    def pv_capex_eur_per_kwp(self, kwp: float) -> float:
        """Specific price [EUR/kWp] of one PV system of ``kwp`` [kWp], by size band."""
        kwp = _check_number("pv_kwp", kwp, unit="kWp", ge=0)
        if kwp <= self.pv_small_max_kwp:
            return self.pv_capex_small_eur_per_kwp
        if kwp <= self.pv_medium_max_kwp:
            return self.pv_capex_medium_eur_per_kwp
        return self.pv_capex_large_eur_per_kwp

    def battery_capex_eur_per_kwh(self, kwh: float) -> float:
        """Specific price [EUR/kWh] of one battery of ``kwh`` [kWh]: home or community."""
        kwh = _check_number("battery_kwh", kwh, unit="kWh", ge=0)
        if kwh <= self.battery_home_max_kwh:
            return self.battery_capex_home_eur_per_kwh
        return self.battery_capex_community_eur_per_kwh


@dataclass(frozen=True)
class InvestmentItems:
    """What a scenario builds: PV systems, batteries and luminaire controllers.

    Attributes
    ----------
    pv_kwp
        Size of each PV system [kWp] (each is priced by its own size band).
    battery_kwh
        Usable capacity of each battery [kWh].
    battery_kw
        Power of each battery [kW], same order as ``battery_kwh``; empty means
        0 kW for all (no power-related price).
    luminaires
        Number of luminaires that get a dimming controller.
    """

    pv_kwp: tuple[float, ...] = ()
    battery_kwh: tuple[float, ...] = ()
    battery_kw: tuple[float, ...] = ()
    luminaires: int = 0

    def __post_init__(self) -> None:
        for name, unit in (("pv_kwp", "kWp"), ("battery_kwh", "kWh"), ("battery_kw", "kW")):
            checked = tuple(
                _check_number(f"{name}[{i}]", v, unit=unit, ge=0, le=1e6)
                for i, v in enumerate(getattr(self, name))
            )
            object.__setattr__(self, name, checked)
        if self.battery_kw and len(self.battery_kw) != len(self.battery_kwh):
            raise InputDataError(
                f"battery_kw: {len(self.battery_kw)} values given; it must have one per "
                f"battery_kwh entry ({len(self.battery_kwh)}) or be empty"
            )
        luminaires = _check_number("luminaires", self.luminaires, ge=0, le=1e7, integer=True)
        object.__setattr__(self, "luminaires", int(luminaires))


def investment_items_from_district(district: District) -> InvestmentItems:
    """Return the district's PV systems, batteries and lit luminaires as investment items.

    Every luminaire of every lighting group is counted as getting a controller.
    """
    return InvestmentItems(
        pv_kwp=tuple(p.kwp for p in district.pv),
        battery_kwh=tuple(b.capacity_kwh for b in district.batteries),
        battery_kw=tuple(b.power_kw for b in district.batteries),
        luminaires=sum(g.luminaires for g in district.lighting),
    )


# -- basic formulas ------------------------------------------------------------------------
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
    r = _check_rate("rate", rate)
    n = _check_number("years", years, unit="years", gt=0, le=1000)
    if r == 0.0:
        return 1.0 / n
    return r + r / math.expm1(n * math.log1p(r))


def annualised_capex(capex_eur: float, rate: float, lifetime_years: float) -> float:
    """Equivalent yearly cost of an investment over its lifetime [EUR/year].

    ``capex_eur * annuity_factor(rate, lifetime_years)``.
    """
    capex = _check_number("capex_eur", capex_eur, unit="EUR", ge=0)
    return capex * annuity_factor(rate, lifetime_years)


def annual_cost_eur_per_unit(
    capex_eur_per_unit: float, lifetime_years: float, opex_frac_per_year: float, rate: float
) -> float:
    r"""Yearly cost of one unit of capacity: its annuity plus its operating cost.

    .. math:: c^{year} = I \, \big(a(r, L) + o\big)

    with the price :math:`I` of the unit (1 kWp, 1 kWh or 1 kW) [EUR/unit],
    the annuity factor :math:`a` of the discount rate :math:`r` over the
    lifetime :math:`L` (:func:`annuity_factor`) and the operating cost
    :math:`o` as a fraction of the investment per year (VDI 2067-1). The
    sizing objective charges a horizon its share of it
    (:mod:`energy.optimisation.capacity`); :func:`evaluate` reports it per
    component as ``annual_cost_eur_per_year``.

    Returns
    -------
    float
        [EUR/(unit a)].
    """
    capex = _check_number("capex_eur_per_unit", capex_eur_per_unit, unit="EUR", ge=0)
    opex = _check_number("opex_frac_per_year", opex_frac_per_year, ge=0)
    return capex * (annuity_factor(rate, lifetime_years) + opex)


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
    r = _check_rate("rate", rate)
    if len(cash_flows) == 0:
        raise InputDataError("cash_flows: empty; it needs at least the year-0 value")
    flows = [_check_number(f"cash_flows[{t}]", cf, unit="EUR") for t, cf in enumerate(cash_flows)]
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
    investment = _check_number("investment_eur", investment_eur, unit="EUR", ge=0)
    r = 0.0 if rate is None else _check_rate("rate", rate)
    if investment == 0.0:
        return 0.0
    if _is_number(annual_savings_eur):
        saving = _check_number("annual_savings_eur", annual_savings_eur, unit="EUR/year")
        if horizon_years is not None:
            horizon = _check_years("horizon_years", horizon_years)
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
            _check_number(f"annual_savings_eur[{i}]", s, unit="EUR")
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
    capex = _check_number("capex_eur", capex_eur, unit="EUR", ge=0)
    opex = _check_number("opex_eur_per_year", opex_eur_per_year, unit="EUR/year", ge=0)
    energy = _check_number("energy_kwh_per_year", energy_kwh_per_year, unit="kWh/year", gt=0)
    r = _check_rate("rate", rate)
    n = _check_years("years", years)
    d = _check_number("degradation_frac_per_year", degradation_frac_per_year, ge=0, le=0.5)
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


# -- appraisal of a scenario ---------------------------------------------------------------
class Replacement(TypedDict):
    """A component bought again within the horizon."""

    component: str
    year: int
    cost_eur: float


class Appraisal(TypedDict):
    """Result of :func:`evaluate`; plain JSON-compatible values, units in the keys."""

    capex_eur: float
    capex_by_component_eur: dict[str, float]
    opex_eur_per_year: float
    annuity_eur_per_year: float
    annual_cost_eur_per_year: float
    annual_savings_eur: float
    horizon_years: int
    discount_rate_frac: float
    npv_eur: float
    irr_frac: float | None
    payback_simple_years: float | None
    payback_discounted_years: float | None
    replacements: list[Replacement]
    residual_value_eur: float
    cash_flows_eur: list[float]


@dataclass(frozen=True)
class _Component:
    name: str
    capex_eur: float
    opex_eur_per_year: float
    lifetime_years: int


def _components(items: InvestmentItems, a: EconomicAssumptions) -> list[_Component]:
    pv = math.fsum(kwp * a.pv_capex_eur_per_kwp(kwp) for kwp in items.pv_kwp)
    kws = items.battery_kw or (0.0,) * len(items.battery_kwh)
    battery = math.fsum(
        kwh * a.battery_capex_eur_per_kwh(kwh) + kw * a.battery_capex_eur_per_kw
        for kwh, kw in zip(items.battery_kwh, kws, strict=True)
    )
    controllers = items.luminaires * a.controller_capex_eur_per_luminaire
    return [
        _Component("pv", pv, pv * a.pv_opex_frac_per_year, a.pv_lifetime_years),
        _Component(
            "battery", battery, battery * a.battery_opex_frac_per_year, a.battery_lifetime_years
        ),
        _Component(
            "controllers",
            controllers,
            controllers * a.controller_opex_frac_per_year,
            a.controller_lifetime_years,
        ),
    ]


def _savings_by_year(
    annual_savings_eur: float | Sequence[float], a: EconomicAssumptions
) -> list[float]:
    """Return the savings of years 1..N: the first-year value escalated, or the sequence."""
    n = a.horizon_years
    if _is_number(annual_savings_eur):
        s1 = _check_number("annual_savings_eur", annual_savings_eur, unit="EUR/year")
        g = a.savings_escalation_frac_per_year
        return [s1 * (1.0 + g) ** (t - 1) for t in range(1, n + 1)]
    if len(annual_savings_eur) != n:
        raise InputDataError(
            f"annual_savings_eur: {len(annual_savings_eur)} yearly values given; it must be "
            f"one number or one value for each of the horizon_years = {n} years"
        )
    return [
        _check_number(f"annual_savings_eur[{i}]", s, unit="EUR")
        for i, s in enumerate(annual_savings_eur)
    ]


def _cash_flows(
    components: list[_Component], savings: list[float], horizon: int
) -> tuple[list[float], list[float], list[Replacement], float]:
    """Yearly flows with replacements and residual value (see the module docstring).

    Returns the full flows (years 0..N, residual value in year N), the operating
    flows of years 1..N without the residual value (for the payback), the
    replacements and the residual value.
    """
    capex = math.fsum(c.capex_eur for c in components)
    opex = math.fsum(c.opex_eur_per_year for c in components)
    operating = [s - opex for s in savings]
    replacements: list[Replacement] = []
    residual = 0.0
    for c in components:
        if c.capex_eur == 0.0:
            continue
        last_bought = 0
        for year in range(c.lifetime_years, horizon, c.lifetime_years):
            operating[year - 1] -= c.capex_eur
            replacements.append({"component": c.name, "year": year, "cost_eur": c.capex_eur})
            last_bought = year
        years_left = last_bought + c.lifetime_years - horizon
        residual += c.capex_eur * years_left / c.lifetime_years
    flows = [-capex, *operating]
    flows[horizon] += residual
    return flows, operating, replacements, residual


def evaluate(
    investment_items: InvestmentItems,
    annual_savings_eur: float | Sequence[float],
    assumptions: EconomicAssumptions | None = None,
) -> Appraisal:
    """Appraise a scenario's investment against the savings it brings.

    Parameters
    ----------
    investment_items
        PV systems, batteries and controlled luminaires to be bought.
    annual_savings_eur
        Savings of the first year of operation [EUR/year] (escalated by
        ``assumptions.savings_escalation_frac_per_year``), or one value per year
        of the horizon [EUR]. Savings are gross: operating costs are taken from
        the assumptions.
    assumptions
        Prices, lifetimes, discount rate and horizon; German defaults if omitted.

    Returns
    -------
    Appraisal
        ``capex_eur`` and by component; ``opex_eur_per_year``;
        ``annuity_eur_per_year``, the capex annualised over each component's
        lifetime (:func:`annualised_capex`); ``annual_cost_eur_per_year`` =
        annuity + opex; ``npv_eur`` over the horizon with replacements and
        residual value (module docstring); ``irr_frac`` (:func:`irr`);
        ``payback_simple_years`` and ``payback_discounted_years`` of the
        operating flows (savings - opex - replacements; the residual value is
        not counted, it only arrives at the end), ``None`` if not repaid within
        the horizon; the replacements, the residual value and the yearly cash
        flows (year 0 first).
    """
    a = assumptions or EconomicAssumptions()
    components = _components(investment_items, a)
    savings = _savings_by_year(annual_savings_eur, a)
    flows, operating, replacements, residual = _cash_flows(components, savings, a.horizon_years)
    r = a.discount_rate_frac
    capex = -flows[0]
    opex = math.fsum(c.opex_eur_per_year for c in components)
    annuity = math.fsum(annualised_capex(c.capex_eur, r, c.lifetime_years) for c in components)
    result: Appraisal = {
        "capex_eur": capex,
        "capex_by_component_eur": {c.name: c.capex_eur for c in components},
        "opex_eur_per_year": opex,
        "annuity_eur_per_year": annuity,
        "annual_cost_eur_per_year": annuity + opex,
        "annual_savings_eur": savings[0],
        "horizon_years": a.horizon_years,
        "discount_rate_frac": r,
        "npv_eur": npv(r, flows),
        "irr_frac": irr(flows) if capex > 0.0 else None,
        "payback_simple_years": payback_years(capex, operating),
        "payback_discounted_years": payback_years(capex, operating, rate=r),
        "replacements": replacements,
        "residual_value_eur": residual,
        "cash_flows_eur": flows,
    }
    logger.debug(
        "appraisal: capex %.0f EUR, NPV %.0f EUR over %d years at %.1f %%",
        capex,
        result["npv_eur"],
        a.horizon_years,
        100 * r,
    )
    return result


# -- cooperative view ----------------------------------------------------------------------
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
        str(m): _check_number(f"member_shares[{m!r}]", v, ge=0) for m, v in member_shares.items()
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
    total = _check_number("total_investment_eur", total_investment_eur, unit="EUR", ge=0)
    opex = _check_number("annual_opex_eur", annual_opex_eur, unit="EUR/year", ge=0)
    fractions = _share_fractions(member_shares, total)
    savings = _savings_by_year(annual_savings_eur, a)
    project = _Component("investment", total, opex, a.horizon_years)
    flows, operating, _, _ = _cash_flows([project], savings, a.horizon_years)
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
