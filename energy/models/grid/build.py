"""pandapower networks: built from a District, or imported (pandapower JSON, SimBench).

Every network handled by :mod:`energy.models.grid` carries a table ``net["node"]``
that maps the *node ids* of the optimiser and of schedules onto pandapower buses:

* one node per building, named by the building id, at the building's bus;
* ``"substation"`` at the low-voltage busbar of the transformer (home of
  substation batteries);
* ``"light:<group id>"`` per lighting group, at its connection point on the
  feeder.

Several nodes may share a bus. The table is a plain DataFrame (index
``node_id``, column ``bus``), so it survives :func:`pandapower.to_json`.

Sign convention of every net power handled here: load convention, positive
when drawn from the grid [kW]; MW only at the pandapower boundary.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandapower as pp
import pandas as pd

from energy.district import SUBSTATION_NODE, District, lighting_node
from energy.errors import InputDataError

logger = logging.getLogger(__name__)

#: Metres per degree of latitude (spherical Earth, R = 6371 km), for schematic coordinates.
M_PER_DEG_LAT = 111_195.0


def node_buses(net: pp.pandapowerNet) -> pd.Series:
    """Return the map node id -> pandapower bus index of ``net``.

    A net without a ``node`` table (a plain pandapower file) gets one node per
    bus, named by the bus name (or ``"bus <index>"`` where names are missing or
    repeated).
    """
    table = net.get("node")
    if isinstance(table, pd.DataFrame) and len(table):
        return table["bus"].astype(int)
    return pd.Series(
        net.bus.index.to_numpy(dtype=int), index=element_names(net.bus, "bus"), name="bus"
    )


def set_node_buses(net: pp.pandapowerNet, mapping: dict[str, int] | pd.Series) -> None:
    """Store the map node id -> bus index in ``net["node"]`` (replacing any old one)."""
    series = pd.Series(mapping, dtype=int)
    unknown = sorted(set(series.to_numpy()) - set(net.bus.index))
    if unknown:
        raise InputDataError(f"node map: buses {unknown} are not in the network")
    if series.index.has_duplicates:
        raise InputDataError("node map: node ids must be unique")
    frame = pd.DataFrame({"bus": series.to_numpy()}, index=pd.Index(series.index, name="node_id"))
    net["node"] = frame


def element_names(table: pd.DataFrame, kind: str) -> list[str]:
    """Return unique display names of a pandapower element table.

    The ``name`` column where it is set and unique, else ``"<kind> <index>"``.
    """
    if "name" in table and len(table):
        names = table["name"]
        if names.notna().all() and names.astype(str).is_unique:
            return [str(n) for n in names]
    return [f"{kind} {i}" for i in table.index]


def _check_std_type(net: pp.pandapowerNet, name: str, element: str, field: str) -> None:
    if not pp.std_type_exists(net, name, element):
        available = ", ".join(pp.available_std_types(net, element).index[:40])
        raise InputDataError(
            f"{field}: {name!r} is not a pandapower {element} standard type; available: {available}"
        )


def _point(lon: float, lat: float) -> str:
    """Return a pandapower 3 geo entry: a GeoJSON Point as a JSON string."""
    return json.dumps({"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]})


def _offset(lat0: float, lon0: float, east_m: float, north_m: float) -> tuple[float, float]:
    """(lon, lat) of a point ``east_m``/``north_m`` metres from (lat0, lon0), flat-Earth."""
    lat = lat0 + north_m / M_PER_DEG_LAT
    lon = lon0 + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat0)))
    return lon, lat


@functools.cache
def _empty_template() -> pp.pandapowerNet:
    return pp.create_empty_network()


def _empty_network() -> pp.pandapowerNet:
    """Return a new empty net: a deep copy of a cached one (10 ms instead of 100 ms)."""
    return copy.deepcopy(_empty_template())


class _Rows:
    """Rows of one pandapower element table, collected column-wise for its ``create_*s``."""

    def __init__(self) -> None:
        self._columns: dict[str, list[Any]] = {}
        self._n = 0

    def add(self, **row: Any) -> int:
        """Append a row (the same fields every time); return its position."""
        for key, value in row.items():
            self._columns.setdefault(key, []).append(value)
        self._n += 1
        return self._n - 1

    def __len__(self) -> int:
        return self._n

    @property
    def columns(self) -> dict[str, list[Any]]:
        """The column lists (a new dict on each access)."""
        return dict(self._columns)


def build_network(district: District, ext_grid_vm_pu: float = 1.0) -> pp.pandapowerNet:
    """Build the pandapower net of a district.

    Topology: an external grid (slack, ``ext_grid_vm_pu``) at the medium-voltage
    bus, the transformer of ``district.grid.transformer`` (a pandapower standard
    type), the low-voltage busbar, and per feeder a chain of buses at the
    distinct ``distance_m`` positions of its buildings and lighting groups,
    linked by segments of the feeder's cable type. Each building hangs on its
    feeder position through a service cable (``grid.service_cable``,
    ``grid.service_length_m``; a length of 0 puts the building on the feeder
    bus). Elements: a load per building (nominal p = annual mean), an sgen per
    PV system (p = inverter AC rating), a storage per battery (p = 0) and a load
    per lighting group (p = all luminaires at 100 %). Schedules replace these
    nominal values: see :func:`energy.models.grid.run_timeseries`.

    Coordinates are schematic: the substation at the site, feeder ``k`` of ``F``
    along the bearing ``360 k / F`` degrees at its true distances, buildings
    offset sideways by their service length (at least 5 m).

    Each element table is created in one call of pandapower's vectorised
    creators (``create_buses``, ``create_lines``, ``create_loads``,
    ``create_sgens``, ``create_storages``): the Gera district (101 buses, 99
    lines) builds in ~35 ms instead of ~0.6 s with one call per element. The net
    equals the element-by-element one, except that ``net.sgen`` carries
    pandapower's default ``generator_type`` (``"current_source"``) as a column.

    Parameters
    ----------
    district
        The district spec.
    ext_grid_vm_pu
        Voltage set-point of the upstream medium-voltage grid [pu].

    Returns
    -------
    pandapower.pandapowerNet
        With ``net["node"]`` mapping node ids to buses (see module docstring)
        and columns ``feeder``/``distance_m`` in ``net.bus`` and ``net.line``.
    """
    net = _empty_network()
    net.name = f"{district.site.name} (energy.models.grid)"
    _check_grid_types(net, district)
    tr = district.grid.transformer
    lat0, lon0 = district.site.latitude, district.site.longitude
    # Elements are collected as columns and created with pandapower's vectorised
    # creators: one call per table instead of one pandas row insertion per element.
    layout = _Layout(district)
    mv = layout.buses.add(
        vn_kv=tr.vn_hv_kv, name="mv", geo=_point(lon0 - 2e-4, lat0), feeder="", distance_m=0.0
    )
    lv = layout.buses.add(
        vn_kv=tr.vn_lv_kv, name="lv busbar", geo=_point(lon0, lat0), feeder="", distance_m=0.0
    )
    layout.nodes[SUBSTATION_NODE] = lv
    n_feeders = len(district.grid.feeders)
    for k, feeder in enumerate(district.grid.feeders):
        layout.add_feeder(feeder.id, feeder.cable, 2 * math.pi * k / n_feeders, lv)
    _create_elements(net, district, layout, mv, lv, ext_grid_vm_pu)
    logger.info(
        "built network of %s: %d buses, %d lines", district.site.name, len(net.bus), len(net.line)
    )
    return net


def _check_grid_types(net: pp.pandapowerNet, district: District) -> None:
    """Check the grid's pandapower standard types; warn on a transformer rating mismatch."""
    grid = district.grid
    tr = grid.transformer
    _check_std_type(net, tr.std_type, "trafo", "grid.transformer.type")
    _check_std_type(net, grid.service_cable, "line", "grid.service_cable")
    for i, feeder in enumerate(grid.feeders):
        _check_std_type(net, feeder.cable, "line", f"grid.feeders[{i}].cable")
    std_kva = float(pp.load_std_type(net, tr.std_type, "trafo")["sn_mva"]) * 1000
    if not math.isclose(std_kva, tr.rating_kva, rel_tol=1e-6):
        logger.warning(
            "transformer rating_kva %.0f kVA differs from its standard type %r "
            "(%.0f kVA); loadings refer to the standard type",
            tr.rating_kva,
            tr.std_type,
            std_kva,
        )


