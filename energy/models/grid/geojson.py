"""GeoJSON export of a network with its AC results, for map dashboards.

The output is an RFC 7946 FeatureCollection (https://doi.org/10.17487/RFC7946):
buses as Points, lines and the transformer as LineStrings, coordinates
``[longitude, latitude]`` in WGS 84. Results are attached as properties:
minimum/maximum voltage and largest rise per bus, largest loading per line and
transformer. A foreign member ``metadata`` carries the licence (CC-BY-4.0 for
our results, ODbL-1.0 for SimBench-derived grids) and the source.

Those results are :func:`element_maxima` of the AC time series: small, JSON-ready,
and stored with a run (``grid["elements"]`` of :func:`energy.ac_check.grid_summary`),
so a map of a stored run is drawn from them without a power flow
(``to_geojson(net, maxima=...)``).

Coordinates come from ``net.bus.geo`` (pandapower 3 stores GeoJSON strings
there). A net without them gets a schematic radial layout: the external-grid
bus at ``origin``, every bus at its cable distance from it, the angle sector of
each subtree proportional to its number of leaves (the classic radial tree
layout; Eades 1992, "Drawing free trees", Bulletin of the Institute for
Combinatorics and its Applications 5, 10-36).
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import networkx as nx
import numpy as np
import pandapower as pp
import pandapower.topology as top
import pandas as pd

from energy.models.grid.build import M_PER_DEG_LAT, element_names, node_buses
from energy.models.grid.powerflow import GridTimeSeriesResult

logger = logging.getLogger(__name__)

#: Default map origin of generated layouts: Gera city centre (lat, lon) [deg].
GERA_ORIGIN: tuple[float, float] = (50.88, 12.08)
#: Drawn length of branches without a length (transformers, switches) [m].
MIN_EDGE_M = 10.0


def _parse_point(value: Any) -> tuple[float, float] | None:
    if isinstance(value, str) and value.strip():
        value = json.loads(value)
    if isinstance(value, dict) and value.get("type") == "Point":
        lon, lat = value["coordinates"][:2]
        return float(lon), float(lat)
    return None


def bus_coordinates(net: pp.pandapowerNet) -> tuple[dict[int, tuple[float, float]], bool]:
    """(lon, lat) of every bus from ``net.bus.geo``; else a generated layout.

    Returns the map bus index -> (lon, lat) and whether it was generated.
    """
    if "geo" in net.bus:
        points = {int(b): _parse_point(g) for b, g in net.bus["geo"].items()}
        if points and all(p is not None for p in points.values()):
            return {b: p for b, p in points.items() if p is not None}, False
    return radial_layout(net), True


def radial_layout(
    net: pp.pandapowerNet, origin: tuple[float, float] = GERA_ORIGIN
) -> dict[int, tuple[float, float]]:
    """Schematic (lon, lat) of every bus: radial tree layout by cable distance [m]."""
    graph = top.create_nxgraph(net, respect_switches=True, include_out_of_service=True)
    roots = [int(b) for b in net.ext_grid["bus"]] or [int(net.bus.index[0])]
    tree = nx.Graph()
    tree.add_nodes_from(graph.nodes)
    for a, b, data in graph.edges(data=True):
        length_m = float(data.get("weight") or 0.0) * 1000.0
        if not tree.has_edge(a, b) or tree[a][b]["m"] > length_m:
            tree.add_edge(a, b, m=length_m if length_m > 0 else MIN_EDGE_M)
    xy: dict[int, tuple[float, float]] = {}
    placed: set[int] = set()
    for root in roots:
        if root in placed:
            continue
        bfs = nx.bfs_tree(tree, root)
        order = list(nx.dfs_postorder_nodes(bfs, root))
        leaves = {n: 1 for n in order}
        for n in order:
            kids = list(bfs.successors(n))
            if kids:
                leaves[n] = sum(leaves[k] for k in kids)
        sector = {root: (0.0, 2 * math.pi)}
        radius = {root: 0.0}
        for n in nx.topological_sort(bfs):
            lo, hi = sector[n]
            start = lo
            for k in bfs.successors(n):
                width = (hi - lo) * leaves[k] / leaves[n]
                sector[k] = (start, start + width)
                radius[k] = radius[n] + tree[n][k]["m"]
                start += width
            angle = 0.5 * (lo + hi)
            xy[int(n)] = (radius[n] * math.sin(angle), radius[n] * math.cos(angle))
        placed |= set(bfs.nodes)
    lat0, lon0 = origin
    out = {}
    for b in net.bus.index:
        east, north = xy.get(int(b), (0.0, 0.0))
        out[int(b)] = (
            lon0 + east / (M_PER_DEG_LAT * math.cos(math.radians(lat0))),
            lat0 + north / M_PER_DEG_LAT,
        )
    return out


def _num(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def _element_props(maxima: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    """Return the stored extremes of one element (None for values the series lacks)."""
    keys = (
        ("vm_min_pu", "vm_max_pu", "max_voltage_rise_pct")
        if kind == "bus"
        else ("max_loading_pct", "max_loading_time")
    )
    values = maxima.get(kind, {}).get(name, {})
    return {k: values.get(k) for k in keys} | (
        {"violation_steps": values["violation_steps"]} if "violation_steps" in values else {}
    )


def _max_time(frame: pd.DataFrame, col: str) -> str | None:
    series = frame[col]
    return None if series.isna().all() else series.idxmax().isoformat()


def _violation_steps(found: pd.DataFrame | None) -> dict[tuple[str, str], dict[str, int]]:
    """Count steps in violation per (element type, element) and kind (a violation list)."""
    if found is None or found.empty:
        return {}
    counts = found.groupby(["element_type", "element", "kind"]).size()
    out: dict[tuple[str, str], dict[str, int]] = {}
    for (element_type, element, kind), n in counts.items():
        out.setdefault((str(element_type), str(element)), {})[str(kind)] = int(n)
    return out


def element_maxima(
    result: GridTimeSeriesResult, violations: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Per-element extremes of an AC time series, JSON-ready (what a map of a run shows).

    Parameters
    ----------
    result
        The AC time series (:func:`~energy.models.grid.powerflow.run_timeseries`).
    violations
        Optional violation list of the same series (:func:`~energy.models.grid.check.violations`);
        adds ``violation_steps`` (steps per kind) to the elements that break a limit.

    Returns
    -------
    dict
        ``steps`` (number of time steps), ``bus``: per bus name ``vm_min_pu``,
        ``vm_max_pu`` [pu] and ``max_voltage_rise_pct`` (largest rise over the
        no-load voltage [%], at least 0); ``line`` and ``trafo``: per name
        ``max_loading_pct`` [%] and ``max_loading_time`` (UTC, ISO 8601).
        Missing values (a bus never solved) are None.
    """
    steps = _violation_steps(violations)
    buses: dict[str, dict[str, Any]] = {}
    for name in result.vm_pu.columns:
        vm = result.vm_pu[name]
        rise = (vm.max() - result.vm_noload_pu[name]) * 100.0
        buses[str(name)] = {
            "vm_min_pu": _num(vm.min()),
            "vm_max_pu": _num(vm.max()),
            "max_voltage_rise_pct": _num(max(rise, 0.0)) if np.isfinite(rise) else None,
        }
    out: dict[str, Any] = {"steps": len(result.vm_pu.index), "bus": buses}
    for kind, frame in (("line", result.line_loading_pct), ("trafo", result.trafo_loading_pct)):
        out[kind] = {
            str(name): {
                "max_loading_pct": _num(frame[name].max()),
                "max_loading_time": _max_time(frame, name),
            }
            for name in frame.columns
        }
    for (element_type, name), kinds in steps.items():
        if name in out.get(element_type, {}):
            out[element_type][name]["violation_steps"] = kinds
    return out


