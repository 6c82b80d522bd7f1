"""District spec of where things are: building footprints, roofs, feeder routes (optional).

A district imported from GeoJSON (:mod:`energy.geometry`) keeps its geometry
here, in WGS 84 ``[longitude, latitude]`` (RFC 7946): each building's
footprint, address, levels, floor area and roof (shape, area, tilt, the
azimuth of the face carrying PV), the route of each feeder and the
substation's position, with the source and licence of the geometry. The field
``District.geometry`` is optional and left out of the spec's JSON form while
unset, so district files without it keep their spec hash.

Azimuths are degrees clockwise from north (180 = south), as
:class:`energy.district.PVSystem` uses them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from energy.spec_base import Id, SpecModel

#: A WGS 84 position ``(longitude, latitude)`` [deg].
LonLat = tuple[float, float]


class RoofGeometry(SpecModel):
    """A roof derived from the footprint (assumptions in :mod:`energy.geometry`)."""

    shape: Literal["flat", "pitched"]
    area_m2: float = Field(ge=0, description="Roof surface [m2] (all faces, sloped area)")
    tilt_deg: float = Field(ge=0, le=90, description="Tilt of the faces [deg]")
    pv_azimuth_deg: float = Field(
        ge=0, lt=360, description="Azimuth of the face (or racks) carrying PV [deg], 180 = south"
    )
    pv_tilt_deg: float = Field(ge=0, le=90, description="Tilt of the PV modules [deg]")
    pv_area_m2: float = Field(ge=0, description="Roof area usable for modules [m2]")


class BuildingGeometry(SpecModel):
    """Footprint and figures of one building as imported."""

    footprint: list[LonLat] = Field(min_length=4, description="Closed outer ring, WGS 84")
    source_id: str = Field("", description="Id of the feature in the source (e.g. way/123)")
    address: str = ""
    building: str = Field(description="The source's building type (OSM building=*)")
    levels: int = Field(ge=1, le=100, description="Storeys above ground")
    levels_assumed: bool = Field(False, description="True when the source gave no levels")
    footprint_m2: float = Field(gt=0, description="Footprint area [m2]")
    floor_area_m2: float = Field(gt=0, description="Net floor area [m2] (demand basis)")
    dwellings: int | None = Field(None, ge=0, description="Dwellings (residential)")
    roof: RoofGeometry


class FeederGeometry(SpecModel):
    """The route of a feeder, from the substation end."""

    path: list[LonLat] = Field(min_length=2, description="Line from the substation end, WGS 84")
    name: str = Field("", description="Street or cable name in the source")
    laid: Literal["cable layer", "along street"]


class DistrictGeometry(SpecModel):
    """Where the district's buildings, feeders and substation are."""

    substation: LonLat
    substation_assumed: bool = Field(
        False, description="True when the source gave no substation (placed at the centroid)"
    )
    buildings: dict[Id, BuildingGeometry]
    feeders: dict[Id, FeederGeometry]
    source: str = Field(description="Where the geometry comes from")
    licence: str = Field(description="Licence of the geometry (e.g. ODbL-1.0 for OSM)")
