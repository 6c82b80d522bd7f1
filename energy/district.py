"""The district specification: site, grid, buildings, PV, batteries, lighting, tariff.

A district is one readable YAML or JSON file that a planner can edit. It is
validated on load; every error names the field path, the value and what is
allowed, e.g. ``pv[3].kwp: -5 is not allowed; it must be > 0 kWp``.

Sign conventions: all capacities and powers in the spec are non-negative
magnitudes [kW, kWh, kWp]; directions are in the names. Heat pumps, thermal
storage, EV chargers and fleets (optional): :mod:`energy.district_flex`;
street-lighting groups: :mod:`energy.district_lighting`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from energy.district_flex import (
    Fleet,
    HeatMobilityFields,
    controllable_14a_errors,
    heat_field_errors,
)
from energy.district_geometry import DistrictGeometry
from energy.district_lighting import LightingGroup
from energy.errors import InputDataError
from energy.spec_base import Id, SpecModel, format_validation_error, omit_none
from energy.timeindex import check_timezone

#: BDEW standard load profiles that demandlib provides (1999 and 2025 editions).
LoadProfile = Literal[
    "H0",
    "G0",
    "G1",
    "G2",
    "G3",
    "G4",
    "G5",
    "G6",
    "L0",
    "L1",
    "L2",
    "H25",
    "G25",
    "L25",
    "P25",
    "S25",
]

BuildingKind = Literal[
    "single_family", "multi_family", "commercial", "school", "public", "community", "other"
]


class Site(SpecModel):
    """Location of the district."""

    name: str = Field(min_length=1, max_length=200, description="Name of the district")
    latitude: float = Field(ge=-90, le=90, description="Latitude [deg north], -90..90")
    longitude: float = Field(ge=-180, le=180, description="Longitude [deg east], -180..180")
    altitude_m: float = Field(0.0, ge=-450, le=9000, description="Altitude above sea level [m]")
    timezone: str = Field("Europe/Berlin", description="IANA time zone of local time")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            return check_timezone(value)
        except InputDataError as exc:
            raise ValueError(str(exc)) from exc


class Transformer(SpecModel):
    """The secondary substation transformer (upstream grid connection)."""

    std_type: str = Field(
        "0.63 MVA 20/0.4 kV",
        alias="type",
        description="pandapower standard transformer type",
    )
    rating_kva: float = Field(630.0, gt=0, le=10000, description="Rated power [kVA]")
    vn_hv_kv: float = Field(20.0, gt=0, description="Rated high-voltage side [kV]")
    vn_lv_kv: float = Field(0.4, gt=0, description="Rated low-voltage side [kV]")


class Feeder(SpecModel):
    """A radial low-voltage cable feeder leaving the substation busbar."""

    id: Id
    cable: str = Field("NAYY 4x150 SE", description="pandapower standard line type")
    description: str = ""


class GridConnection(SpecModel):
    """Transformer, feeders and the exchange limits at the grid connection point."""

    transformer: Transformer = Transformer()
    feeders: list[Feeder] = Field(min_length=1)
    import_limit_kw: float | None = Field(
        None, gt=0, description="Maximum import [kW]; default: transformer rating x 1.0"
    )
    export_limit_kw: float | None = Field(
        None, ge=0, description="Maximum export [kW]; default: transformer rating x 1.0"
    )
    service_cable: str = Field(
        "NAYY 4x50 SE", description="pandapower line type of building service connections"
    )
    service_length_m: float = Field(15.0, ge=0, le=500, description="Service cable length [m]")

    @property
    def import_limit_effective_kw(self) -> float:
        """Import limit [kW]: the explicit value or the transformer rating (cos phi = 1)."""
        return (
            self.import_limit_kw
            if self.import_limit_kw is not None
            else (self.transformer.rating_kva)
        )

    @property
    def export_limit_effective_kw(self) -> float:
        """Export limit [kW]: the explicit value or the transformer rating (cos phi = 1)."""
        return (
            self.export_limit_kw
            if self.export_limit_kw is not None
            else (self.transformer.rating_kva)
        )


class Building(HeatMobilityFields):
    """A grid-connected building with a standard load profile.

    The optional heat and mobility fields (heat pump, thermal storage, EV
    chargers, fleet) come from :class:`energy.district_flex.HeatMobilityFields`.
    """

    id: Id
    kind: BuildingKind
    annual_kwh: float = Field(ge=0, le=1e8, description="Annual electricity demand [kWh/a]")
    profile: LoadProfile = Field(description="BDEW standard load profile")
    feeder: Id
    distance_m: float = Field(
        ge=0, le=5000, description="Position along the feeder, from the substation [m]"
    )
    households: int | None = Field(None, ge=0, le=10000, description="Dwellings (information)")
    pv_allowed: bool = Field(
        True,
        description="Added PV may go on this roof (false: roof terrace, green roof, no own roof)",
    )
    roof_area_m2: float | None = Field(
        None,
        ge=0,
        le=1e6,
        description="Usable roof area for PV [m2]; None: not surveyed, no area limit known",
    )
    description: str = ""

    @model_serializer(mode="wrap")
    def _omit_unset_roof(self, handler: SerializerFunctionWrapHandler):
        # No return annotation: pydantic would take it for the JSON schema. Roof fields
        # at their defaults are left out, so older files keep their spec hash.
        data = HeatMobilityFields._omit_unset(self, handler)
        if data.get("roof_area_m2") is None:
            data.pop("roof_area_m2", None)
        if data.get("pv_allowed") is True:
            data.pop("pv_allowed", None)
        return data

    @model_validator(mode="after")
    def _heat(self) -> Building:
        errors = heat_field_errors(self, self.kind)
        if errors:
            raise ValueError("; ".join(errors))
        return self


class PVSystem(SpecModel):
    """A roof or ground PV system, modelled PVWatts-style.

    Defaults follow PVWatts v5 (Dobos 2014, NREL/TP-6A20-62641) except where
    noted: modern mono-Si temperature coefficient -0.0037/K and DC/AC ratio 1.1.
    """

    id: Id
    building: Id
    kwp: float = Field(gt=0, le=1e5, description="DC nameplate power at STC [kWp]")
    tilt_deg: float = Field(30.0, ge=0, le=90, description="Module tilt from horizontal [deg]")
    azimuth_deg: float = Field(
        180.0, ge=0, lt=360, description="Module azimuth [deg], 0 = north, 180 = south"
    )
    mount: Literal["roof", "open_rack"] = Field(
        "roof", description="Mounting, selects the cell-temperature model (energy.models.pv)"
    )
    gamma_pdc_per_k: float = Field(
        -0.0037, ge=-0.01, le=0, description="Power temperature coefficient [1/K]"
    )
    losses_frac: float = Field(
        0.14, ge=0, lt=1, description="DC system losses (soiling, wiring, mismatch...) [0..1]"
    )
    inverter_eta_nom: float = Field(
        0.96, gt=0.5, le=1, description="Nominal inverter efficiency [0..1]"
    )
    dc_ac_ratio: float = Field(
        1.1, ge=0.5, le=3, description="DC nameplate / AC inverter rating [-]"
    )
    albedo: float = Field(0.2, ge=0, le=1, description="Ground reflectance [0..1]")
    curtailable: bool = Field(True, description="The optimiser may curtail this system")

    @property
    def pac_kw(self) -> float:
        """AC inverter rating [kW] = kWp / DC/AC ratio."""
        return self.kwp / self.dc_ac_ratio


class Battery(SpecModel):
    """A stationary battery at a building or at the substation.

    ``at`` is ``"substation"`` or the id of a building.
    """

    id: Id
    at: Id = Field(description="'substation' or a building id")
    capacity_kwh: float = Field(gt=0, le=1e6, description="Usable nominal capacity [kWh]")
    power_kw: float = Field(gt=0, le=1e6, description="Max charge and discharge power [kW]")
    eta_charge: float = Field(0.95, gt=0, le=1, description="Charge efficiency [0..1]")
    eta_discharge: float = Field(0.95, gt=0, le=1, description="Discharge efficiency [0..1]")
    self_discharge_frac_per_h: float = Field(
        0.0001, ge=0, le=0.01, description="Self-discharge per hour, fraction of SoC [1/h]"
    )
    soc_min_frac: float = Field(0.05, ge=0, lt=1, description="Minimum SoC [0..1]")
    soc_max_frac: float = Field(0.95, gt=0, le=1, description="Maximum SoC [0..1]")
    soc_initial_frac: float = Field(0.5, ge=0, le=1, description="Initial SoC [0..1]")
    throughput_cost_eur_per_kwh: float = Field(
        0.0, ge=0, le=10, description="Wear cost per kWh discharged [EUR/kWh]"
    )

    @model_validator(mode="after")
    def _soc_order(self) -> Battery:
        if self.soc_min_frac >= self.soc_max_frac:
            raise ValueError(
                f"soc_min_frac ({self.soc_min_frac}) must be below soc_max_frac "
                f"({self.soc_max_frac})"
            )
        if not self.soc_min_frac <= self.soc_initial_frac <= self.soc_max_frac:
            raise ValueError(
                f"soc_initial_frac: {self.soc_initial_frac} is not allowed; it must lie "
                f"between soc_min_frac {self.soc_min_frac} and soc_max_frac {self.soc_max_frac}"
            )
        return self


class TouPeriod(SpecModel):
    """A time-of-use price band in local time, hours [start_hour, end_hour)."""

    start_hour: int = Field(ge=0, le=23)
    end_hour: int = Field(ge=1, le=24)
    price_eur_per_kwh: float = Field(ge=-10, le=10)
    weekdays_only: bool = False


class TariffSpec(SpecModel):
    """Import price, feed-in remuneration and CO2 intensity of grid electricity.

    Defaults (German 2025): household price 0.397 EUR/kWh (BDEW Strompreisanalyse
    Oct 2025); EEG feed-in 0.0794 EUR/kWh for <= 10 kWp surplus feed-in
    commissioned Feb-Jul 2025; no feed-in payment in hours with negative
    day-ahead price (Solarspitzengesetz, from 25 Feb 2025); CO2 363 g/kWh (UBA
    2024 estimate, CO2 only).
    """

    import_kind: Literal["flat", "time_of_use", "day_ahead"] = "flat"
    flat_eur_per_kwh: float = Field(0.397, ge=-10, le=10, description="Flat price [EUR/kWh]")
    time_of_use: list[TouPeriod] = Field(default_factory=list)
    day_ahead_file: str | None = Field(
        None, description="SMARD export; relative paths resolve against the data/ folder"
    )
    day_ahead_zone: str = Field("Deutschland/Luxemburg", description="SMARD column prefix")
    price_year: int | None = Field(
        None,
        ge=1990,
        le=2100,
        description=(
            "Take the day-ahead prices of this calendar year of the file for every year of "
            "the horizon (whole-week shift); default: the same year, else the nearest one"
        ),
    )
    surcharges_eur_per_kwh: float = Field(
        0.22,
        ge=0,
        le=10,
        description="Grid fees, levies, taxes and supplier margin added to day-ahead [EUR/kWh]",
    )
    vat_frac: float = Field(0.19, ge=0, le=1, description="VAT on day-ahead + surcharges")
    feed_in_eur_per_kwh: float = Field(0.0794, ge=0, le=10, description="Feed-in tariff")
    feed_in_zero_when_negative: bool = True
    co2_g_per_kwh: float = Field(363.0, ge=0, le=2000, description="Grid CO2 intensity")
    co2_file: str | None = Field(None, description="Hourly CO2 intensity series (CSV)")
    peak_charge_eur_per_kw: float = Field(
        0.0, ge=0, le=1000, description="Charge on the horizon's peak import [EUR/kW]"
    )

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler):
        # No return annotation: pydantic would take it for the JSON schema.
        return omit_none(handler(self), frozenset({"price_year"}))


class District(SpecModel):
    """A complete district: the single input a planner edits."""

    spec_version: Literal[1] = 1
    site: Site
    grid: GridConnection
    buildings: list[Building] = Field(min_length=1)
    pv: list[PVSystem] = Field(default_factory=list)
    batteries: list[Battery] = Field(default_factory=list)
    lighting: list[LightingGroup] = Field(default_factory=list)
    tariff: TariffSpec = TariffSpec()
    fleet: Fleet | None = Field(None, description="Cars at the charging points (MiD 2017 defaults)")
    geometry: DistrictGeometry | None = Field(
        None, description="Footprints, roofs and feeder routes (energy.geometry import)"
    )
    description: str = ""

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler):
        # No return annotation: pydantic would take it for the JSON schema.
        return omit_none(handler(self), frozenset({"fleet", "geometry"}))

    @model_validator(mode="after")
    def _references(self) -> District:
        errors: list[str] = []

        def unique(kind: str, ids: list[str]) -> None:
            seen: set[str] = set()
            for item in ids:
                if item in seen:
                    errors.append(f"{kind}: id {item!r} is used twice; ids must be unique")
                seen.add(item)

        unique("buildings", [b.id for b in self.buildings])
        unique("pv", [p.id for p in self.pv])
        unique("batteries", [b.id for b in self.batteries])
        unique("lighting", [g.id for g in self.lighting])
        unique("grid.feeders", [f.id for f in self.grid.feeders])
        feeders = {f.id for f in self.grid.feeders}
        buildings = {b.id for b in self.buildings}
        for i, b in enumerate(self.buildings):
            if b.feeder not in feeders:
                errors.append(
                    f"buildings[{i}].feeder: {b.feeder!r} is not a feeder; "
                    f"allowed: {sorted(feeders)}"
                )
        errors += asset_reference_errors("", self.pv, self.batteries, buildings)
        for i, g in enumerate(self.lighting):
            if g.feeder not in feeders:
                errors.append(
                    f"lighting[{i}].feeder: {g.feeder!r} is not a feeder; "
                    f"allowed: {sorted(feeders)}"
                )
        errors += controllable_14a_errors(self.buildings, self.grid.transformer.vn_lv_kv)
        if self.geometry is not None:
            errors += [
                f"geometry.buildings.{b}: not a building of the district"
                for b in sorted(set(self.geometry.buildings) - buildings)
            ] + [
                f"geometry.feeders.{f}: not a feeder of the district"
                for f in sorted(set(self.geometry.feeders) - feeders)
            ]
        if errors:
            raise ValueError("; ".join(errors))
        return self

    # -- convenience -------------------------------------------------------
    def building(self, building_id: str) -> Building:
        """Return the building with id ``building_id``."""
        for b in self.buildings:
            if b.id == building_id:
                return b
        raise KeyError(building_id)

    @property
    def total_kwp(self) -> float:
        """Installed PV [kWp]."""
        return float(sum(p.kwp for p in self.pv))

    @property
    def total_battery_kwh(self) -> float:
        """Installed battery capacity [kWh]."""
        return float(sum(b.capacity_kwh for b in self.batteries))

    def to_dict(self) -> dict[str, Any]:
        """Return the spec as plain JSON-compatible data (aliases, no unset defaults lost)."""
        return self.model_dump(mode="json", by_alias=True)

    def spec_hash(self) -> str:
        """SHA-256 of the canonical JSON form, for run metadata."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def asset_reference_errors(
    prefix: str,
    pv: Sequence[Any],
    batteries: Sequence[Any],
    buildings: set[str],
) -> list[str]:
    """Name PV systems on unknown buildings and batteries at unknown locations.

    ``pv`` items have a ``building``, ``batteries`` items an ``at`` (a building
    id or ``"substation"``); ``prefix`` is put before each field path (e.g.
    ``"changes."``). Returns one message per problem.
    """
    errors = [
        f"{prefix}pv[{i}].building: {p.building!r} is not a building id"
        for i, p in enumerate(pv)
        if p.building not in buildings
    ]
    errors += [
        f"{prefix}batteries[{i}].at: {b.at!r} is neither 'substation' nor a building id"
        for i, b in enumerate(batteries)
        if b.at != SUBSTATION_NODE and b.at not in buildings
    ]
    return errors


