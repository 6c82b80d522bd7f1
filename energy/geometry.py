"""Buildings with geometry: a district spec from a GeoJSON of footprints, streets or cables.

:func:`import_geojson` reads a FeatureCollection (RFC 7946) as an OpenStreetMap
or ALKIS export gives it and returns a :class:`~energy.district.District` with
its geometry (:mod:`energy.district_geometry`):

* **Buildings**: Polygon or MultiPolygon features with a ``building`` type
  (OSM ``building=*``; ``building:use`` where ``building`` is ``yes``), optional
  ``building:levels``, ``building:flats``, ``roof:shape``, ``roof:angle``,
  ``addr:street`` / ``addr:housenumber`` and an ``id`` (``@id`` of OSM exports).
* **Feeders**: LineStrings with ``power=cable`` (a given cable layer; ``ref``
  or ``name`` becomes the feeder id), else with ``highway=*`` (feeders laid
  along the streets: one feeder per street line). Each building joins the
  line nearest to its footprint's centroid, at the position along it
  (metres from the line's substation end plus the straight distance from the
  substation to that end).
* **Substation**: a Point with ``power=substation`` or ``power=transformer``;
  without one it is placed at the buildings' centroid (recorded as assumed).

Coordinates are WGS 84 longitude/latitude unless the collection declares
another CRS in a ``crs`` member (``{"type": "name", "properties": {"name":
"EPSG:25833"}}``, as ALKIS exports in ETRS89 / UTM carry it); they are then
transformed with pyproj. Areas and lengths are computed in a local azimuthal
equidistant projection about the collection's centre (pyproj), exact to well
below 0.1 % over a quarter.

Assumptions (documented, each marked *check* where it is our own):

* Levels: ``building:levels``, else :data:`TYPES` ``levels`` (*check*).
* Net floor area = footprint x levels x :data:`NET_FLOOR_FRAC` (0.8; DIN 277
  net-to-gross floor area ratios are typically 0.8-0.9, *check*).
* Demand: residential by dwelling (``building:flats``, else floor area /
  :data:`M2_PER_FLAT` in multi-family buildings, one dwelling in a house) at
  the Stromspiegel figures of data/gera/README.md (2,200 kWh/a per flat incl.
  200 kWh/a common share; 4,000 kWh/a per house, 3-4 persons); non-residential
  by net floor area at VDI 3807 Part 2 benchmarks (schools 14, administration
  30 kWh/m2 limit values; data/gera/README.md) or own assumptions (*check*).
  Load profiles are the BDEW ones of the README (H0 homes, G1 offices and
  schools, G4 shops, G2 community and restaurants, G0 other).
* Roof: ``roof:shape`` (``flat`` or pitched), else flat except houses. A
  pitched roof has two faces at ``roof:angle`` or :data:`PITCHED_TILT_DEG`
  (35 deg, *check*), the ridge along the long side of the footprint's minimum
  rotated rectangle; PV goes on the face closer to south, on
  :data:`PITCHED_PV_FRAC` (60 %, *check*: chimneys, windows, edge distances)
  of it. A flat roof carries south-facing racks at :data:`FLAT_PV_TILT_DEG`
  (15 deg) on :data:`FLAT_PV_FRAC` (40 %, *check*: row spacing, edges,
  plant) of its area.
* PV (``pv=True``): :data:`KWP_PER_M2` (0.2 kWp/m2: 430 Wp modules of about
  1.95 m2 less gaps) on the usable roof area.

Bad input (all or nothing): a collection with more than
:data:`MAX_FEATURES` features, invalid or self-intersecting geometry, a missing
building type, coordinates outside WGS 84 without a declared CRS, no feeder
lines: one :class:`~energy.errors.InputDataError` names every problem with
the feature's index and id and the field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import LineString, Point, Polygon, shape
from shapely.ops import substring
from shapely.validation import explain_validity

from energy.district import District, district_from_dict
from energy.errors import InputDataError

#: Most features one import takes (split larger areas).
MAX_FEATURES = 5000
#: Net floor area per gross floor area (footprint x levels); DIN 277 ratios 0.8-0.9 (check).
NET_FLOOR_FRAC = 0.8
#: Mean net floor area per flat in multi-family buildings [m2] (check; Destatis mean ~70 m2).
M2_PER_FLAT = 70.0
#: Tilt of pitched roofs without roof:angle [deg] (check).
PITCHED_TILT_DEG = 35.0
#: Usable share of a pitched roof's PV face, and of a flat roof for racks (check).
PITCHED_PV_FRAC, FLAT_PV_FRAC = 0.6, 0.4
#: Tilt of racks on flat roofs [deg].
FLAT_PV_TILT_DEG = 15.0
#: PV peak power per usable roof area [kWp/m2].
KWP_PER_M2 = 0.2
#: German letters in feeder ids (ids are ASCII).
UMLAUTS = str.maketrans(
    {"ß": "ss", "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)
#: Most problems listed in one error message.
MAX_LISTED = 20


@dataclass(frozen=True)
class BuildingType:
    """How a building type becomes a load: kind, profile, default levels, demand basis."""

    kind: str
    profile: str
    levels: int
    kwh_per_flat: float | None = None
    kwh_per_m2: float | None = None
    pitched: bool = False


_FLAT = BuildingType("multi_family", "H0", 5, kwh_per_flat=2200.0)
_HOUSE = BuildingType("single_family", "H0", 2, kwh_per_flat=4000.0, pitched=True)
#: OSM building values -> type (residential per dwelling, others per m2 net floor area).
TYPES: dict[str, BuildingType] = {
    "apartments": _FLAT,
    "residential": _FLAT,
    "dormitory": _FLAT,
    "house": _HOUSE,
    "detached": _HOUSE,
    "semidetached_house": _HOUSE,
    "terrace": _HOUSE,
    "school": BuildingType("school", "G1", 3, kwh_per_m2=14.0),
    "kindergarten": BuildingType("public", "G1", 2, kwh_per_m2=20.0),
    "office": BuildingType("commercial", "G1", 4, kwh_per_m2=30.0),
    "public": BuildingType("public", "G1", 3, kwh_per_m2=30.0),
    "civic": BuildingType("community", "G2", 2, kwh_per_m2=22.0),
    "retail": BuildingType("commercial", "G4", 1, kwh_per_m2=100.0),
    "commercial": BuildingType("commercial", "G0", 2, kwh_per_m2=50.0),
    "sports_hall": BuildingType("school", "G0", 1, kwh_per_m2=22.0),
}


class _Problems:
    """Problems found, each naming the feature (index and id) and the field."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, index: int | None, fid: str, field: str, text: str) -> None:
        where = "collection" if index is None else f"features[{index}] (id {fid!r})"
        self.items.append(f"{where}: {field}: {text}")

    def raise_any(self) -> None:
        if self.items:
            shown = self.items[:MAX_LISTED]
            more = len(self.items) - len(shown)
            raise InputDataError(
                f"GeoJSON import refused, nothing imported ({len(self.items)} problems): "
                + "; ".join(shown)
                + (f"; and {more} more" if more else "")
            )


