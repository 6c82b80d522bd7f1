"""PV hosting capacity: how much more PV each bus, and the district, can take.

Definitions
-----------
Hosting capacity of a node
    The largest additional PV peak power ``x`` [kWp] at that node alone such
    that the AC power flow of the schedule ``base + (-x * pv_per_kwp)`` breaks no
    limit (:class:`~energy.models.grid.check.Limits`: voltage band, 3 % rise,
    line and transformer loading) in any *critical step*. Found by bisection
    on ``x`` to ``tol_kwp``, all nodes and critical steps solved together in
    one batch of AC power flows per bisection round (Bollen & Rönnberg 2017,
    "Hosting capacity of the power grid for renewable electricity production
    and new large consumption equipment", https://doi.org/10.3390/en10091325,
    for the concept; the bisection on an AC model is the "iterative"
    method of their section 3).
District hosting capacity
    All nodes at once, each at the same fraction ``s`` of its own hosting
    capacity: the total ``s * sum(x_n)`` with the largest ``s`` in [0, 1]
    that breaks no limit. The critical steps are then checked against every
    step of the base schedule; steps that fail join the critical set and ``s``
    is searched again.
Critical steps
    The ``n_critical / 2`` steps with the highest PV output per kWp, plus the
    ``n_critical / 2`` steps of lowest district net load among those with at
    least half the peak PV output per kWp (high feed-in, low self-consumption).

The base schedule is given (for a district: its baseline B0, the
unoptimised schedule, :func:`energy.studies.hosting.district_hosting_capacity`);
a critical step in which it already breaks a limit makes the hosting capacity
0 (reported in ``base_violation_steps``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandapower as pp
import pandas as pd

from energy.district import LIGHT_PREFIX, District, PVSystem
from energy.errors import InputDataError
from energy.models.grid.build import node_buses
from energy.models.grid.check import Limits
from energy.models.grid.powerflow import Method, TimeSeriesRunner, _Arrays
from energy.progress import ProgressCallback, no_progress
from energy.timeindex import require_utc_index

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HostingCapacityResult:
    """Hosting capacity per node and for the district.

    Attributes
    ----------
    per_node : pandas.DataFrame
        Index node id; columns ``bus`` (bus name), ``hosting_kwp`` (alone),
        ``at_cap`` (True if ``max_kwp`` was reached without violation),
        ``limited_by`` (first limit broken just above ``hosting_kwp``) and
        ``simultaneous_kwp`` (its share of the district total).
    district_total_kwp : float
        Additional PV the district takes at once [kWp].
    scale_frac : float
        The common fraction ``s`` of each node's own capacity [0..1].
    critical_steps : pandas.DatetimeIndex
        The steps checked in the bisection (UTC).
    base_violation_steps : int
        Critical steps in which the base schedule already breaks a limit.
    """

    per_node: pd.DataFrame
    district_total_kwp: float
    scale_frac: float
    critical_steps: pd.DatetimeIndex
    base_violation_steps: int


def critical_steps(
    base_p_kw: pd.DataFrame, pv_kw_per_kwp: pd.Series, n_critical: int = 48
) -> pd.DatetimeIndex:
    """Select the critical steps of a schedule for PV hosting (see module docstring)."""
    if n_critical < 2:
        raise InputDataError(f"n_critical: {n_critical} is not allowed; it must be >= 2")
    pv = pv_kw_per_kwp.reindex(base_p_kw.index)
    if pv.isna().any():
        raise InputDataError("pv_kw_per_kwp: must cover every step of the base schedule")
    if pv.max() <= 0:
        raise InputDataError("pv_kw_per_kwp: no step with PV output; cannot assess hosting")
    half = n_critical // 2
    peak = pv.nlargest(half).index
    sunny = pv.index[pv.to_numpy() >= 0.5 * pv.max()]
    low = base_p_kw.loc[sunny].sum(axis=1).nsmallest(n_critical - half).index
    return pd.DatetimeIndex(peak.union(low).sort_values())


class _Batch:
    """Rows of node powers around a base schedule, evaluated in one AC batch."""

    def __init__(
        self,
        runner: TimeSeriesRunner,
        limits: Limits,
        base_kw: np.ndarray,
        pv_per_kwp: np.ndarray,
        cos_phi: float,
    ) -> None:
        self.runner = runner
        self.limits = limits
        self.base_kw = base_kw  # (K, N) node powers
        self.pv = pv_per_kwp  # (K,)
        self.tan_phi = math.tan(math.acos(cos_phi))

    def solve(self, rows_kw: np.ndarray) -> tuple[_Arrays, np.ndarray]:
        """AC results of node-power rows and whether each row breaks a limit."""
        inc = self.runner.incidence
        p = rows_kw @ inc / 1000.0
        q = (np.abs(rows_kw) * self.tan_phi) @ inc / 1000.0
        raw = self.runner.solve(p, q, stop_on_divergence=False)
        bad = (
            self.limits.violated_rows(
                raw.vm, self.runner.vm_noload, raw.line_loading, raw.trafo_loading
            )
            | ~raw.converged
        )
        return raw, bad

    def single(self, cols: np.ndarray, kwp: np.ndarray) -> np.ndarray:
        """Rows: for each candidate column c, every step with ``kwp[c]`` of PV added at c."""
        k = len(self.pv)
        rows = np.tile(self.base_kw, (len(cols), 1))
        r = np.arange(len(cols) * k)
        rows[r, np.repeat(cols, k)] -= np.repeat(kwp, k) * np.tile(self.pv, len(cols))
        return rows

    def together(self, cols: np.ndarray, kwp: np.ndarray) -> np.ndarray:
        """Rows: every step with ``kwp[c]`` of PV added at every candidate column c."""
        rows = self.base_kw.copy()
        rows[:, cols] -= np.outer(self.pv, kwp)
        return rows

    def binding(self, raw: _Arrays, row: int) -> str:
        """Name the limit a row breaks most (relative to the limit)."""
        lim = self.limits
        names = self.runner.work_bus_names
        found: list[tuple[float, str]] = []
        if not raw.converged[row]:
            return "power flow diverged"
        vm = raw.vm[row]
        with np.errstate(invalid="ignore"):
            i = int(np.nanargmax(vm))
            found.append((vm[i] / lim.v_max_pu - 1.0, f"overvoltage {names[i]}"))
            i = int(np.nanargmin(vm))
            found.append((1.0 - vm[i] / lim.v_min_pu, f"undervoltage {names[i]}"))
            if lim.voltage_rise_pct is not None:
                rise = (vm - self.runner.vm_noload) * 100.0
                i = int(np.nanargmax(rise))
                found.append((rise[i] / lim.voltage_rise_pct - 1.0, f"voltage_rise {names[i]}"))
            for arr, names_, kind in (
                (raw.line_loading[row], self.runner.line_names, "line"),
                (raw.trafo_loading[row], self.runner.trafo_names, "trafo"),
            ):
                if len(arr):
                    i = int(np.nanargmax(arr))
                    found.append(
                        (arr[i] / lim.max_loading_pct - 1.0, f"{kind}_overload {names_[i]}")
                    )
        return max(found)[1]


def _bisect(
    evaluate_ok: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray, tol: float
) -> np.ndarray:
    """Vectorised bisection: largest x in [lo, hi] with evaluate_ok(x) (monotone)."""
    while (hi - lo).max(initial=0.0) > tol:
        mid = 0.5 * (lo + hi)
        ok = evaluate_ok(mid)
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    return lo


def _default_candidates(net: pp.pandapowerNet, nodes: pd.Series) -> list[str]:
    """Every low-voltage node (< 1 kV) except lighting groups."""
    vn = net.bus["vn_kv"]
    return [
        str(n) for n, b in nodes.items() if vn.loc[b] < 1.0 and not str(n).startswith(LIGHT_PREFIX)
    ]


def _per_node(
    batch: _Batch, cols: np.ndarray, k: int, max_kwp: float, tol_kwp: float, base_broken: bool
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Bisect each candidate's own hosting capacity [kWp] over ``k`` critical steps.

    Returns the capacities, whether each reached ``max_kwp`` and, for the
    others, the element that limits it; all zero, limited by the "base
    schedule", when the base schedule itself breaks a limit.
    """
    if base_broken:
        return np.zeros(len(cols)), np.zeros(len(cols), dtype=bool), ["base schedule"] * len(cols)

    def ok_single(x: np.ndarray) -> np.ndarray:
        _, bad = batch.solve(batch.single(cols, x))
        return np.asarray(~bad.reshape(len(cols), k).any(axis=1))

    cap = np.full(len(cols), float(max_kwp))
    at_cap = ok_single(cap)
    x = _bisect(ok_single, np.where(at_cap, cap, 0.0), cap, tol_kwp)
    raw, bad = batch.solve(batch.single(cols, np.minimum(x + tol_kwp, max_kwp)))
    limited = [""] * len(cols)
    for c in np.nonzero(~at_cap)[0]:
        rows = np.arange(c * k, (c + 1) * k)
        limited[c] = batch.binding(raw, int(rows[np.argmax(bad[rows])]))
    return x, at_cap, limited


