"""One district over one horizon: the inputs every layer reads, schedules and node powers.

:class:`DispatchInputs` is the neutral description of a district over a
horizon (loads, PV, batteries, lighting, tariff, grid connection, all on one
UTC index), validated on construction. The optimiser
(:mod:`energy.optimisation`), the baselines (:mod:`energy.baselines`), the
indicators (:mod:`energy.kpi`), the AC check and hosting capacity read it;
this module imports none of them.

A *schedule* is the common output of the optimiser and of the baselines
(:func:`schedule_frame`): a DataFrame on the UTC index (interval-start labels,
interval means) with district columns and per-asset columns
(``"<quantity>:<id>"``):

========================  =====================================================
column                    meaning [unit]
========================  =====================================================
``load_kw``               building loads [kW]
``lighting_kw``           street lighting [kW]
``pv_kw``                 available PV AC output [kW]
``pv_curtailed_kw``       curtailed PV [kW]
``p_charge_kw``           battery charging, all batteries [kW]
``p_discharge_kw``        battery discharging, all batteries [kW]
``soc_kwh``               stored energy at the END of the step, all batteries [kWh]
``p_import_kw``           import at the transformer [kW], >= 0
``p_export_kw``           export at the transformer [kW], >= 0
``import_price_eur_per_kwh``, ``feed_in_eur_per_kwh``, ``co2_g_per_kwh``  tariff
``p_charge_kw:<bat>``, ``p_discharge_kw:<bat>``, ``soc_kwh:<bat>``  per battery
``level:<group>``         dim level while dark [0..1] (0 in full daylight)
``lighting_kw:<group>``   lighting group power [kW]
``pv_curtailed_kw:<node>``  curtailment per node [kW]
========================  =====================================================

With flexible loads (:attr:`DispatchInputs.flex`, :mod:`energy.models.flex`)
a schedule also has (:data:`FLEX_NODE_COLUMNS` enter the node powers):

=============================  ================================================
column                         meaning [unit]
=============================  ================================================
``p_heat_pump_kw:<b>``         compressor electricity of building b's pump [kW]
``p_backup_heater_kw:<b>``     its backup heater (COP 1) [kW]
``q_heat_pump_kw:<b>``         heat from its compressor (space + hot water) [kW]
``q_heat_demand_kw:<b>``       its space-heat + hot-water demand [kW]
``q_unmet_kw:<b>``             heat demand not met [kW] (0 when comfort holds)
``heat_store_kwh:<b>``         its store's state at the END of the step [kWh]
``p_ev_kw:<g>``                charging power of charger group g [kW]
``p_heat_pump_kw``, ``p_backup_heater_kw``, ``q_heat_pump_kw``,
``q_heat_demand_kw``, ``q_unmet_kw``, ``p_ev_kw``  district sums
=============================  ================================================

The state of charge is reported at the end of each step, as PyPSA reports
``state_of_charge`` (Brown et al. 2018, https://doi.org/10.5334/jors.188).

Nodes: building ids, ``"substation"`` and ``"light:<group id>"``. Net power
per node follows the load convention, positive = drawn from the grid (as
pandapower loads); :func:`node_net_kw` is the one place where it is computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from energy.district import SUBSTATION_NODE, Battery, lighting_node
from energy.errors import InputDataError
from energy.timeindex import HOURS_PER_YEAR, require_utc_index, step_hours

if TYPE_CHECKING:
    from energy.models.flex import FlexInputs
    from energy.models.lighting import LightingInputs

#: Per-asset schedule columns of flexible loads that draw power at their node [kW].
FLEX_NODE_COLUMNS = ("p_heat_pump_kw", "p_backup_heater_kw", "p_ev_kw")

TerminalSoc = Literal["geq_initial", "equal_initial", "free"]


def _as_series_array(value: Any, n: int, name: str, index: pd.DatetimeIndex) -> np.ndarray:
    """Return ``value`` (scalar, array or Series on ``index``) as a float array of length n."""
    if isinstance(value, pd.Series):
        if len(value) != n or not value.index.equals(index):
            raise InputDataError(f"{name}: the series must be on the dispatch index ({n} steps)")
        arr = value.to_numpy(dtype=float)
    else:
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 0:
            arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise InputDataError(f"{name}: expected {n} values, got shape {arr.shape}")
    _check_finite(arr, name, index)
    return arr


def _check_finite(arr: np.ndarray, name: str, index: pd.DatetimeIndex) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        t = int(np.argwhere(bad)[0][-1])
        raise InputDataError(f"{name}: missing or infinite value at {index[t]} (step {t})")


def _check_frame(frame: pd.DataFrame, name: str, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Check a kW frame: on ``index``, unique string columns, finite, >= 0."""
    if not isinstance(frame, pd.DataFrame):
        raise InputDataError(f"{name}: expected a DataFrame, got {type(frame).__name__}")
    if not frame.index.equals(index):
        raise InputDataError(
            f"{name}: the frame must be on the dispatch index ({len(index)} steps, UTC)"
        )
    if frame.columns.has_duplicates:
        raise InputDataError(f"{name}: column names must be unique")
    values = frame.to_numpy(dtype=float)
    for j, col in enumerate(frame.columns):
        _check_finite(values[:, j], f"{name}[{col!r}]", index)
        if (values[:, j] < 0).any():
            t = int(np.argmin(values[:, j]))
            raise InputDataError(
                f"{name}[{col!r}]: {values[t, j]:.3f} kW at {index[t]} is not allowed; "
                "it must be >= 0 kW"
            )
    return frame.astype(float)


