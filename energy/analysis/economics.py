"""Investment appraisal: the one economics of sizing, sweeps and comparisons.

Two frozen, range-checked parameter objects: :class:`EconomicAssumptions`
(prices, lifetimes, discount rate) and :class:`InvestmentItems` (what is
built). :func:`annual_cost_eur_per_unit` is the yearly cost of a unit of
capacity (the sizing objective charges a horizon its share);
:func:`evaluate` appraises an investment against its annual savings (NPV
with replacements and residual value, IRR, payback);
:func:`energy.analysis.annual.appraise` does so from the savings of a whole
year, of representative days or (flagged as extrapolated) of a shorter
horizon, for every comparison and sweep. The formulas on plain numbers are in
:mod:`energy.analysis.finance`, a cooperative's member split in
:mod:`energy.analysis.cooperative`.

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
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypedDict

from energy.analysis.finance import (
    annualised_capex,
    annuity_factor,
    check_number,
    irr,
    is_number,
    npv,
    payback_years,
)
from energy.district import District
from energy.errors import InputDataError

logger = logging.getLogger(__name__)


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
            value = check_number(f.name, getattr(self, f.name), unit=f.metadata["unit"], **limits)
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
        kwp = check_number("pv_kwp", kwp, unit="kWp", ge=0)
        if kwp <= self.pv_small_max_kwp:
            return self.pv_capex_small_eur_per_kwp
        if kwp <= self.pv_medium_max_kwp:
            return self.pv_capex_medium_eur_per_kwp
        return self.pv_capex_large_eur_per_kwp

    def battery_capex_eur_per_kwh(self, kwh: float) -> float:
        """Specific price [EUR/kWh] of one battery of ``kwh`` [kWh]: home or community."""
        kwh = check_number("battery_kwh", kwh, unit="kWh", ge=0)
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
                check_number(f"{name}[{i}]", v, unit=unit, ge=0, le=1e6)
                for i, v in enumerate(getattr(self, name))
            )
            object.__setattr__(self, name, checked)
        if self.battery_kw and len(self.battery_kw) != len(self.battery_kwh):
            raise InputDataError(
                f"battery_kw: {len(self.battery_kw)} values given; it must have one per "
                f"battery_kwh entry ({len(self.battery_kwh)}) or be empty"
            )
        luminaires = check_number("luminaires", self.luminaires, ge=0, le=1e7, integer=True)
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
    (:mod:`energy.optimisation.capacity`); :func:`evaluate`'s
    ``annual_cost_eur_per_year`` is its sum over the components.

    Returns
    -------
    float
        [EUR/(unit a)].
    """
    capex = check_number("capex_eur_per_unit", capex_eur_per_unit, unit="EUR", ge=0)
    opex = check_number("opex_frac_per_year", opex_frac_per_year, ge=0)
    return capex * (annuity_factor(rate, lifetime_years) + opex)


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
class ProjectComponent:
    """One bought component: investment [EUR], operating cost [EUR/year], lifetime [years].

    ``opex_frac_per_year`` is the operating cost as a fraction of the
    investment [1/year] where it is given that way (the assumptions' figures).
    """

    name: str
    capex_eur: float
    opex_eur_per_year: float
    lifetime_years: int
    opex_frac_per_year: float = 0.0


def _components(items: InvestmentItems, a: EconomicAssumptions) -> list[ProjectComponent]:
    pv = math.fsum(kwp * a.pv_capex_eur_per_kwp(kwp) for kwp in items.pv_kwp)
    kws = items.battery_kw or (0.0,) * len(items.battery_kwh)
    battery = math.fsum(
        kwh * a.battery_capex_eur_per_kwh(kwh) + kw * a.battery_capex_eur_per_kw
        for kwh, kw in zip(items.battery_kwh, kws, strict=True)
    )
    controllers = items.luminaires * a.controller_capex_eur_per_luminaire
    parts = (
        ("pv", pv, a.pv_opex_frac_per_year, a.pv_lifetime_years),
        ("battery", battery, a.battery_opex_frac_per_year, a.battery_lifetime_years),
        (
            "controllers",
            controllers,
            a.controller_opex_frac_per_year,
            a.controller_lifetime_years,
        ),
    )
    return [
        ProjectComponent(name, capex, capex * frac, life, frac) for name, capex, frac, life in parts
    ]


def savings_by_year(
    annual_savings_eur: float | Sequence[float], a: EconomicAssumptions
) -> list[float]:
    """Return the savings of years 1..N: the first-year value escalated, or the sequence."""
    n = a.horizon_years
    if is_number(annual_savings_eur):
        s1 = check_number("annual_savings_eur", annual_savings_eur, unit="EUR/year")
        g = a.savings_escalation_frac_per_year
        return [s1 * (1.0 + g) ** (t - 1) for t in range(1, n + 1)]
    if len(annual_savings_eur) != n:
        raise InputDataError(
            f"annual_savings_eur: {len(annual_savings_eur)} yearly values given; it must be "
            f"one number or one value for each of the horizon_years = {n} years"
        )
    return [
        check_number(f"annual_savings_eur[{i}]", s, unit="EUR")
        for i, s in enumerate(annual_savings_eur)
    ]


def cash_flows(
    components: list[ProjectComponent], savings: list[float], horizon: int
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
        lifetime (:func:`~energy.analysis.finance.annualised_capex`); ``annual_cost_eur_per_year`` =
        annuity + opex (:func:`annual_cost_eur_per_unit` per component);
        ``npv_eur`` over the horizon with replacements and residual value
        (module docstring); ``irr_frac`` (:func:`~energy.analysis.finance.irr`);
        ``payback_simple_years`` and ``payback_discounted_years`` of the
        operating flows (savings - opex - replacements; the residual value is
        not counted, it only arrives at the end), ``None`` if not repaid within
        the horizon; the replacements, the residual value and the yearly cash
        flows (year 0 first).
    """
    a = assumptions or EconomicAssumptions()
    components = _components(investment_items, a)
    savings = savings_by_year(annual_savings_eur, a)
    flows, operating, replacements, residual = cash_flows(components, savings, a.horizon_years)
    r = a.discount_rate_frac
    capex = -flows[0]
    opex = math.fsum(c.opex_eur_per_year for c in components)
    annuity = math.fsum(annualised_capex(c.capex_eur, r, c.lifetime_years) for c in components)
    annual_cost = math.fsum(
        annual_cost_eur_per_unit(c.capex_eur, c.lifetime_years, c.opex_frac_per_year, r)
        for c in components
    )
    result: Appraisal = {
        "capex_eur": capex,
        "capex_by_component_eur": {c.name: c.capex_eur for c in components},
        "opex_eur_per_year": opex,
        "annuity_eur_per_year": annuity,
        "annual_cost_eur_per_year": annual_cost,
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
