"""Scenario variants: changes a scenario applies to a district before it is run.

A cooperative's question "what if we add 300 kWp of PV and a 400 kWh battery,
and dim the side streets one class lower?" is a :class:`ScenarioChanges`
applied to a district spec by :func:`apply_changes`. The result is a new,
fully validated :class:`~energy.district.District`; the original is unchanged.

Added PV given as a district total (``pv_kwp_added``) goes only onto
roofs that allow it (``Building.pv_allowed``; the Gera file marks roof
terraces, roof gardens, green roofs and units without a roof of their own as
not allowed) and never beyond a roof's remaining potential, where its usable
area is known: ``roof_area_m2`` x :data:`ROOF_KWP_PER_M2` minus the kWp
already on it (:func:`roof_potential_kwp`). With every allowed roof's area
known the total is split in proportion to the remaining potentials (so no
roof is overfilled) and a total beyond their sum is refused; otherwise in
proportion to annual demand (roofs of the big consumers get the most), each
roof with a known area capped at its potential and the rest passed on
(:func:`split_total_kwp`). Each share becomes one system
(``PV-ADD-<building>``) with the orientation of the roof's first existing
system (its layout), else south at 30 deg, and the PVWatts defaults of
:class:`~energy.district.PVSystem`; :func:`added_pv_kwp` lists them per
building (a run's ``metadata["pv_added_kwp"]``). Each is priced by its own
size band (:meth:`energy.analysis.economics.EconomicAssumptions.pv_capex_eur_per_kwp`).
"""

from __future__ import annotations

import logging
import math
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from energy.district import (
    District,
    Id,
    TariffSpec,
    asset_reference_errors,
    district_from_dict,
)
from energy.district_lighting import lighting_class
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
        return lighting_class(value)