def _not_a_node(field_name: str, node: str) -> InputDataError:
    return InputDataError(
        f"{field_name}: {node!r} is not a node; allowed: building ids of load_kw or "
        f"{SUBSTATION_NODE!r}"
    )


def _check_limit(name: str, value: float | None, strictly_positive: bool = False) -> None:
    """Check that a limit [kW] is finite and >= 0 (> 0 if ``strictly_positive``); None passes."""
    if value is None:
        return
    ok = math.isfinite(value) and (value > 0 if strictly_positive else value >= 0)
    if not ok:
        raise InputDataError(
            f"{name}: {value} kW is not allowed; it must be {'>' if strictly_positive else '>='}"
            " 0 kW"
        )


@dataclass(frozen=True, eq=False)
class DispatchInputs:
    """One district over one horizon: everything a dispatch needs, validated on construction.

    Parameters
    ----------
    index
        Tz-aware, regular time index (converted to UTC); labels are interval starts.
    load_kw
        Fixed building loads [kW], one column per node (building id), >= 0.
    pv_kw
        Available PV AC output [kW] per PV system id, >= 0.
    pv_node
        Node of each PV system (a building id or ``"substation"``).
    pv_curtailable
        Whether the optimiser may curtail each PV system (default all True).
    batteries
        Battery specs; each sits at node ``battery.at``.
    lighting
        Lighting inputs (dark fractions, minimum levels, power coefficients) or
        None. Group ``g`` sits at node ``light:<g>``.
    import_price_eur_per_kwh, feed_in_eur_per_kwh, co2_g_per_kwh
        Tariff per step [EUR/kWh, EUR/kWh, g/kWh]; scalars are broadcast.
    import_limit_kw, export_limit_kw
        Exchange limits at the transformer [kW] (> 0, >= 0).
    export_cap_kw
        Optional additional export cap [kW], e.g. 60 % of the PV peak.
    peak_charge_eur_per_kw
        Charge on the horizon's maximum import [EUR/kW].
    terminal_soc
        ``"geq_initial"`` (default: each battery ends at least as full as it
        started), ``"equal_initial"`` or ``"free"``.
    timezone
        IANA zone used to show times in messages.
    flex
        Heat pumps and EV charger groups (:class:`energy.models.flex.FlexInputs`)
        or None; each sits at its building's node.
    notes
        What the inputs' sources warn about, in words (e.g. weather recorded
        far from the site, :mod:`energy.models.weather.site`); a run's warnings.
    """

    index: pd.DatetimeIndex
    load_kw: pd.DataFrame
    pv_kw: pd.DataFrame
    pv_node: Mapping[str, str]
    import_price_eur_per_kwh: Any
    feed_in_eur_per_kwh: Any
    co2_g_per_kwh: Any
    import_limit_kw: float
    export_limit_kw: float
    batteries: tuple[Battery, ...] = ()
    lighting: LightingInputs | None = None
    pv_curtailable: Mapping[str, bool] = field(default_factory=dict)
    export_cap_kw: float | None = None
    peak_charge_eur_per_kw: float = 0.0
    terminal_soc: TerminalSoc = "geq_initial"
    timezone: str = "Europe/Berlin"
    flex: FlexInputs | None = None
    notes: tuple[str, ...] = ()
    dt_h: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index = require_utc_index(self.index, "index")
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "dt_h", step_hours(index))
        object.__setattr__(self, "load_kw", _check_frame(self.load_kw, "load_kw", index))
        object.__setattr__(self, "pv_kw", _check_frame(self.pv_kw, "pv_kw", index))
        self._check_nodes()
        self._check_batteries()
        for name in ("import_price_eur_per_kwh", "feed_in_eur_per_kwh", "co2_g_per_kwh"):
            value = _as_series_array(getattr(self, name), len(index), name, index)
            object.__setattr__(self, name, value)
        if (self.co2_g_per_kwh < 0).any():
            raise InputDataError("co2_g_per_kwh: values must be >= 0 g/kWh")
        _check_limit("import_limit_kw", self.import_limit_kw, strictly_positive=True)
        _check_limit("export_limit_kw", self.export_limit_kw)
        _check_limit("export_cap_kw", self.export_cap_kw)
        if not (self.peak_charge_eur_per_kw >= 0 and math.isfinite(self.peak_charge_eur_per_kw)):
            raise InputDataError(
                f"peak_charge_eur_per_kw: {self.peak_charge_eur_per_kw} is not allowed; "
                "it must be >= 0 EUR/kW"
            )
        if self.terminal_soc not in ("geq_initial", "equal_initial", "free"):
            raise InputDataError(
                f"terminal_soc: {self.terminal_soc!r} is not allowed; use geq_initial, "
                "equal_initial or free"
            )
        if self.lighting is not None:
            _check_lighting(self.lighting, index)
        if self.flex is not None:
            _check_flex(self.flex, list(map(str, self.load_kw.columns)), len(index))

    def _check_nodes(self) -> None:
        """Check that no building is named like the substation and every PV system has a node."""
        if SUBSTATION_NODE in map(str, self.load_kw.columns):
            raise InputDataError(
                f"load_kw: {SUBSTATION_NODE!r} is reserved for the substation node"
            )
        known = self.asset_nodes
        for pid in self.pv_kw.columns:
            node = self.pv_node.get(pid)
            if node is None:
                raise InputDataError(f"pv_node: PV system {pid!r} has no node")
            if node not in known:
                raise _not_a_node(f"pv_node[{pid!r}]", node)
        for pid in self.pv_curtailable:
            if pid not in self.pv_kw.columns:
                raise InputDataError(f"pv_curtailable: {pid!r} is not a PV system of pv_kw")

    def _check_batteries(self) -> None:
        batteries = tuple(self.batteries)
        object.__setattr__(self, "batteries", batteries)
        seen: set[str] = set()
        for i, bat in enumerate(batteries):
            if not isinstance(bat, Battery):
                raise InputDataError(f"batteries[{i}]: expected an energy.district.Battery")
            if bat.id in seen:
                raise InputDataError(f"batteries[{i}].id: {bat.id!r} is used twice")
            seen.add(bat.id)
            self.check_asset_node(f"batteries[{i}].at", bat.at)

    @property
    def n_steps(self) -> int:
        """Number of intervals ``n``."""
        return len(self.index)

    @property
    def horizon_years(self) -> float:
        """Length of the horizon in years of :data:`~energy.timeindex.HOURS_PER_YEAR` hours."""
        return self.n_steps * self.dt_h / HOURS_PER_YEAR

    @property
    def export_bound_kw(self) -> float:
        """Effective export bound [kW]: the export limit or the tighter export cap."""
        cap = self.export_cap_kw
        return self.export_limit_kw if cap is None else min(self.export_limit_kw, cap)

    def curtailable(self, pv_id: str) -> bool:
        """Whether PV system ``pv_id`` may be curtailed (default True)."""
        return bool(self.pv_curtailable.get(pv_id, True))

    @property
    def nodes(self) -> list[str]:
        """All node ids: buildings, the substation, then lighting nodes."""
        groups = [] if self.lighting is None else list(self.lighting.group_ids)
        return [*map(str, self.load_kw.columns), SUBSTATION_NODE, *map(lighting_node, groups)]

    @property
    def asset_nodes(self) -> set[str]:
        """Nodes where PV systems and batteries may sit: the buildings and the substation."""
        return {*map(str, self.load_kw.columns), SUBSTATION_NODE}

    def check_asset_node(self, field_name: str, node: str) -> None:
        """Raise InputDataError naming ``field_name`` unless ``node`` is in :attr:`asset_nodes`."""
        if node not in self.asset_nodes:
            raise _not_a_node(field_name, node)

    def lighting_power_kw(self, level: np.ndarray) -> np.ndarray:
        """Lighting power [kW], shape (G, n), at dim levels ``level`` (see LightingInputs)."""
        if self.lighting is None:
            return np.zeros((0, self.n_steps))
        return np.asarray(self.lighting.power_kw(level), dtype=float)

    def district_net_kw(self, lighting_kw: np.ndarray | None = None) -> np.ndarray:
        """District net power without batteries [kW], load convention: loads - PV + lighting.

        ``lighting_kw`` (G, n) is the lighting power per group; None or no
        groups leave it out. This is the sum of :func:`node_net_kw` over the
        nodes (up to rounding) with the batteries idle and nothing curtailed.
        """
        net = self.load_kw.to_numpy().sum(axis=1) - self.pv_kw.to_numpy().sum(axis=1)
        if lighting_kw is not None and len(lighting_kw):
            net = net + lighting_kw.sum(axis=0)
        return np.asarray(net)

    def demand_bounds_kw(self) -> tuple[np.ndarray, np.ndarray]:
        """District demand per step [kW] with lighting at its minimum and at full level."""
        load = self.load_kw.to_numpy().sum(axis=1)
        if self.lighting is None:
            return load, load
        lo = self.lighting_power_kw(np.asarray(self.lighting.min_level_frac)).sum(axis=0)
        hi = self.lighting_power_kw(np.ones(np.shape(self.lighting.dark_frac))).sum(axis=0)
        return load + lo, load + hi

    def fixed_pv_kw(self, curtailment: bool = True) -> np.ndarray:
        """PV the optimiser cannot curtail [kW] (all PV when curtailment is off)."""
        cols = [c for c in self.pv_kw.columns if not (curtailment and self.curtailable(c))]
        return self.pv_kw[cols].to_numpy().sum(axis=1) if cols else np.zeros(self.n_steps)

    def local_time(self, t: int) -> str:
        """Return step ``t``'s start in local time, e.g. ``2025-01-15 17:00 CET``."""
        return self.index[t].tz_convert(self.timezone).strftime("%Y-%m-%d %H:%M %Z")