def district_from_dict(data: Any, source: str = "district") -> District:
    """Validate plain data into a :class:`District`.

    Raises
    ------
    InputDataError
        One line per problem, naming the field path, the value and what is allowed.
    """
    if not isinstance(data, dict):
        raise InputDataError(
            f"{source}: expected a mapping at the top level, got {type(data).__name__}"
        )
    try:
        return District.model_validate(data)
    except ValidationError as exc:
        raise InputDataError(f"{source} is invalid:\n{format_validation_error(exc)}") from exc


def parse_district(
    text: str, fmt: Literal["yaml", "json"] = "yaml", source: str = "district"
) -> District:
    """Parse YAML or JSON text into a validated District."""
    try:
        data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InputDataError(f"{source}: not valid {fmt.upper()}: {exc}") from exc
    return district_from_dict(data, source)


def load_district(path: str | Path) -> District:
    """Load and validate a district from a ``.yaml``/``.yml`` or ``.json`` file."""
    p = Path(path)
    if not p.is_file():
        raise InputDataError(f"{p}: file not found")
    fmt: Literal["yaml", "json"] = "json" if p.suffix.lower() == ".json" else "yaml"
    return parse_district(p.read_text(encoding="utf-8"), fmt, source=str(p))


def save_district(district: District, path: str | Path) -> Path:
    """Write a district to ``path`` as YAML or JSON (by suffix); returns the path."""
    p = Path(path)
    data = district.to_dict()
    if p.suffix.lower() == ".json":
        p.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        p.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return p


#: Node id of the substation's low-voltage busbar (batteries with ``at: substation``).
SUBSTATION_NODE = "substation"
#: Prefix of a lighting group's node id.
LIGHT_PREFIX = "light:"


def lighting_node(group_id: str) -> str:
    """Return the node id of a lighting group: ``"light:<group id>"``.

    Grid nodes of a district are its building ids, ``"substation"`` and one
    node per lighting group; the optimiser and the grid model share them.
    """
    return f"{LIGHT_PREFIX}{group_id}"


#: Folder of the shipped data (data/ at the repository root).
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
#: The shipped Gera reference district.
GERA_DISTRICT_FILE = DATA_DIR / "gera" / "district.yaml"