class _Layout:
    """Buses, lines and loads of a district's feeders, laid out schematically.

    Feeders run from the substation at the site along a bearing at their true
    distances; buildings sit sideways of their feeder bus by their service
    length (at least 5 m). ``nodes`` maps node ids to bus positions.
    """

    def __init__(self, district: District) -> None:
        self.district = district
        self.buses = _Rows()
        self.lines = _Rows()
        self.loads = _Rows()
        self.nodes: dict[str, int] = {}

    def _at(self, east_m: float, north_m: float) -> str:
        site = self.district.site
        return _point(*_offset(site.latitude, site.longitude, east_m, north_m))

    def add_feeder(self, feeder_id: str, cable: str, bearing_rad: float, lv: int) -> None:
        """Lay out one feeder: its chain of buses, its buildings and lighting groups."""
        district = self.district
        vn_kv = district.grid.transformer.vn_lv_kv
        east, north = math.sin(bearing_rad), math.cos(bearing_rad)
        members = [b for b in district.buildings if b.feeder == feeder_id]
        lights = [g for g in district.lighting if g.feeder == feeder_id]
        positions = sorted(
            ({b.distance_m for b in members} | {g.distance_m for g in lights}) - {0.0}
        )
        at: dict[float, int] = {0.0: lv}
        previous, previous_m = lv, 0.0
        for d in positions:
            bus = self.buses.add(
                vn_kv=vn_kv,
                name=f"{feeder_id}@{d:g}m",
                geo=self._at(east * d, north * d),
                feeder=feeder_id,
                distance_m=d,
            )
            self.lines.add(
                from_bus=previous,
                to_bus=bus,
                length_km=(d - previous_m) / 1000,
                std_type=cable,
                name=f"{feeder_id} {previous_m:g}-{d:g}m",
                feeder=feeder_id,
                distance_m=d,
            )
            at[d] = bus
            previous, previous_m = bus, d
        for j, b in enumerate(members):
            self.nodes[b.id] = self._service(b.id, feeder_id, b.distance_m, at, j, east, north)
            self.loads.add(bus=self.nodes[b.id], p_mw=b.annual_kwh / 8760 / 1000, name=b.id)
        for g in lights:
            self.nodes[lighting_node(g.id)] = at[g.distance_m]
            self.loads.add(
                bus=at[g.distance_m],
                p_mw=g.luminaires * g.nominal_w / 1e6,
                name=lighting_node(g.id),
            )

    def _service(
        self,
        building_id: str,
        feeder_id: str,
        distance_m: float,
        at: dict[float, int],
        j: int,
        east: float,
        north: float,
    ) -> int:
        """Return the bus of a building: its own behind a service cable, or the feeder bus."""
        grid = self.district.grid
        if grid.service_length_m <= 0:
            return at[distance_m]
        off = max(grid.service_length_m, 5.0) * (1 if j % 2 == 0 else -1)
        bus = self.buses.add(
            vn_kv=grid.transformer.vn_lv_kv,
            name=building_id,
            geo=self._at(east * distance_m + north * off, north * distance_m - east * off),
            feeder=feeder_id,
            distance_m=distance_m,
        )
        self.lines.add(
            from_bus=at[distance_m],
            to_bus=bus,
            length_km=grid.service_length_m / 1000,
            std_type=grid.service_cable,
            name=f"service {building_id}",
            feeder=feeder_id,
            distance_m=distance_m,
        )
        return bus