class ScenarioChanges(_Change):
    """Changes a scenario makes to its district; the empty default changes nothing."""

    pv_kwp_added: float = Field(
        0.0,
        ge=0,
        le=1e5,
        # the name before December 2026: scenarios stored under it still load
        validation_alias=AliasChoices("pv_kwp_added", "pv_added_total_kwp"),
        description="PV added over the whole district [kWp], on roofs that allow PV, within "
        "their usable area (by remaining roof potential, else by annual demand)",
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


#: Peak power per m2 of usable roof for added PV [kWp/m2]: 430 Wp modules on a flat roof,
#: east-west at 15 deg (data/gera/README.md, "Roof PV").
ROOF_KWP_PER_M2 = 0.19
#: Id prefix of the systems :func:`apply_changes` adds from ``pv_kwp_added``.
ADDED_PV_PREFIX = "PV-ADD-"
_TOL_KWP = 1e-9


def roof_potential_kwp(district: District) -> dict[str, float | None]:
    """Remaining PV potential of every roof that allows PV [kWp]; None where its area is unknown.

    ``roof_area_m2 x ROOF_KWP_PER_M2 - kWp installed on the building``, at least 0.
    """
    installed: dict[str, float] = {}
    for p in district.pv:
        installed[p.building] = installed.get(p.building, 0.0) + p.kwp
    return {
        b.id: None
        if b.roof_area_m2 is None
        else max(b.roof_area_m2 * ROOF_KWP_PER_M2 - installed.get(b.id, 0.0), 0.0)
        for b in district.buildings
        if b.pv_allowed
    }


def split_total_kwp(district: District, total_kwp: float) -> dict[str, float]:
    """Place ``total_kwp`` [kWp] on the roofs that allow PV (module docstring).

    Returns building id -> kWp (buildings that get nothing are left out).

    Raises
    ------
    InputDataError
        No roof allows PV, or the total exceeds the remaining potential of
        the allowed roofs whose areas are all known.
    """
    potential = roof_potential_kwp(district)
    if not potential:
        raise InputDataError("pv_kwp_added: no building allows PV (pv_allowed is false)")
    if all(v is not None for v in potential.values()):
        room = {b: float(v) for b, v in potential.items() if v}
        free = math.fsum(room.values())
        if total_kwp > free + _TOL_KWP:
            raise InputDataError(
                f"pv_kwp_added: {total_kwp:,.1f} kWp do not fit on the roofs that allow "
                f"PV; their remaining potential is {free:,.1f} kWp (usable roof_area_m2 x "
                f"{ROOF_KWP_PER_M2} kWp/m2 minus the kWp installed)"
            )
        return {b: total_kwp * v / free for b, v in room.items()}
    demand = {b.id: b.annual_kwh for b in district.buildings if b.id in potential}
    if math.fsum(demand.values()) <= 0:
        demand = dict.fromkeys(demand, 1.0)
    return _fill_by_weight(total_kwp, demand, potential)


def _fill_by_weight(
    total_kwp: float, weight: dict[str, float], cap: dict[str, float | None]
) -> dict[str, float]:
    """Split in proportion to ``weight``; a share above its cap is capped and the rest passed on.

    The result keeps the order of ``weight`` (the district's building order).
    """
    out = dict.fromkeys(weight, 0.0)
    left, open_ = total_kwp, [b for b, w in weight.items() if w > 0]
    while left > _TOL_KWP and open_:
        w_sum = math.fsum(weight[b] for b in open_)
        share = {b: left * weight[b] / w_sum for b in open_}
        room = {b: c - out[b] for b in open_ if (c := cap[b]) is not None}
        full = [b for b, r in room.items() if share[b] >= r]
        if not full:
            for b in open_:
                out[b] += share[b]
            left = 0.0
            break
        for b in full:
            out[b] += room[b]
            left -= room[b]
        open_ = [b for b in open_ if b not in full]
    if left > _TOL_KWP:
        raise InputDataError(f"pv_kwp_added: {left:,.1f} kWp do not fit on the roofs that allow PV")
    return {b: v for b, v in out.items() if v > _TOL_KWP}


def added_pv_kwp(district: District) -> dict[str, float]:
    """Return the kWp a scenario added per building (systems ``PV-ADD-<building>``)."""
    out: dict[str, float] = {}
    for p in district.pv:
        if p.id.startswith(ADDED_PV_PREFIX):
            out[p.building] = out.get(p.building, 0.0) + p.kwp
    return out


def unlimited_roof_notes(district: District) -> tuple[str, ...]:
    """Warn where added PV sits on roofs whose usable area is not known.

    Without ``roof_area_m2`` :func:`split_total_kwp` cannot check that the
    added kWp fit on a roof, so a run says so in its warnings (empty when no
    PV was added or every roof that got some has a known area).
    """
    added = added_pv_kwp(district)
    areas = {b.id: b.roof_area_m2 for b in district.buildings}
    unknown = [b for b in added if areas.get(b) is None]
    if not unknown:
        return ()
    kwp = math.fsum(added[b] for b in unknown)
    return (
        f"added PV: {kwp:,.1f} kWp on {len(unknown)} roofs whose usable area is not known "
        "(roof_area_m2 unset) are not limited by roof area; they are split by annual demand",
    )


def _roof_layout(district: District, building: str) -> dict[str, float]:
    """Tilt and azimuth of the building's first PV system (its roof's layout), if any."""
    for p in district.pv:
        if p.building == building:
            return {"tilt_deg": p.tilt_deg, "azimuth_deg": p.azimuth_deg}
    return {}


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
    if changes.pv_kwp_added > 0:
        pv_additions += [
            PVAddition(building=b, kwp=kwp, **_roof_layout(district, b))
            for b, kwp in split_total_kwp(district, changes.pv_kwp_added).items()
        ]
    for add in pv_additions:
        system = add.model_dump(exclude={"id"})
        system["id"] = _unique_id(add.id or f"{ADDED_PV_PREFIX}{add.building}", pv_ids)
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
