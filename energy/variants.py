"""Scenario variants: changes a scenario applies to a district before it is run.

A cooperative's question "what if we add 300 kWp of PV and a 400 kWh battery,
and dim the side streets one class lower?" is a :class:`ScenarioChanges`
applied to a district spec by :func:`apply_changes`. The result is a new,
fully validated :class:`~energy.district.District`; the original is unchanged.

Added PV given as a district total is split over the buildings in proportion
to their annual demand (a self-consumption-oriented placement: roofs of the
big consumers get the most), each share becoming one south-facing system with
the PVWatts defaults of :class:`~energy.district.PVSystem`.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from energy.district import (
    LIGHTING_CLASS_LEVELS,
    District,
    Id,
    TariffSpec,
    asset_reference_errors,
    district_from_dict,
)
from energy.errors import InputDataError

logger = logging.getLogger(__name__)


class _Change(BaseModel):
    """Base of the change models: unknown fields are errors, instances are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PVAddition(_Change):
    """A new PV system on one building."""

    building: Id = Field(description="Id of the building that gets the system")
    kwp: float = Field(gt=0, le=1e5, description="DC nameplate power at STC [kWp]")
    tilt_deg: float = Field(30.0, ge=0, le=90, description="Module tilt [deg]")
    azimuth_deg: float = Field(180.0, ge=0, lt=360, description="Azimuth [deg], 180 = south")
    mount: Literal["roof", "open_rack"] = "roof"
    id: Id | None = Field(None, description="Id of the new system; default PV-ADD-<building>")


class BatteryAddition(_Change):
    """A new battery at the substation or at a building."""

    at: Id = Field("substation", description="'substation' or a building id")
    capacity_kwh: float = Field(gt=0, le=1e6, description="Usable nominal capacity [kWh]")
    power_kw: float = Field(gt=0, le=1e6, description="Max charge and discharge power [kW]")
    eta_charge: float = Field(0.95, gt=0, le=1, description="Charge efficiency [0..1]")
    eta_discharge: float = Field(0.95, gt=0, le=1, description="Discharge efficiency [0..1]")
    id: Id | None = Field(None, description="Id of the new battery; default BAT-ADD-<at>")


class LightingChange(_Change):
    """New design class and/or lowest approved class of a lighting group."""

    group: Id = Field(description="Id of the lighting group")
    design_class: str | None = Field(None, description="New EN 13201-2 design class")
    lowest_class: str | None = Field(None, description="New lowest approved class")

    @field_validator("design_class", "lowest_class")
    @classmethod
    def _known_class(cls, value: str | None) -> str | None:
        if value is None:
            return None
        key = value.strip().upper()
        if key not in LIGHTING_CLASS_LEVELS:
            raise ValueError(f"{value!r} is not an EN 13201-2 class; allowed: M1-M6, C0-C5, P1-P6")
        return key


class ScenarioChanges(_Change):
    """Changes a scenario makes to its district; the empty default changes nothing."""

    pv_added_total_kwp: float = Field(
        0.0,
        ge=0,
        le=1e5,
        description="PV added over the whole district [kWp], split by annual demand",
    )
    pv: list[PVAddition] = Field(default_factory=list, description="PV added per building")
    batteries: list[BatteryAddition] = Field(default_factory=list)
    lighting: list[LightingChange] = Field(default_factory=list)
    tariff: TariffSpec | None = Field(None, description="Tariff replacing the district's")

    @property
    def is_empty(self) -> bool:
        """True when the changes leave a district as it is."""
        return self == ScenarioChanges()


def _unique_id(wanted: str, taken: set[str]) -> str:
    """Return ``wanted`` or ``wanted-2``, ``wanted-3``... whichever is not in ``taken``."""
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}-{n}"
    taken.add(candidate)
    return candidate


def split_total_kwp(district: District, total_kwp: float) -> dict[str, float]:
    """Split ``total_kwp`` [kWp] over the buildings in proportion to annual demand.

    Returns building id -> kWp; buildings without demand get nothing. When no
    building has demand, the total is split evenly.
    """
    demand = {b.id: b.annual_kwh for b in district.buildings}
    weight_sum = sum(demand.values())
    if weight_sum <= 0:
        return {b: total_kwp / len(demand) for b in demand}
    return {b: total_kwp * w / weight_sum for b, w in demand.items() if w > 0}


def apply_changes(district: District, changes: ScenarioChanges) -> District:
    """Return ``district`` with ``changes`` applied, validated as a new District.

    Parameters
    ----------
    district
        The district version the scenario refers to; it is not modified.
    changes
        PV and batteries to add, lighting classes to change, a tariff to use.

    Raises
    ------
    InputDataError
        A change refers to an unknown building or lighting group, or the
        changed district is invalid; each line names the field under ``changes``.
    """
    if changes.is_empty:
        return district
    buildings = {b.id for b in district.buildings}
    groups = {g.id: i for i, g in enumerate(district.lighting)}
    errors = asset_reference_errors("changes.", changes.pv, changes.batteries, buildings)
    for i, change in enumerate(changes.lighting):
        if change.group not in groups:
            errors.append(
                f"changes.lighting[{i}].group: {change.group!r} is not a lighting group; "
                f"allowed: {sorted(groups)}"
            )
    if errors:
        raise InputDataError("\n".join(errors))

    data: dict[str, Any] = district.to_dict()
    pv_ids = {p.id for p in district.pv}
    pv_additions = list(changes.pv)
    if changes.pv_added_total_kwp > 0:
        pv_additions += [
            PVAddition(building=b, kwp=kwp)
            for b, kwp in split_total_kwp(district, changes.pv_added_total_kwp).items()
        ]
    for add in pv_additions:
        system = add.model_dump(exclude={"id"})
        system["id"] = _unique_id(add.id or f"PV-ADD-{add.building}", pv_ids)
        data["pv"].append(system)

    battery_ids = {b.id for b in district.batteries}
    for bat in changes.batteries:
        entry = bat.model_dump(exclude={"id"})
        entry["id"] = _unique_id(bat.id or f"BAT-ADD-{bat.at}", battery_ids)
        data["batteries"].append(entry)

    for change in changes.lighting:
        group = data["lighting"][groups[change.group]]
        if change.design_class is not None:
            group["design_class"] = change.design_class
        if change.lowest_class is not None:
            group["lowest_class"] = change.lowest_class

    if changes.tariff is not None:
        data["tariff"] = changes.tariff.model_dump(mode="json", by_alias=True)

    logger.debug(
        "scenario changes: +%d PV systems, +%d batteries, %d lighting changes",
        len(pv_additions),
        len(changes.batteries),
        len(changes.lighting),
    )
    return district_from_dict(data, source="district with the scenario's changes")
