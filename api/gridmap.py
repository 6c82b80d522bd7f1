"""What the dashboard's map needs beyond the grid: buildings, lights and readable names.

``GET /runs/{id}/grid.geojson`` (api/routers/dashboard.py) adds to the grid's
buses, lines and transformer (energy.models.grid.geojson) the district's
buildings (footprints where the district carries imported geometry, else a
point at their connection) and lighting groups, and names each part as
people know it: the street of a feeder, the address or use of a building,
the road of a lighting group, instead of ids such as "L-RING-W" or
"service SC01".

:func:`run_map` draws a run's whole map once, when the run is stored
(:mod:`api.jobkinds`), from the per-element AC extremes of its check
(:func:`energy.models.grid.geojson.element_maxima`); requests then only read it
(:func:`api.runstore.stored_grid_map`).
"""

from __future__ import annotations

import re
from typing import Any

from energy.district import District

#: Names energy.models.grid.build gives feeder segments, feeder buses and service lines.
SEGMENT_NAME = re.compile(r"^(?P<feeder>\S+) (?P<a>[\d.]+)-(?P<b>[\d.]+)m$")
FEEDER_BUS_NAME = re.compile(r"^(?P<feeder>\S+)@(?P<d>[\d.]+)m$")
SERVICE_NAME = re.compile(r"^service (?P<building>\S+)$")


def _lead(text: str, fallback: str) -> str:
    """Return the name a description starts with ("Ringstraße 9: 18 flats" -> "Ringstraße 9")."""
    head = text.split(":", 1)[0] if ":" in text else text.split(",", 1)[0]
    return head.strip()[:80] or fallback


def place_names(district: District) -> dict[str, dict[str, str]]:
    """Readable names of a district's parts, for people rather than ids.

    Returns ``{"feeder": {id: street}, "building": {id: address or use},
    "light": {id: road}}``: from the imported geometry (street and address)
    where the district has one, else from the spec's descriptions and roads
    (the Gera file writes "Ringstraße West: ..." and "Ringstraße 9: ...").
    """
    geometry = getattr(district, "geometry", None)
    feeders = {f.id: _lead(f.description, f.id) for f in district.grid.feeders}
    buildings = {b.id: _lead(b.description, b.id) for b in district.buildings}
    if geometry is not None:
        feeders |= {k: g.name for k, g in geometry.feeders.items() if g.name}
        buildings |= {k: g.address for k, g in geometry.buildings.items() if g.address}
    return {
        "feeder": feeders,
        "building": buildings,
        "light": {g.id: g.road for g in district.lighting},
    }


def _branch_place(name: str, places: dict[str, dict[str, str]]) -> dict[str, str]:
    """``role`` (feeder, service) and ``place`` of a line named by energy.models.grid.build."""
    if m := SEGMENT_NAME.match(name):
        street = places["feeder"].get(m["feeder"], m["feeder"])
        return {"role": "feeder", "place": f"{street}, {m['a']}–{m['b']} m"}
    if m := SERVICE_NAME.match(name):
        return {"role": "service", "place": places["building"].get(m["building"], m["building"])}
    return {}


def add_district_features(collection: dict[str, Any], district: District) -> None:
    """Add buildings and lights to a grid's GeoJSON, and readable names to its parts.

    Buildings are their footprints (Polygon) where the district has imported
    geometry, else a Point at their grid connection; lights are Points at
    their group's connection. Each carries its bus's voltage results. Lines
    get ``role`` and ``place`` (street and metres, or the building served),
    buses the ``places`` of their nodes. Changes ``collection`` in place.
    """
    places = place_names(district)
    geometry = getattr(district, "geometry", None)
    at: dict[str, dict[str, Any]] = {}  # node id -> its bus feature
    for f in collection["features"]:
        props = f["properties"]
        if props["element_type"] == "bus":
            for node in props.get("nodes", []):
                at[str(node)] = f
            props["places"] = [_node_place(str(n), places) for n in props.get("nodes", [])]
            if m := FEEDER_BUS_NAME.match(str(props["name"])):
                street = places["feeder"].get(m["feeder"], m["feeder"])
                props["places"].append(f"{street}, {m['d']} m")
        elif props["element_type"] == "line":
            props |= _branch_place(str(props["name"]), places)
    pv_kwp: dict[str, float] = {}
    for pv in district.pv:
        pv_kwp[pv.building] = pv_kwp.get(pv.building, 0.0) + pv.kwp
    voltage = ("vm_min_pu", "vm_max_pu", "max_voltage_rise_pct")
    for b in district.buildings:
        bus = at.get(b.id)
        shape = geometry.buildings.get(b.id) if geometry is not None else None
        if shape is not None:
            geo = {"type": "Polygon", "coordinates": [[list(p) for p in shape.footprint]]}
        elif bus is not None:
            geo = bus["geometry"]
        else:
            continue
        props = {"element_type": "building", "name": b.id, "place": places["building"][b.id]}
        props |= {"kind": str(b.kind), "annual_kwh": b.annual_kwh, "pv_kwp": pv_kwp.get(b.id, 0)}
        props |= {"footprint": shape is not None}
        props |= {k: bus["properties"].get(k) for k in voltage} if bus is not None else {}
        collection["features"].append(
            {"type": "Feature", "id": f"building/{b.id}", "geometry": geo, "properties": props}
        )
    for g in district.lighting:
        bus = at.get(f"light:{g.id}")
        if bus is None:
            continue
        props = {"element_type": "light", "name": g.id, "place": g.road}
        props |= {"luminaires": g.luminaires, "design_class": g.design_class}
        collection["features"].append(
            {
                "type": "Feature",
                "id": f"light/{g.id}",
                "geometry": bus["geometry"],
                "properties": props,
            }
        )
    if geometry is not None:
        collection["metadata"] |= {
            "geometry_source": geometry.source,
            "geometry_licence": geometry.licence,
        }


def _node_place(node: str, places: dict[str, dict[str, str]]) -> str:
    """Return a node id in words: building address, light road, or the id itself."""
    if node.startswith("light:"):
        return places["light"].get(node[len("light:") :], node)
    return places["building"].get(node, node)


def run_map(
    district: District, nodes: list[str], network: Any, elements: dict[str, Any]
) -> dict[str, Any]:
    """Return a run's map: its grid with the AC extremes per element, buildings and lights.

    Parameters
    ----------
    district
        The run's district (its version with the run's changes).
    nodes
        Node ids of the run (columns of its node powers).
    network
        The run's grid: None for the net built from the district, else the
        version's imported pandapower net (:func:`energy.scenario.scenario_network`).
    elements
        The run's :func:`~energy.models.grid.geojson.element_maxima` (stored in
        ``grid["elements"]``).

    Returns
    -------
    dict
        GeoJSON FeatureCollection (:func:`~energy.models.grid.geojson.to_geojson`
        plus :func:`add_district_features`), JSON-ready.
    """
    from energy.models.grid.geojson import to_geojson
    from energy.scenario import scenario_network

    net, _ = scenario_network(district, nodes, network)
    collection: dict[str, Any] = to_geojson(net, maxima=elements)
    add_district_features(collection, district)
    return collection