def _create_elements(
    net: pp.pandapowerNet,
    district: District,
    layout: _Layout,
    mv: int,
    lv: int,
    ext_grid_vm_pu: float,
) -> None:
    """Create the laid-out tables in ``net`` with pandapower's vectorised creators."""
    tr = district.grid.transformer
    buses, lines, loads, nodes = layout.buses, layout.lines, layout.loads, layout.nodes
    for table in ("bus", "line"):  # declared first: pandapower would append them sorted
        net[table]["feeder"] = pd.Series(dtype=object)
        net[table]["distance_m"] = pd.Series(dtype=float)
    # positions are the bus indices: the net is empty, so index them 0..n-1 explicitly
    pp.create_buses(net, len(buses), index=list(range(len(buses))), **buses.columns)
    pp.create_ext_grid(net, mv, vm_pu=ext_grid_vm_pu, name="upstream grid")
    pp.create_transformer(net, mv, lv, std_type=tr.std_type, name="transformer")
    if len(lines):
        cols = lines.columns
        pp.create_lines(net, cols.pop("from_bus"), cols.pop("to_bus"), **cols)
    if len(loads):
        cols = loads.columns
        pp.create_loads(net, cols.pop("bus"), **cols)
    if district.pv:
        pp.create_sgens(
            net,
            [nodes[p.building] for p in district.pv],
            p_mw=[p.pac_kw / 1000 for p in district.pv],
            sn_mva=[p.pac_kw / 1000 for p in district.pv],
            name=[p.id for p in district.pv],
            type="PV",
        )
    if district.batteries:
        pp.create_storages(
            net,
            [nodes[b.at if b.at != "substation" else SUBSTATION_NODE] for b in district.batteries],
            p_mw=0.0,
            max_e_mwh=[b.capacity_kwh / 1000 for b in district.batteries],
            sn_mva=[b.power_kw / 1000 for b in district.batteries],
            name=[b.id for b in district.batteries],
        )
    set_node_buses(net, nodes)