def _declared_crs(data: Mapping[str, Any]) -> pyproj.CRS | None:
    crs = data.get("crs")
    if crs is None:
        return None
    name = str((crs.get("properties") or {}).get("name", "")) if isinstance(crs, Mapping) else ""
    try:
        return pyproj.CRS.from_user_input(name)
    except pyproj.exceptions.CRSError:
        raise InputDataError(
            f"crs: {name!r} is not a coordinate reference system pyproj knows; "
            "give e.g. 'EPSG:25833' (ETRS89 / UTM 33N) or leave it out for WGS 84"
        ) from None


def _feature_id(feature: Mapping[str, Any], index: int) -> str:
    props = feature.get("properties") or {}
    return str(feature.get("id") or props.get("@id") or props.get("id") or f"#{index}")


def _to_wgs84(geom: Any, transform: pyproj.Transformer | None) -> Any:
    if transform is None:
        return geom
    return shapely.transform(
        geom, lambda xy: np.column_stack(transform.transform(xy[:, 0], xy[:, 1]))
    )


def _read_features(
    data: Mapping[str, Any], problems: _Problems
) -> list[tuple[int, str, dict[str, Any], Any]]:
    """Return ``(index, id, properties, WGS 84 shapely geometry)`` of every usable feature."""
    if data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise InputDataError("type: the file is not a GeoJSON FeatureCollection with features")
    features = data["features"]
    if len(features) > MAX_FEATURES:
        raise InputDataError(
            f"features: {len(features)} features; one import takes at most {MAX_FEATURES} "
            "(split the area into blocks)"
        )
    crs = _declared_crs(data)
    wgs84 = crs is None or crs.equals(pyproj.CRS.from_epsg(4326), ignore_axis_order=True)
    transform = None if wgs84 else pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    out = []
    for i, feature in enumerate(features):
        fid = _feature_id(feature, i)
        try:
            geom = shape(feature["geometry"])
        except (
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            shapely.errors.GEOSException,
        ) as exc:
            problems.add(i, fid, "geometry", f"not a GeoJSON geometry ({exc})")
            continue
        if crs is None:
            x0, y0, x1, y1 = geom.bounds
            if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
                problems.add(
                    i,
                    fid,
                    "geometry.coordinates",
                    f"({x0:g}, {y0:g}) is not WGS 84 longitude/latitude; declare the CRS "
                    "in a 'crs' member (e.g. EPSG:25833)",
                )
                continue
        if not geom.is_valid:
            problems.add(i, fid, "geometry", f"invalid: {explain_validity(geom)}")
            continue
        out.append((i, fid, dict(feature.get("properties") or {}), _to_wgs84(geom, transform)))
    return out