def _check_lighting(light: LightingInputs, index: pd.DatetimeIndex) -> None:
    n = len(index)
    if hasattr(light, "index") and not pd.DatetimeIndex(light.index).equals(index):
        raise InputDataError("lighting: the lighting inputs are not on the dispatch index")
    groups = list(light.group_ids)
    g = len(groups)
    for name in ("dark_frac", "min_level_frac"):
        arr = np.asarray(getattr(light, name), dtype=float)
        if arr.shape != (g, n):
            raise InputDataError(f"lighting.{name}: expected shape ({g}, {n}), got {arr.shape}")
        if arr.size and (not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1):
            raise InputDataError(f"lighting.{name}: values must lie in [0, 1]")
    for name in ("a_kw", "b_kw", "standby_kw"):
        arr = np.asarray(getattr(light, name), dtype=float)
        if arr.shape != (g,) or (arr.size and (not np.isfinite(arr).all() or arr.min() < 0)):
            raise InputDataError(f"lighting.{name}: expected {g} finite values >= 0 kW")


def _check_flex(flex: FlexInputs, buildings: list[str], n: int) -> None:
    """Check that every flexible load sits at a building and has one value per step."""
    kinds: tuple[tuple[str, tuple[Any, ...]], ...] = (
        ("heat_pumps", flex.heat_pumps),
        ("ev_groups", flex.ev_groups),
    )
    for kind, units in kinds:
        for i, unit in enumerate(units):
            if unit.id not in buildings:
                raise InputDataError(
                    f"flex.{kind}[{i}].id: {unit.id!r} is not a building of load_kw"
                )
            for name, value in vars(unit).items():
                if isinstance(value, np.ndarray) and value.shape != (n,):
                    raise InputDataError(
                        f"flex.{kind}[{i}].{name}: expected {n} values, got shape {value.shape}"
                    )