@functools.cache
def simbench_codes() -> frozenset[str]:
    """Return every SimBench code the installed ``simbench`` package can build.

    ``simbench.collect_all_simbench_codes()`` (the codes are made from the
    package's parameter lists; no grid data is read). The first call imports
    ``simbench`` (about 1-2 s with pandapower); later calls return the cached set.
    """
    import simbench

    return frozenset(str(code) for code in simbench.collect_all_simbench_codes())


def check_simbench_code(code: str, field: str = "code") -> None:
    """Refuse a SimBench code that ``simbench`` does not know, without building its grid.

    Raises
    ------
    InputDataError
        ``code`` is not among :func:`simbench_codes`; the message names
        ``field`` and a few low-voltage codes.
    """
    if code in simbench_codes():
        return
    examples = sorted(c for c in simbench_codes() if "-LV-" in c and c.endswith("--0-sw"))[:4]
    raise InputDataError(
        f"{field}: {code!r} is not a SimBench code; low-voltage grids are e.g. "
        f"{', '.join(examples)} (simbench.collect_all_simbench_codes() lists all)",
        field=field,
        value=code,
    )


def import_network(source: str | Path) -> pp.pandapowerNet:
    """Import a pandapower JSON file or a SimBench grid.

    Parameters
    ----------
    source
        Path of a pandapower JSON file (``pandapower.to_json``), or a SimBench
        code such as ``"1-LV-semiurb4--0-sw"`` (SimBench, Meinecke et al. 2020,
        https://doi.org/10.3390/en13123290; the data ship with the ``simbench``
        package, licence ODbL).

    Returns
    -------
    pandapower.pandapowerNet
        The net; without a ``node`` table of its own, one node per bus named by
        the bus name (see :func:`node_buses`). SimBench nets keep their
        ``profiles``, see :func:`network_profiles_kw`.
    """
    text = str(source)
    path = Path(text)
    if path.suffix.lower() == ".json":
        if not path.is_file():
            raise InputDataError(f"{path}: file not found")
        try:
            net = pp.from_json(str(path))
        except Exception as exc:  # pandapower raises bare Exceptions on bad files
            raise InputDataError(f"{path}: not a pandapower JSON network ({exc})") from exc
    else:
        import simbench

        try:
            net = simbench.get_simbench_net(text)
        except Exception as exc:  # simbench raises bare Exceptions on unknown codes
            raise InputDataError(
                f"network: {text!r} is neither a .json file nor a SimBench code such as "
                f"'1-LV-semiurb4--0-sw' ({exc})"
            ) from exc
        net.name = f"SimBench {text}"
    if not isinstance(net.get("node"), pd.DataFrame) or not len(net["node"]):
        set_node_buses(net, node_buses(net))
    return net