def _local(centre: Point) -> pyproj.Transformer:
    """WGS 84 -> a local azimuthal equidistant projection about ``centre`` [m]."""
    aeqd = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +units=m")
    return pyproj.Transformer.from_crs(4326, aeqd, always_xy=True)


def _metres(geom: Any, local: pyproj.Transformer) -> Any:
    return shapely.transform(geom, lambda xy: np.column_stack(local.transform(xy[:, 0], xy[:, 1])))


def _building_type(props: Mapping[str, Any]) -> tuple[str | None, BuildingType | None]:
    value = props.get("building")
    if value == "yes":
        value = props.get("building:use")
    return (None, None) if value is None else (str(value), TYPES.get(str(value)))


def _number(props: Mapping[str, Any], key: str) -> float | None:
    """Return a numeric tag (``5``, ``4.5``, ``5;6`` -> first), None if absent, NaN if bad."""
    value = props.get(key)
    if value is None or value == "":
        return None
    try:
        return float(str(value).split(";")[0].strip())
    except ValueError:
        return math.nan


def roof_of(footprint_m: Polygon, pitched: bool, tilt_deg: float) -> dict[str, float | str]:
    """Return the roof of a footprint in metres (module docstring: shape, faces, PV area).

    The ridge of a pitched roof runs along the long side of the footprint's
    minimum rotated rectangle; its two faces look at right angles to it and
    PV goes on the one closer to south.
    """
    area = float(footprint_m.area)
    if not pitched:
        return {
            "shape": "flat",
            "area_m2": area,
            "tilt_deg": 0.0,
            "pv_azimuth_deg": 180.0,
            "pv_tilt_deg": FLAT_PV_TILT_DEG,
            "pv_area_m2": FLAT_PV_FRAC * area,
        }
    rect = np.asarray(footprint_m.minimum_rotated_rectangle.exterior.coords)[:3]
    sides = np.diff(rect, axis=0)
    dx, dy = sides[int(np.argmax(np.hypot(sides[:, 0], sides[:, 1])))]
    ridge = math.degrees(math.atan2(dx, dy)) % 180.0  # bearing from north [deg]
    faces = ((ridge + 90.0) % 360.0, (ridge + 270.0) % 360.0)
    azimuth = min(faces, key=lambda a: abs(a - 180.0))
    sloped = area / math.cos(math.radians(tilt_deg))
    return {
        "shape": "pitched",
        "area_m2": sloped,
        "tilt_deg": tilt_deg,
        "pv_azimuth_deg": round(azimuth, 1),
        "pv_tilt_deg": tilt_deg,
        "pv_area_m2": PITCHED_PV_FRAC * sloped / 2.0,
    }