def _district_scale(
    batch_for: Callable[[pd.DatetimeIndex], _Batch],
    cols: np.ndarray,
    x: np.ndarray,
    steps: pd.DatetimeIndex,
    index: pd.DatetimeIndex,
    tol_kwp: float,
) -> float:
    """Largest fraction ``s`` of every node's own capacity ``x`` that all nodes host together.

    Searched on the critical steps, checked over the whole ``index``; steps
    that fail there join the search (at most four rounds).
    """
    scale = 0.0
    all_steps = steps
    for _ in range(4):
        batch = batch_for(all_steps)

        def ok_scale(s: np.ndarray, b: _Batch = batch) -> np.ndarray:
            _, bad = b.solve(b.together(cols, s[0] * x))
            return np.array([not bad.any()])

        scale = float(
            _bisect(ok_scale, np.zeros(1), np.ones(1), tol_kwp / max(x.sum(), tol_kwp))[0]
        )
        year = batch_for(index)
        _, bad_year = year.solve(year.together(cols, scale * x))
        if not bad_year.any():
            return scale
        new = index[bad_year]
        logger.info("district hosting: %d more steps fail over the year; re-searching", len(new))
        all_steps = all_steps.union(new)
    logger.warning("district hosting: scale %.3f still fails in some steps", scale)
    return scale