def network_profiles_kw(
    net: pp.pandapowerNet, resolution: str = "1h"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Net node injections of a SimBench net's own yearly profiles.

    Loads, static generators and storage of the net take their profile values
    (``simbench.get_absolute_values``); each node gets the sum over the elements
    at its bus, load convention (load - generation + storage charging). A bus
    carrying several nodes gives its sum to the first of them.

    SimBench profiles cover the year 2016 in 15-minute steps. Their time stamps
    carry no zone; they are read as UTC. Hourly values are the means of four
    quarter-hours (interval means, labelled at interval start).

    Parameters
    ----------
    net
        A SimBench net (with ``net.profiles``).
    resolution
        ``"15min"`` or ``"1h"``.

    Returns
    -------
    (p_kw, q_kvar)
        DataFrames, UTC index x node ids [kW], [kvar].
    """
    import simbench

    if "profiles" not in net or not len(net.profiles.get("load", [])):
        raise InputDataError("network: has no SimBench profiles (net.profiles is empty)")
    if resolution not in ("15min", "1h"):
        raise InputDataError(f"resolution: {resolution!r} is not supported; allowed: 15min, 1h")
    values = simbench.get_absolute_values(net, profiles_instead_of_study_cases=True)
    n_steps = len(values[("load", "p_mw")])
    index = pd.date_range("2016-01-01", periods=n_steps, freq="15min", tz="UTC", name="time")
    bus_node: dict[int, str] = {}
    for node, bus in node_buses(net).items():
        bus_node.setdefault(int(bus), str(node))
    nodes = list(dict.fromkeys(bus_node.values()))
    col = {n: i for i, n in enumerate(nodes)}
    p = np.zeros((n_steps, len(nodes)))
    q = np.zeros((n_steps, len(nodes)))
    for element, sign in (("load", 1.0), ("sgen", -1.0), ("storage", 1.0)):
        table = net[element]
        if not len(table):
            continue
        missing = sorted(set(table["bus"].astype(int)) - set(bus_node))
        if missing:
            raise InputDataError(f"network: {element} at buses {missing} that carry no node")
        cols = [col[bus_node[int(b)]] for b in table["bus"]]
        for key, target in (("p_mw", p), ("q_mvar", q)):
            frame = values.get((element, key))
            if frame is None or not frame.shape[1]:
                continue
            arr = frame.reindex(columns=table.index).to_numpy(dtype=float)
            np.add.at(target.T, cols, sign * 1000.0 * arr.T)
    p_kw = pd.DataFrame(p, index=index, columns=nodes)
    q_kvar = pd.DataFrame(q, index=index, columns=nodes)
    if resolution == "1h":
        p_kw = p_kw.resample("1h").mean()
        q_kvar = q_kvar.resample("1h").mean()
    return p_kw, q_kvar


def map_to_district(net: pp.pandapowerNet, district: District) -> pp.pandapowerNet:
    """Map a district's nodes onto an imported net; returns a copy.

    The rule, kept simple on purpose:

    * buildings, in the order of ``district.buildings``, take the buses of the
      net's loads in the order of ``net.load`` (each bus once; with more
      buildings than load buses, the buses are used again in turn);
    * ``"substation"`` is the low-voltage bus of the first transformer;
    * a lighting group sits at the bus of the building on its feeder whose
      ``distance_m`` is closest to the group's, else at the substation busbar.

    The net's own loads, generators and storage stay in the copy but are not
    used when a district schedule is checked: the schedule's node powers
    replace all injections.
    """
    load_buses = list(dict.fromkeys(net.load["bus"].to_numpy(dtype=int)))
    if not load_buses:
        raise InputDataError("network: has no loads; cannot place the district's buildings")
    if len(load_buses) < len(district.buildings):
        logger.info(
            "network has %d load buses for %d buildings; buses are shared in turn",
            len(load_buses),
            len(district.buildings),
        )
    if not len(net.trafo):
        raise InputDataError("network: has no transformer; cannot place the 'substation' node")
    nodes: dict[str, int] = {SUBSTATION_NODE: int(net.trafo["lv_bus"].iloc[0])}
    for i, b in enumerate(district.buildings):
        nodes[b.id] = int(load_buses[i % len(load_buses)])
    for g in district.lighting:
        same = [b for b in district.buildings if b.feeder == g.feeder]
        if same:
            near = min(same, key=lambda b: abs(b.distance_m - g.distance_m))
            nodes[lighting_node(g.id)] = nodes[near.id]
        else:
            nodes[lighting_node(g.id)] = nodes[SUBSTATION_NODE]
    out = copy.deepcopy(net)
    set_node_buses(out, nodes)
    return out