def _building(
    fid: str, props: Mapping[str, Any], geom: Any, local: pyproj.Transformer, say: Any
) -> dict[str, Any] | None:
    """Return one building's spec and geometry, or None after ``say(field, text)``."""
    value, btype = _building_type(props)
    if btype is None:
        known = ", ".join(sorted(TYPES))
        say(
            "properties.building",
            "missing" if value is None else f"{value!r} is not a known type; known: {known}",
        )
        return None
    if geom.geom_type == "MultiPolygon":
        geom = max(geom.geoms, key=lambda g: g.area)
    if geom.geom_type != "Polygon":
        say("geometry.type", f"{geom.geom_type} is not a footprint; give a Polygon")
        return None
    metres = _metres(geom, local)
    levels_tag, flats_tag = _number(props, "building:levels"), _number(props, "building:flats")
    angle = _number(props, "roof:angle")
    for key, number in (
        ("building:levels", levels_tag),
        ("building:flats", flats_tag),
        ("roof:angle", angle),
    ):
        if number is not None and not (number >= 0 and math.isfinite(number)):
            say(f"properties.{key}", f"{props.get(key)!r} is not a number >= 0")
            return None
    levels = max(1, round(levels_tag)) if levels_tag else btype.levels
    floor = float(metres.area) * levels * NET_FLOOR_FRAC
    if btype.kwh_per_flat is not None:
        flats = (
            round(flats_tag)
            if flats_tag is not None
            else (1 if btype.kind == "single_family" else max(1, round(floor / M2_PER_FLAT)))
        )
        annual = flats * btype.kwh_per_flat
    else:
        flats, annual = None, floor * float(btype.kwh_per_m2 or 0.0)
    shape_tag = str(props.get("roof:shape", "pitched" if btype.pitched else "flat"))
    roof = roof_of(metres, shape_tag != "flat", angle if angle else PITCHED_TILT_DEG)
    address = f"{props.get('addr:street', '')} {props.get('addr:housenumber', '')}".strip()
    return {
        "kind": btype.kind,
        "profile": btype.profile,
        "annual_kwh": round(annual, 1),
        "households": flats,
        "centroid_m": metres.centroid,
        "geometry": {
            "footprint": [list(p) for p in geom.exterior.coords],
            "source_id": fid,
            "address": address,
            "building": value,
            "levels": levels,
            "levels_assumed": levels_tag is None,
            "footprint_m2": round(float(metres.area), 2),
            "floor_area_m2": round(floor, 1),
            "dwellings": flats,
            "roof": roof,
        },
    }


def _feeder_lines(
    features: Sequence[tuple[int, str, dict[str, Any], Any]],
) -> tuple[str, list[tuple[str, str, Any]]]:
    """Return how feeders are laid and ``(id, name, WGS 84 line)`` of each feeder line."""
    lines = [(f, p, g) for _, f, p, g in features if g.geom_type == "LineString"]
    cables = [(f, p, g) for f, p, g in lines if p.get("power") in ("cable", "line", "minor_line")]
    laid, chosen = (
        ("cable layer", cables)
        if cables
        else ("along street", [x for x in lines if "highway" in x[1]])
    )
    out = []
    for n, (_, props, geom) in enumerate(chosen, start=1):
        name = str(props.get("ref") or props.get("name") or "")
        plain = name.translate(UMLAUTS)
        slug = re.sub(r"[^A-Za-z0-9_.\-]+", "-", plain).strip("-")[:40]
        out.append((f"F{n}" + (f"-{slug}" if slug else ""), name, geom))
    return laid, out