def hosting_capacity(
    net: pp.pandapowerNet,
    base_p_kw: pd.DataFrame,
    pv_kw_per_kwp: pd.Series,
    candidates: list[str] | None = None,
    limits: Limits | None = None,
    n_critical: int = 48,
    max_kwp: float = 1000.0,
    tol_kwp: float = 1.0,
    cos_phi: float = 1.0,
    method: Method = "auto",
    progress: ProgressCallback | None = None,
) -> HostingCapacityResult:
    """Additional PV [kWp] each node, and the district, can host without violation.

    Parameters
    ----------
    net
        The network (with its node map).
    base_p_kw
        Base schedule per node [kW], load convention, UTC index x node ids,
        typically a year (e.g. :func:`energy.baselines.baseline_node_p_kw`).
    pv_kw_per_kwp
        AC output of 1 kWp of additional PV [kW/kWp] on the same index.
    candidates
        Node ids to assess; default every low-voltage node except lighting.
    limits
        Grid limits, default :class:`Limits()`.
    n_critical
        Number of critical steps (see module docstring).
    max_kwp
        Upper end of the search per node [kWp].
    tol_kwp
        Bisection tolerance [kWp].
    cos_phi
        Power factor of every node (``q = |p| tan(arccos(cos_phi))``).
    method
        Power-flow method.
    progress
        Optional progress callback.

    Returns
    -------
    HostingCapacityResult
    """
    report = progress or no_progress
    lim = limits or Limits()
    require_utc_index(base_p_kw.index, "base_p_kw")
    if max_kwp <= 0 or tol_kwp <= 0:
        raise InputDataError(f"max_kwp {max_kwp} and tol_kwp {tol_kwp} must be > 0 kWp")
    runner = TimeSeriesRunner(net, method)
    nodes = node_buses(net)
    if candidates is None:
        candidates = _default_candidates(net, nodes)
    unknown = sorted(set(candidates) - set(runner.node_names))
    if unknown:
        raise InputDataError(f"candidates: {unknown[:10]} are not nodes of the network")
    steps = critical_steps(base_p_kw, pv_kw_per_kwp, n_critical)
    # bus_injections validates the schedule; we keep node-level rows for the batches
    runner.bus_injections(base_p_kw.iloc[:1], cos_phi=cos_phi)
    full = base_p_kw.rename(columns=str).reindex(columns=runner.node_names, fill_value=0.0)
    pv_all = pv_kw_per_kwp.reindex(base_p_kw.index).to_numpy(dtype=float)
    col = {n: i for i, n in enumerate(runner.node_names)}
    cols = np.array([col[c] for c in candidates], dtype=int)

    def batch_for(index: pd.DatetimeIndex) -> _Batch:
        pos = base_p_kw.index.get_indexer(index)
        return _Batch(runner, lim, full.to_numpy(float)[pos], pv_all[pos], cos_phi)

    batch = batch_for(steps)
    _, base_bad = batch.solve(batch.base_kw)
    n_base_bad = int(base_bad.sum())
    if n_base_bad:
        logger.warning(
            "hosting capacity: the base schedule breaks limits in %d critical steps", n_base_bad
        )
    report(0.05, f"hosting capacity: {len(cols)} nodes x {len(steps)} critical steps")
    x, at_cap, limited = _per_node(batch, cols, len(steps), max_kwp, tol_kwp, n_base_bad > 0)
    report(0.7, "hosting capacity per node done; district total next")
    scale = 0.0
    if not n_base_bad and x.sum() > 0:
        scale = _district_scale(batch_for, cols, x, steps, base_p_kw.index, tol_kwp)
    report(1.0, "hosting capacity done")
    bus_name = dict(zip(net.bus.index, runner.bus_names, strict=True))
    per_node = pd.DataFrame(
        {"bus": [bus_name[nodes[c]] for c in candidates], "hosting_kwp": x, "at_cap": at_cap}
        | {"limited_by": limited, "simultaneous_kwp": scale * x},
        index=pd.Index(candidates, name="node_id"),
    )
    return HostingCapacityResult(per_node, float(scale * x.sum()), scale, steps, n_base_bad)


def reference_pv_kw_per_kwp(
    district: District, weather: pd.DataFrame, tilt_deg: float = 30.0, azimuth_deg: float = 180.0
) -> pd.Series:
    """AC output [kW/kWp] of a 1 kWp reference roof system at the site.

    The PVWatts-style model of :mod:`energy.models.pv` with its defaults (roof
    mount, 14 % losses, DC/AC 1.1), tilt 30 deg facing south unless given.
    """
    from energy.models.pv import district_pv_kw

    ref = PVSystem(
        id="reference",
        building=district.buildings[0].id,
        kwp=1.0,
        tilt_deg=tilt_deg,
        azimuth_deg=azimuth_deg,
    )
    one = district.model_copy(update={"pv": [ref], "batteries": []})
    return district_pv_kw(one, weather)["reference"].rename("p_kw_per_kwp")