def to_geojson(
    net: pp.pandapowerNet,
    result: GridTimeSeriesResult | None = None,
    licence: str | None = None,
    maxima: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Export buses, lines and transformers of ``net`` as a GeoJSON FeatureCollection.

    Parameters
    ----------
    net
        The network.
    result
        Optional AC time series of the net; adds ``vm_min_pu``, ``vm_max_pu``
        and ``max_voltage_rise_pct`` to buses and ``max_loading_pct`` with its
        UTC time to lines and transformers (its :func:`element_maxima`).
    licence
        Licence identifier for ``metadata``; default ODbL-1.0 for SimBench nets
        (``net.name`` starting with "SimBench"), else CC-BY-4.0.
    maxima
        Instead of ``result``: its stored :func:`element_maxima` (no power flow needed).

    Returns
    -------
    dict
        JSON-ready FeatureCollection.
    """
    if result is not None:
        maxima = element_maxima(result)
    coords, generated = bus_coordinates(net)
    features = _bus_features(net, coords, maxima)
    name_of = dict(zip(net.bus.index, element_names(net.bus, "bus"), strict=True))
    for kind in ("line", "trafo"):
        features.extend(_branch_features(net, kind, coords, name_of, maxima))
    simbench = str(net.name or "").startswith("SimBench")
    return {
        "type": "FeatureCollection",
        "features": features,
        "metadata": {
            "name": str(net.name or ""),
            "licence": licence or ("ODbL-1.0" if simbench else "CC-BY-4.0"),
            "source": (
                "SimBench (simbench.de), Meinecke et al. 2020, https://doi.org/10.3390/en13123290"
                if simbench
                else "Digitales Stadtwerk Gera planning backend (energy.models.grid)"
            ),
            "generated_coordinates": generated,
            "results": maxima is not None,
            "steps": 0 if maxima is None else int(maxima.get("steps", 0)),
        },
    }


def _bus_features(
    net: pp.pandapowerNet,
    coords: dict[int, tuple[float, float]],
    maxima: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """Point features of the buses, with their nodes and (given a result) voltages [pu, %]."""
    nodes_at: dict[int, list[str]] = {}
    for node, bus in node_buses(net).items():
        nodes_at.setdefault(int(bus), []).append(str(node))
    features: list[dict[str, Any]] = []
    for (idx, row), name in zip(net.bus.iterrows(), element_names(net.bus, "bus"), strict=True):
        props: dict[str, Any] = {
            "element_type": "bus",
            "name": name,
            "index": int(idx),
            "vn_kv": float(row["vn_kv"]),
            "nodes": nodes_at.get(int(idx), []),
        }
        if maxima is not None:
            props.update(_element_props(maxima, "bus", name))
        features.append(
            {
                "type": "Feature",
                "id": f"bus/{idx}",
                "geometry": {"type": "Point", "coordinates": list(coords[int(idx)])},
                "properties": props,
            }
        )
    return features


def _branch_features(
    net: pp.pandapowerNet,
    kind: str,
    coords: dict[int, tuple[float, float]],
    name_of: dict[Any, str],
    maxima: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """LineString features of the lines (``kind="line"``) or transformers (``"trafo"``).

    Lines keep their own ``geo`` path where the net has one, else run straight
    between their buses; given a result, each carries its maximum loading [%]
    and its UTC time.
    """
    table, a, b = (
        (net.line, "from_bus", "to_bus") if kind == "line" else (net.trafo, "hv_bus", "lv_bus")
    )
    features: list[dict[str, Any]] = []
    for (idx, row), name in zip(table.iterrows(), element_names(table, kind), strict=True):
        line_geo = row.get("geo") if kind == "line" else None
        path = None
        if isinstance(line_geo, str) and line_geo.strip():
            path = json.loads(line_geo).get("coordinates")
        if not path:
            path = [list(coords[int(row[a])]), list(coords[int(row[b])])]
        props = {
            "element_type": kind,
            "name": name,
            "index": int(idx),
            "from_bus": name_of[row[a]],
            "to_bus": name_of[row[b]],
            "std_type": None if pd.isna(row.get("std_type")) else row.get("std_type"),
            "in_service": bool(row["in_service"]),
        }
        if kind == "line":
            props.update(length_m=_num(row["length_km"] * 1000.0), max_i_ka=_num(row["max_i_ka"]))
        else:
            props.update(sn_kva=_num(row["sn_mva"] * 1000.0))
        if maxima is not None:
            props.update(_element_props(maxima, kind, name))
        features.append(
            {
                "type": "Feature",
                "id": f"{kind}/{idx}",
                "geometry": {"type": "LineString", "coordinates": path},
                "properties": props,
            }
        )
    return features