def _substation(features: Sequence[tuple[int, str, dict[str, Any], Any]]) -> Point | None:
    points = [
        g
        for _, _, p, g in features
        if g.geom_type == "Point" and p.get("power") in ("substation", "transformer")
    ]
    return points[0] if points else None


def _routes_from(
    fid: str, name: str, line: LineString, sub_m: Point, local: pyproj.Transformer
) -> list[tuple[str, str, Any, Any, float]]:
    """Split a feeder line (metres) where it passes closest to the substation.

    Returns ``(id, name, WGS 84 line, line in metres, offset [m])`` for each
    part running away from that point (one part when it is an end, two when
    the line passes the substation: ``<id>a`` and ``<id>b``); the offset is
    the straight distance from the substation to the line.
    """
    at = line.project(sub_m)
    offset = float(line.interpolate(at).distance(sub_m))
    parts = [substring(line, at, 0.0), substring(line, at, line.length)]
    parts = [p for p in parts if p.length > 1.0]
    inverse = pyproj.Transformer.from_crs(local.target_crs, 4326, always_xy=True)
    out = []
    for suffix, part in zip("ab" if len(parts) == 2 else "-", parts, strict=False):
        wgs = shapely.transform(
            part, lambda xy: np.column_stack(inverse.transform(xy[:, 0], xy[:, 1]))
        )
        out.append((fid if suffix == "-" else f"{fid}-{suffix}", name, wgs, part, offset))
    return out


def import_geojson(
    data: Mapping[str, Any],
    name: str = "Imported district",
    source: str = "GeoJSON import",
    licence: str = "ODbL-1.0",
    pv: bool = False,
    altitude_m: float = 0.0,
) -> District:
    """Return a district spec from a GeoJSON FeatureCollection (module docstring).

    Parameters
    ----------
    data
        The parsed GeoJSON.
    name
        The district's name (``site.name``).
    source, licence
        Where the geometry comes from and its licence (ODbL-1.0 for OSM data),
        kept in ``geometry``.
    pv
        Put a PV system on every roof (usable area x :data:`KWP_PER_M2`).
    altitude_m
        The site's altitude [m].

    Raises
    ------
    InputDataError
        Anything wrong, every problem named with the feature's index, id and
        field; nothing is imported.
    """
    problems = _Problems()
    features = _read_features(data, problems)
    polygons = [x for x in features if x[3].geom_type in ("Polygon", "MultiPolygon")]
    if not polygons:
        if not problems.items:
            problems.add(None, "", "features", "no building footprints (Polygon features)")
        problems.raise_any()
    centre = shapely.union_all([g for *_, g in polygons]).centroid
    local = _local(centre)
    buildings = []
    for i, fid, props, geom in polygons:
        record = _building(
            fid, props, geom, local, lambda f, t, i=i, fid=fid: problems.add(i, fid, f, t)
        )
        if record is not None:
            buildings.append(record)
    laid, lines = _feeder_lines(features)
    if not lines:
        problems.add(
            None, "", "features", "no feeder lines: give LineStrings with power=cable or highway=*"
        )
    problems.raise_any()
    sub = _substation(features)
    sub_m = _metres(sub or centre, local)
    routes = []
    for fid, fname, geom in lines:
        routes += _routes_from(fid, fname, _metres(geom, local), sub_m, local)
    return _district(
        buildings, routes, laid, sub or centre, sub is None, name, source, licence, pv, altitude_m
    )


