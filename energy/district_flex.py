"""District spec of the flexible sector-coupling loads: heat pumps, thermal storage, EV charging.

These models extend :class:`energy.district.Building` and
:class:`energy.district.District`; every field is optional, so district files
without them load and behave as before. Errors name the field path, the value
and what is allowed, like the rest of the spec.

Sign conventions: powers and capacities are non-negative magnitudes [kW, kWh];
temperatures in degrees Celsius [C].

§14a EnWG: the Bundesnetzagentur's determination BK6-22-300 of 27 November 2023
("Festlegung zur Durchführung der netzorientierten Steuerung von steuerbaren
Verbrauchseinrichtungen und steuerbaren Netzanschlüssen nach § 14a EnWG") makes
grid-oriented control mandatory for *steuerbare Verbrauchseinrichtungen*. Our
reading of its scope (section 2 of its Annex 1), applied by
:func:`controllable_14a_errors`:

* devices: heat-pump heating *including* auxiliary or backup heaters (heating
  rods), non-public charging points (not publicly accessible in the sense of
  the Ladesäulenverordnung), room-cooling devices, and batteries as far as they
  draw from the grid;
* above 4.2 kW electric connection power (not heat output); several heat pumps
  or cooling devices behind one grid connection count together, so a
  building's heat pump counts with its backup heater;
* connected to the low-voltage level (here: the district's transformer has a
  low-voltage side of at most 1 kV);
* commissioned on or after 1 January 2024 (older devices keep the previous
  rules unless their operator opts in).

A device inside that scope must have ``controllable_14a: true``; a device
outside it may carry the flag (no error). Public charging points and devices
commissioned before 2024 are outside it. Batteries are in the rule's scope but
are not checked here: the battery spec has no such flag yet, and existing
district files must keep loading unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from energy.spec_base import SpecModel, omit_none

#: BDEW/SigLinDe heat profile types of :class:`demandlib.bdew.HeatBuilding`:
#: EFH single-family, MFH multi-family, GHD trade/commerce/services (sum),
#: GKO public authorities, banks and insurers, GBD other services, GHA retail,
#: GGA restaurants, GBH accommodation, GMK metal/vehicles, GBA bakeries,
#: GWA laundries, GGB horticulture, GPD paper/printing, GMF household-like trade.
HeatProfile = Literal[
    "EFH", "MFH", "GHD", "GKO", "GBD", "GHA", "GGA", "GBH", "GMK", "GBA", "GWA", "GGB", "GPD", "GMF"
]

#: Heat profile of a building kind when ``heat_profile`` is not given.
DEFAULT_HEAT_PROFILE: dict[str, HeatProfile] = {
    "single_family": "EFH",
    "multi_family": "MFH",
    "commercial": "GHD",
    "school": "GKO",
    "public": "GKO",
    "community": "GKO",
    "other": "GHD",
}
#: SigLinDe building class used for EFH/MFH when none is given (11: German mean, demandlib).
DEFAULT_HEAT_BUILDING_CLASS = 11

#: The §14a EnWG threshold: devices above this electric power must be controllable [kW].
P_14A_THRESHOLD_KW = 4.2
#: First year in which §14a EnWG control is mandatory for new devices (BK6-22-300).
FIRST_YEAR_14A = 2024
#: Highest low-voltage level [kV] (§14a EnWG applies to low-voltage connections).
LOW_VOLTAGE_MAX_KV = 1.0


class HeatPump(SpecModel):
    """An electric heat pump serving a building's space heat and hot water.

    The COP model (:func:`energy.models.heat.cop`) uses ``source``, the heating
    curve through (20 C outdoor, 20 C flow) and (``design_outdoor_temp_c``,
    ``flow_temp_space_c``), and ``flow_temp_hot_water_c``. The defaults
    reproduce the sink temperatures of Ruhnau et al. (2019), when2heat: floor
    heating 30 - 0.5 T_out = 35 C flow at -10 C, hot water 50 C.
    """

    source: Literal["air", "ground"] = Field(description="Heat source: outdoor air or ground")
    thermal_kw: float = Field(gt=0, le=10000, description="Rated heat output [kW]")
    electric_kw: float = Field(gt=0, le=5000, description="Maximum electric input [kW]")
    backup_heater_kw: float = Field(
        0.0, ge=0, le=5000, description="Electric backup heater (heating rod, COP 1) [kW]"
    )
    flow_temp_space_c: float = Field(
        35.0, ge=25, le=75, description="Space-heating flow temperature at the design point [C]"
    )
    design_outdoor_temp_c: float = Field(
        -10.0, ge=-30, le=5, description="Outdoor temperature of the heating curve's design point"
    )
    flow_temp_hot_water_c: float = Field(
        50.0, ge=40, le=75, description="Hot-water charging temperature [C]"
    )
    controllable_14a: bool = Field(
        False, description="Controllable by the grid operator under §14a EnWG (BK6-22-300)"
    )
    commissioned_year: int | None = Field(
        None, ge=1950, le=2100, description="Year of commissioning; none: planned (2024 or later)"
    )

    @model_validator(mode="after")
    def _ratio(self) -> HeatPump:
        ratio = self.thermal_kw / self.electric_kw
        if not 1.0 <= ratio <= 8.0:
            raise ValueError(
                f"thermal_kw / electric_kw: {ratio:.2f} is not allowed; the rated COP must "
                f"lie in 1..8 (thermal_kw {self.thermal_kw:g} kW, electric_kw "
                f"{self.electric_kw:g} kW)"
            )
        return self

    @property
    def connection_kw(self) -> float:
        """Electric connection power counted for §14a EnWG [kW]: compressor + backup heater."""
        return self.electric_kw + self.backup_heater_kw


class ThermalTank(SpecModel):
    """A water buffer or hot-water tank, charged by the building's heat pump.

    Give its size as ``volume_l`` or as ``capacity_kwh`` (the usable energy
    between ``temp_min_c`` and ``temp_max_c``), and its standing loss as
    ``loss_w_per_k`` (heat-loss rate per kelvin above ``ambient_temp_c``, e.g.
    from the standing loss S of an EN 12897 / EU 812/2013 label divided by its
    45 K test difference) or ``loss_frac_per_h`` (share of the stored usable
    energy lost per hour). Without either the tank is lossless.
    """

    kind: Literal["tank"] = "tank"
    volume_l: float | None = Field(None, gt=0, le=1e6, description="Water volume [l]")
    capacity_kwh: float | None = Field(
        None, gt=0, le=1e5, description="Usable energy between temp_min_c and temp_max_c [kWh]"
    )
    temp_min_c: float = Field(35.0, ge=10, le=95, description="Lowest usable temperature [C]")
    temp_max_c: float = Field(55.0, ge=15, le=95, description="Highest charging temperature [C]")
    loss_w_per_k: float | None = Field(
        None, ge=0, le=1e4, description="Heat-loss rate to the surroundings [W/K]"
    )
    loss_frac_per_h: float | None = Field(
        None, ge=0, le=0.1, description="Loss per hour, fraction of the stored energy [1/h]"
    )
    ambient_temp_c: float = Field(20.0, ge=-30, le=40, description="Temperature around the tank")

    @model_validator(mode="after")
    def _one_of(self) -> ThermalTank:
        if (self.volume_l is None) == (self.capacity_kwh is None):
            raise ValueError(
                "volume_l / capacity_kwh: give exactly one of them "
                f"(got volume_l {self.volume_l}, capacity_kwh {self.capacity_kwh})"
            )
        if self.loss_w_per_k is not None and self.loss_frac_per_h is not None:
            raise ValueError(
                "loss_w_per_k / loss_frac_per_h: give at most one of them "
                f"(got {self.loss_w_per_k} W/K and {self.loss_frac_per_h} 1/h)"
            )
        if self.temp_min_c >= self.temp_max_c:
            raise ValueError(
                f"temp_min_c: {self.temp_min_c} C is not allowed; it must be below "
                f"temp_max_c {self.temp_max_c} C"
            )
        return self


class ThermalMass(SpecModel):
    """The building's own thermal mass as a first-order RC model with a comfort band.

    The indoor temperature T follows C dT/dt = Q_hp - Q_demand - H (T - setpoint),
    where Q_demand is the heat that holds the building at ``setpoint_c`` (the
    space-heat profile) and C, H are ``capacitance_kwh_per_k`` and
    ``conductance_kw_per_k``. T must stay within [``temp_min_c``, ``temp_max_c``].
    """

    kind: Literal["building_mass"] = "building_mass"
    capacitance_kwh_per_k: float = Field(
        gt=0, le=1e5, description="Effective heat capacity of the building [kWh/K]"
    )
    conductance_kw_per_k: float = Field(
        gt=0, le=1e3, description="Heat-loss coefficient to outdoors (H_T + H_V) [kW/K]"
    )
    temp_min_c: float = Field(20.0, ge=10, le=30, description="Lowest comfortable temperature")
    temp_max_c: float = Field(23.0, ge=12, le=32, description="Highest comfortable temperature")
    setpoint_c: float = Field(
        20.0, ge=10, le=30, description="Indoor temperature at which the heat profile applies"
    )

    @model_validator(mode="after")
    def _band(self) -> ThermalMass:
        if not self.temp_min_c <= self.setpoint_c <= self.temp_max_c or (
            self.temp_min_c >= self.temp_max_c
        ):
            raise ValueError(
                f"setpoint_c: {self.setpoint_c} C is not allowed; it must lie in the comfort "
                f"band temp_min_c {self.temp_min_c} C .. temp_max_c {self.temp_max_c} C "
                "(with temp_min_c < temp_max_c)"
            )
        return self


#: A building's thermal storage: a tank or its own thermal mass (``kind`` selects).
ThermalStorage = Annotated[ThermalTank | ThermalMass, Field(discriminator="kind")]


class EVChargers(SpecModel):
    """Identical charging points of one building (one charger group), one car per point."""

    count: int = Field(ge=1, le=10000, description="Number of charging points")
    kw_per_point: float = Field(gt=0, le=350, description="Maximum charging power per point [kW]")
    controllable_14a: bool = Field(
        False, description="Controllable by the grid operator under §14a EnWG (BK6-22-300)"
    )
    public: bool = Field(
        False, description="Publicly accessible (Ladesäulenverordnung); outside §14a EnWG"
    )
    cars: int | None = Field(
        None,
        ge=0,
        le=10000,
        description="Cars charging here; default: dwellings x cars_per_dwelling x ev_share_frac, "
        "at most count (all points for a building without dwellings)",
    )
    commissioned_year: int | None = Field(
        None, ge=1950, le=2100, description="Year of commissioning; none: planned (2024 or later)"
    )

    @model_validator(mode="after")
    def _cars(self) -> EVChargers:
        if self.cars is not None and self.cars > self.count:
            raise ValueError(
                f"cars: {self.cars} is not allowed; each car needs its own point, so it must "
                f"be <= count {self.count}"
            )
        return self


#: MiD 2017-shaped defaults of :class:`Fleet` (sources and "(check)" marks in
#: data/gera/README.md, section "Mobility"): daily km of a car on a day it is used,
#: as bins [km] and shares; local hour of the first departure from and the last
#: arrival at home, shares by hour 0..23.
DAILY_KM_BINS_KM: tuple[float, ...] = (0, 10, 20, 40, 60, 100, 150, 250, 400)
DAILY_KM_SHARES: tuple[float, ...] = (0.15, 0.17, 0.22, 0.14, 0.14, 0.09, 0.055, 0.035)
DEPARTURE_HOUR_SHARES: tuple[float, ...] = (
    (0.0,) * 5 + (0.04, 0.12, 0.20, 0.16, 0.11, 0.10, 0.08, 0.06, 0.05, 0.04, 0.02, 0.01, 0.01)
) + (0.0,) * 6
ARRIVAL_HOUR_SHARES: tuple[float, ...] = (0.0,) * 11 + (
    0.02, 0.05, 0.07, 0.08, 0.11, 0.14, 0.15, 0.13, 0.10, 0.06, 0.04, 0.03, 0.02,
)  # fmt: skip
#: Tolerance on the sum of a share vector [-].
SHARE_SUM_TOL = 1e-3


def _check_shares(value: tuple[float, ...], length: int | None, what: str) -> tuple[float, ...]:
    """Check a vector of shares: the length, non-negative entries, a sum of 1."""
    if length is not None and len(value) != length:
        raise ValueError(f"needs {length} shares ({what}), got {len(value)}")
    if min(value) < 0:
        raise ValueError(f"share {min(value)} is not allowed; shares must be >= 0")
    total = sum(value)
    if abs(total - 1.0) > SHARE_SUM_TOL:
        raise ValueError(f"the shares sum to {total:.4f}; they must sum to 1 (±{SHARE_SUM_TOL})")
    return value


class Fleet(SpecModel):
    """The cars that charge at a district's (or one building's) charging points.

    Each car is used on a day with probability ``use_frac_per_day``; on such a
    day it leaves home at a local time drawn from ``departure_hour_shares``,
    comes back at one drawn from ``arrival_hour_shares`` (hours uniform within
    their bin) and drives a distance drawn from the ``daily_km_*`` histogram
    (uniform within a bin). Departure and arrival come from one uniform number
    (comonotone coupling), so both follow their inputs exactly and a car
    always comes back after it left; this needs every arrival quantile to lie
    after the departure quantile (checked). See :mod:`energy.models.mobility`.
    """

    cars_per_dwelling: float = Field(
        1.04, ge=0, le=5, description="Cars per dwelling (MiD 2017: 43 million cars in households)"
    )
    ev_share_frac: float = Field(1.0, ge=0, le=1, description="Share of those cars that are EVs")
    consumption_kwh_per_100km: float = Field(
        19.0, ge=5, le=60, description="Energy drawn at the charger incl. losses [kWh/100 km]"
    )
    usable_battery_kwh: float = Field(
        60.0, ge=5, le=250, description="Usable battery capacity [kWh]; more is charged elsewhere"
    )
    use_frac_per_day: float = Field(
        0.6, gt=0, le=1, description="Probability that a car is used on a day [0..1]"
    )
    daily_km_bins_km: tuple[float, ...] = Field(
        DAILY_KM_BINS_KM, description="Bin edges of the km driven on a day of use [km]"
    )
    daily_km_shares: tuple[float, ...] = Field(
        DAILY_KM_SHARES, description="Share of days of use in each km bin (sum 1)"
    )
    departure_hour_shares: tuple[float, ...] = Field(
        DEPARTURE_HOUR_SHARES, description="Share of first departures by local hour 0..23 (sum 1)"
    )
    arrival_hour_shares: tuple[float, ...] = Field(
        ARRIVAL_HOUR_SHARES, description="Share of last arrivals by local hour 0..23 (sum 1)"
    )
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the random draws")

    @field_validator("departure_hour_shares", "arrival_hour_shares")
    @classmethod
    def _hours(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        return _check_shares(value, 24, "local hours 0..23")

    @field_validator("daily_km_shares")
    @classmethod
    def _km_shares(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        return _check_shares(value, None, "km bins")

    @model_validator(mode="after")
    def _consistent(self) -> Fleet:
        edges = self.daily_km_bins_km
        if len(edges) != len(self.daily_km_shares) + 1:
            raise ValueError(
                f"daily_km_bins_km: {len(edges)} edges is not allowed; it needs one more edge "
                f"than daily_km_shares ({len(self.daily_km_shares) + 1})"
            )
        if edges[0] < 0 or any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError(
                f"daily_km_bins_km: {list(edges)} is not allowed; edges must be >= 0 km and "
                "strictly increasing"
            )
        cum_dep = cum_arr = 0.0
        total_dep, total_arr = sum(self.departure_hour_shares), sum(self.arrival_hour_shares)
        for hour in range(24):
            cum_dep += self.departure_hour_shares[hour] / total_dep
            cum_arr += self.arrival_hour_shares[hour] / total_arr
            if cum_arr > cum_dep + 1e-9:
                raise ValueError(
                    f"arrival_hour_shares: by {hour + 1:02d}:00 local, {cum_arr:.1%} of cars have "
                    f"arrived but only {cum_dep:.1%} have left; arrivals must not run ahead of "
                    "departures at any hour (cumulative arrival share <= cumulative departure "
                    "share)"
                )
        return self

    @property
    def mean_daily_km(self) -> float:
        """Mean km on a day of use [km] (bins uniform)."""
        edges, shares = self.daily_km_bins_km, self.daily_km_shares
        mids = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
        return sum(m * s for m, s in zip(mids, shares, strict=True)) / sum(shares)

    @property
    def annual_km_per_car(self) -> float:
        """Expected km per car and year [km/a] = 365.25 x use_frac_per_day x mean_daily_km."""
        return 365.25 * self.use_frac_per_day * self.mean_daily_km


def _device_in_14a_scope(connection_kw: float, commissioned_year: int | None) -> bool:
    """Tell whether a device of ``connection_kw`` is in the §14a EnWG scope (BK6-22-300)."""
    new = commissioned_year is None or commissioned_year >= FIRST_YEAR_14A
    return new and connection_kw > P_14A_THRESHOLD_KW


def controllable_14a_errors(buildings: Sequence[HeatMobilityFields], vn_lv_kv: float) -> list[str]:
    """Name heat pumps and private charging points that §14a EnWG requires to be controllable.

    ``buildings`` are the district's buildings in file order, ``vn_lv_kv`` the
    low-voltage side of its transformer [kV]. See the module docstring for the
    reading of BK6-22-300's scope. Returns one message per device, naming the
    field path, the value and what is allowed.
    """
    if vn_lv_kv > LOW_VOLTAGE_MAX_KV:
        return []  # not a low-voltage connection: outside the determination's scope
    errors: list[str] = []
    rule = (
        f"under §14a EnWG (BNetzA BK6-22-300) a device above {P_14A_THRESHOLD_KW} kW "
        f"commissioned from {FIRST_YEAR_14A} must be controllable; allowed: true"
    )
    for i, b in enumerate(buildings):
        hp = b.heat_pump
        if (
            hp
            and not hp.controllable_14a
            and _device_in_14a_scope(hp.connection_kw, hp.commissioned_year)
        ):
            errors.append(
                f"buildings[{i}].heat_pump.controllable_14a: false is not allowed for "
                f"{hp.connection_kw:g} kW (electric_kw + backup_heater_kw); {rule}"
            )
        ev = b.ev_chargers
        if (
            ev
            and not ev.public
            and not ev.controllable_14a
            and _device_in_14a_scope(ev.kw_per_point, ev.commissioned_year)
        ):
            errors.append(
                f"buildings[{i}].ev_chargers.controllable_14a: false is not allowed for private "
                f"charging points of {ev.kw_per_point:g} kW; {rule}"
            )
    return errors


#: Optional heat and mobility fields of a building, left out of its dump while unset.
BUILDING_FLEX_FIELDS = frozenset(
    {
        "space_heat_kwh_a",
        "space_heat_kwh_per_m2_a",
        "floor_area_m2",
        "hot_water_kwh_a",
        "heat_profile",
        "heat_building_class",
        "heat_pump",
        "thermal_storage",
        "ev_chargers",
        "fleet",
        "control_14a",
    }
)


class HeatMobilityFields(SpecModel):
    """The optional heat and mobility fields of a building (base of energy.district.Building).

    Unset fields are left out of the dump and the rest keeps the building's own
    field order first, so older district files keep their JSON form and spec hash.
    """

    space_heat_kwh_a: float | None = Field(None, ge=0, le=1e8, description="Space heat [kWh/a]")
    space_heat_kwh_per_m2_a: float | None = Field(None, ge=0, le=500, description="[kWh/(m2 a)]")
    floor_area_m2: float | None = Field(None, gt=0, le=1e6, description="Heated floor area [m2]")
    hot_water_kwh_a: float | None = Field(None, ge=0, le=1e8, description="Hot water [kWh/a]")
    heat_profile: HeatProfile | None = Field(None, description="SigLinDe type; default by kind")
    heat_building_class: int | None = Field(None, ge=1, le=11, description="SigLinDe class")
    heat_pump: HeatPump | None = None
    thermal_storage: ThermalStorage | None = None
    ev_chargers: EVChargers | None = None
    fleet: Fleet | None = Field(None, description="Cars at this building; default: district's")
    control_14a: Literal["direct", "ems"] | None = Field(
        None,
        description="§14a EnWG control of the building's devices: direct (each device its own "
        "minimum, default) or through an energy management system (one minimum for their "
        "sum; BK6-22-300 Anlage 1 Ziff. 4.5)",
    )

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler):
        # No return annotation: pydantic would take it for the JSON schema.
        data = omit_none(handler(self), BUILDING_FLEX_FIELDS)
        own = {k: v for k, v in data.items() if k not in BUILDING_FLEX_FIELDS}
        return own | {k: v for k, v in data.items() if k in BUILDING_FLEX_FIELDS}


def space_heat_kwh_a_of(b: HeatMobilityFields) -> float:
    """Annual space heat of a building [kWh/a]: given, or specific x floor area, or 0."""
    if b.space_heat_kwh_a is not None:
        return b.space_heat_kwh_a
    if b.space_heat_kwh_per_m2_a is not None and b.floor_area_m2 is not None:
        return b.space_heat_kwh_per_m2_a * b.floor_area_m2
    return 0.0


def heat_profile_of(heat_profile: HeatProfile | None, kind: str) -> HeatProfile:
    """Return the SigLinDe profile of a building: ``heat_profile`` or the default of its kind."""
    return heat_profile if heat_profile is not None else DEFAULT_HEAT_PROFILE[kind]


def heat_field_errors(b: HeatMobilityFields, kind: str) -> list[str]:
    """Name inconsistent heat fields of one building of ``kind`` (field, value, what is allowed)."""
    errors = []
    if b.space_heat_kwh_a is not None and b.space_heat_kwh_per_m2_a is not None:
        errors.append(
            f"space_heat_kwh_a / space_heat_kwh_per_m2_a: give at most one of them (got "
            f"{b.space_heat_kwh_a} kWh/a and {b.space_heat_kwh_per_m2_a} kWh/(m2 a))"
        )
    if b.space_heat_kwh_per_m2_a is not None and b.floor_area_m2 is None:
        errors.append(
            f"floor_area_m2: none is not allowed with space_heat_kwh_per_m2_a "
            f"{b.space_heat_kwh_per_m2_a} kWh/(m2 a); give the heated floor area (> 0 m2)"
        )
    if b.heat_pump is not None and space_heat_kwh_a_of(b) + (b.hot_water_kwh_a or 0) <= 0:
        errors.append(
            "heat_pump: a heat pump needs a heat demand; give space_heat_kwh_a (or "
            "space_heat_kwh_per_m2_a with floor_area_m2) or hot_water_kwh_a above 0 kWh/a"
        )
    if b.thermal_storage is not None and b.heat_pump is None:
        errors.append("thermal_storage: needs a heat_pump at the same building to charge it")
    profile = heat_profile_of(b.heat_profile, kind)
    if b.heat_building_class is not None and profile not in ("EFH", "MFH"):
        errors.append(
            f"heat_building_class: {b.heat_building_class} is not allowed for heat profile "
            f"{profile}; SigLinDe building classes 1..11 exist only for EFH and MFH"
        )
    return errors