# ---------------------------------------------------------------------------------------
# Net power per node
# ---------------------------------------------------------------------------------------


def node_net_kw(
    inputs: DispatchInputs,
    *,
    flow_kw: np.ndarray | None = None,
    lighting_kw: np.ndarray | None = None,
    curtailed_kw_by_node: Mapping[str, np.ndarray] | None = None,
    flex_kw_by_node: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    r"""Net power per node [kW], load convention (+ = drawn from the grid).

    .. math::

        p_{n,t} = L_{n,t} - \sum_{u@n} P^{pv}_{u,t}
                  + \sum_{b@n} F_{b,t} + P^{light}_{n,t} + P^{cur}_{n,t} + P^{flex}_{n,t}

    summed in that order (loads, PV, batteries, lighting, curtailment,
    flexible loads: heat pumps and EV charging), so
    that every caller gets the same floating-point values. Parts given as
    None are left out: with all of them None this is the fixed part of the
    node powers (batteries idle, lighting off, nothing curtailed) that the
    optimiser's node injections start from.

    Parameters
    ----------
    inputs
        The district and horizon; the nodes are :attr:`DispatchInputs.nodes`.
    flow_kw
        (B, n) charge minus discharge [kW] per battery of ``inputs.batteries``.
    lighting_kw
        (G, n) power [kW] per lighting group of ``inputs.lighting``.
    curtailed_kw_by_node
        Curtailed PV [kW] per node.
    flex_kw_by_node
        Electricity of heat pumps and EV charging [kW] per node.

    Returns
    -------
    dict
        Node id -> (n,) net power [kW], in the order of :attr:`DispatchInputs.nodes`.
    """
    p = {node: np.zeros(inputs.n_steps) for node in inputs.nodes}
    for col in inputs.load_kw.columns:
        p[str(col)] += inputs.load_kw[col].to_numpy()
    for pid in inputs.pv_kw.columns:
        p[inputs.pv_node[pid]] -= inputs.pv_kw[pid].to_numpy()
    if flow_kw is not None:
        for bat, flow in zip(inputs.batteries, flow_kw, strict=True):
            p[bat.at] += flow
    if lighting_kw is not None and inputs.lighting is not None:
        for gid, power in zip(inputs.lighting.group_ids, lighting_kw, strict=True):
            p[lighting_node(gid)] += power
    for node, values in (curtailed_kw_by_node or {}).items():
        p[node] += values
    for node, values in (flex_kw_by_node or {}).items():
        p[node] += values
    return p


def node_injections_kw(inputs: DispatchInputs, schedule: pd.DataFrame) -> pd.DataFrame:
    """Net power per node of a schedule [kW], load convention (+ = drawn from the grid).

    :func:`node_net_kw` of the schedule's battery flows, lighting,
    curtailment and flexible loads (:data:`FLEX_NODE_COLUMNS`); the columns
    are :attr:`DispatchInputs.nodes`. Their sum
    equals import - export.
    """
    flow = np.array(
        [
            schedule[f"p_charge_kw:{bat.id}"].to_numpy()
            - schedule[f"p_discharge_kw:{bat.id}"].to_numpy()
            for bat in inputs.batteries
        ]
    ).reshape(len(inputs.batteries), inputs.n_steps)
    light = None
    if inputs.lighting is not None:
        light = np.array(
            [schedule[f"lighting_kw:{gid}"].to_numpy() for gid in inputs.lighting.group_ids]
        ).reshape(len(inputs.lighting.group_ids), inputs.n_steps)
    curtailed = {
        col.split(":", 1)[1]: schedule[col].to_numpy()
        for col in schedule.columns
        if col.startswith("pv_curtailed_kw:")
    }
    flex: dict[str, np.ndarray] = {}
    for col in schedule.columns:
        quantity, _, node = col.partition(":")
        if node and quantity in FLEX_NODE_COLUMNS:
            flex[node] = flex.get(node, 0.0) + schedule[col].to_numpy()
    p = node_net_kw(
        inputs,
        flow_kw=flow,
        lighting_kw=light,
        curtailed_kw_by_node=curtailed,
        flex_kw_by_node=flex,
    )
    frame = pd.DataFrame(p, index=schedule.index)
    frame.columns.name = "node"
    return frame


# ---------------------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------------------


def curtailable_kw_by_node(inputs: DispatchInputs) -> dict[str, np.ndarray]:
    """Available output of the curtailable PV per node [kW]."""
    out: dict[str, np.ndarray] = {}
    for pid in inputs.pv_kw.columns:
        if inputs.curtailable(pid):
            node = inputs.pv_node[pid]
            values = inputs.pv_kw[pid].to_numpy()
            out[node] = out[node] + values if node in out else values.copy()
    return out


def split_curtailment(inputs: DispatchInputs, total_kw: np.ndarray) -> dict[str, np.ndarray]:
    """Split district curtailment onto nodes in proportion to their curtailable PV.

    Each node's share never exceeds its available output, because the total
    never exceeds the sum of the available outputs.
    """
    avail = curtailable_kw_by_node(inputs)
    if not avail:
        return {}
    total_avail = np.sum(list(avail.values()), axis=0)
    frac = np.divide(total_kw, total_avail, out=np.zeros_like(total_kw), where=total_avail > 0)
    return {node: frac * a for node, a in avail.items()}


def schedule_frame(
    inputs: DispatchInputs,
    *,
    p_import_kw: np.ndarray,
    p_export_kw: np.ndarray,
    p_charge_kw: np.ndarray,
    p_discharge_kw: np.ndarray,
    soc_end_kwh: np.ndarray,
    curtailed_kw_by_node: Mapping[str, np.ndarray],
    level: np.ndarray,
) -> pd.DataFrame:
    """Assemble a schedule (see the module docstring) from per-asset arrays.

    Parameters
    ----------
    inputs
        The dispatch inputs the schedule belongs to.
    p_import_kw, p_export_kw
        (n,) exchange at the transformer [kW].
    p_charge_kw, p_discharge_kw, soc_end_kwh
        (B, n) per battery of ``inputs.batteries`` [kW, kW, kWh at step end].
    curtailed_kw_by_node
        Curtailment per node [kW].
    level
        (G, n) dim levels of ``inputs.lighting`` [0..1].
    """
    n = inputs.n_steps
    cols: dict[str, np.ndarray] = {}
    cols["load_kw"] = inputs.load_kw.to_numpy().sum(axis=1)
    light_kw = inputs.lighting_power_kw(level)
    cols["lighting_kw"] = light_kw.sum(axis=0) if len(light_kw) else np.zeros(n)
    cols["pv_kw"] = inputs.pv_kw.to_numpy().sum(axis=1)
    cols["pv_curtailed_kw"] = (
        np.sum(list(curtailed_kw_by_node.values()), axis=0) if curtailed_kw_by_node else np.zeros(n)
    )
    ch = np.asarray(p_charge_kw, dtype=float).reshape(-1, n)
    dis = np.asarray(p_discharge_kw, dtype=float).reshape(-1, n)
    soc = np.asarray(soc_end_kwh, dtype=float).reshape(-1, n)
    cols["p_charge_kw"] = ch.sum(axis=0)
    cols["p_discharge_kw"] = dis.sum(axis=0)
    cols["soc_kwh"] = soc.sum(axis=0)
    cols["p_import_kw"] = np.asarray(p_import_kw, dtype=float)
    cols["p_export_kw"] = np.asarray(p_export_kw, dtype=float)
    cols["import_price_eur_per_kwh"] = inputs.import_price_eur_per_kwh
    cols["feed_in_eur_per_kwh"] = inputs.feed_in_eur_per_kwh
    cols["co2_g_per_kwh"] = inputs.co2_g_per_kwh
    for i, bat in enumerate(inputs.batteries):
        cols[f"p_charge_kw:{bat.id}"] = ch[i]
        cols[f"p_discharge_kw:{bat.id}"] = dis[i]
        cols[f"soc_kwh:{bat.id}"] = soc[i]
    if inputs.lighting is not None:
        for g, gid in enumerate(inputs.lighting.group_ids):
            cols[f"level:{gid}"] = level[g]
            cols[f"lighting_kw:{gid}"] = light_kw[g]
    for node, values in curtailed_kw_by_node.items():
        cols[f"pv_curtailed_kw:{node}"] = values
    return pd.DataFrame(cols, index=inputs.index)