def _district(
    buildings: list[dict[str, Any]],
    routes: list[tuple[str, str, Any, Any, float]],
    laid: str,
    substation: Point,
    assumed: bool,
    name: str,
    source: str,
    licence: str,
    pv: bool,
    altitude_m: float,
) -> District:
    """Assemble the spec: each building on its nearest feeder line, geometry kept."""
    specs, pv_specs, geo_buildings, used = [], [], {}, {}
    for n, b in enumerate(buildings, start=1):
        bid = f"B{n:03d}"
        fid, _, _, line, offset = min(routes, key=lambda r: r[3].distance(b["centroid_m"]))
        used[fid] = True
        distance = offset + line.project(b["centroid_m"])
        specs.append(
            {
                "id": bid,
                "kind": b["kind"],
                "annual_kwh": b["annual_kwh"],
                "profile": b["profile"],
                "feeder": fid,
                "distance_m": round(max(distance, 1.0), 1),
                "households": b["households"],
                "description": b["geometry"]["address"],
            }
        )
        geo_buildings[bid] = b["geometry"]
        roof = b["geometry"]["roof"]
        kwp = round(roof["pv_area_m2"] * KWP_PER_M2, 1)
        if pv and kwp >= 1.0:
            pv_specs.append(
                {
                    "id": f"PV-{bid}",
                    "building": bid,
                    "kwp": kwp,
                    "tilt_deg": roof["pv_tilt_deg"],
                    "azimuth_deg": roof["pv_azimuth_deg"],
                }
            )
    feeders = [r for r in routes if r[0] in used]
    spec = {
        "site": {
            "name": name,
            "latitude": substation.y,
            "longitude": substation.x,
            "altitude_m": altitude_m,
        },
        "grid": {"feeders": [{"id": fid, "description": fname} for fid, fname, *_ in feeders]},
        "buildings": specs,
        "pv": pv_specs,
        "description": f"Imported from GeoJSON ({source}); feeders {laid}; assumptions of "
        "energy.geometry",
        "geometry": {
            "substation": [substation.x, substation.y],
            "substation_assumed": assumed,
            "buildings": geo_buildings,
            "source": source,
            "licence": licence,
            "feeders": {
                fid: {"path": [list(p) for p in geom.coords], "name": fname, "laid": laid}
                for fid, fname, geom, *_ in feeders
            },
        },
    }
    return district_from_dict(spec, "GeoJSON import: the district it gives")


def read_geojson(path: Path, **options: Any) -> District:
    """Read a GeoJSON file and import it (:func:`import_geojson`; ``options`` passed on)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputDataError(
            f"{path}: not JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from None
    return import_geojson(data, **options)


def district_geojson(district: District) -> dict[str, Any]:
    """Return the district's buildings, feeders and substation as a GeoJSON FeatureCollection.

    Empty without geometry. Buildings carry ``name`` (the address or the id),
    ``id``, ``annual_kwh`` and the roof; feeders their id and street.
    """
    geo = district.geometry
    if geo is None:
        return {"type": "FeatureCollection", "features": []}
    spec = {b.id: b for b in district.buildings}
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "id": f"building/{bid}",
            "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in g.footprint]]},
            "properties": {
                "element_type": "building",
                "name": g.address or bid,
                "id": bid,
                "annual_kwh": spec[bid].annual_kwh,
                "roof": g.roof.model_dump(),
            },
        }
        for bid, g in geo.buildings.items()
    ] + [
        {
            "type": "Feature",
            "id": f"feeder/{fid}",
            "geometry": {"type": "LineString", "coordinates": [list(p) for p in f.path]},
            "properties": {"element_type": "feeder", "name": f.name or fid, "id": fid},
        }
        for fid, f in geo.feeders.items()
    ]
    features.append(
        {
            "type": "Feature",
            "id": "substation",
            "geometry": {"type": "Point", "coordinates": list(geo.substation)},
            "properties": {"element_type": "substation", "name": "substation"},
        }
    )
    return {
        "type": "FeatureCollection",
        "features": features,
        "metadata": {"source": geo.source, "licence": geo.licence},
    }
