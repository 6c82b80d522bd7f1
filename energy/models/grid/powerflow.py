"""Time-series AC power flow of node schedules on a pandapower net.

The whole horizon is solved in one call of lightsim2grid's ``TimeSeriesCPP``
(Newton-Raphson in C++ with the KLU sparse solver, one Jacobian pattern for
all steps; Donnot 2020, https://github.com/Grid2op/lightsim2grid), which is two
orders of magnitude faster than a loop of :func:`pandapower.runpp` because the
per-step Python overhead disappears (see PERFORMANCE.md). A loop of
``pandapower.runpp`` (Newton-Raphson with numba; Thurner et al. 2018,
https://doi.org/10.1109/TPWRS.2018.2829021) is the fallback and the reference.

How a schedule enters the net: a working copy of the net keeps the branches
(lines, transformers, shunts) and the external grid; every load, static
generator and storage of the original is removed and replaced by one PQ load
per bus that carries the sum of the node powers mapped to that bus (see
:func:`energy.models.grid.build.node_buses`). Closed bus-bus switches are
fused, open line/transformer switches take their branch out of service.

Reactive power: given per node, or from a power factor ``cos_phi`` as
``q = |p| tan(arccos(cos_phi))`` >= 0, i.e. inductive consumption for loads and
under-excited operation (absorbing reactive power) for net feed-in, the
direction VDE-AR-N 4105:2018-11 (5.7.2) prescribes for generators.

Units: kW/kvar in, MW/Mvar only inside; load convention, positive = drawn
from the grid.
"""

from __future__ import annotations

import copy
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandapower as pp
import pandas as pd

from energy.errors import InputDataError, PowerFlowError
from energy.models.grid.build import element_names, node_buses
from energy.progress import ProgressCallback, no_progress
from energy.timeindex import require_utc_index

logger = logging.getLogger(__name__)

Method = Literal["auto", "lightsim2grid", "pandapower"]
SQRT3 = math.sqrt(3.0)
#: Injection tables of a pandapower net that a schedule replaces.
INJECTION_TABLES = ("load", "sgen", "storage", "asymmetric_load", "asymmetric_sgen")


@dataclass(frozen=True)
class GridTimeSeriesResult:
    """AC power-flow results of a schedule, one row per time step.

    Attributes
    ----------
    vm_pu : pandas.DataFrame
        Bus voltage magnitudes [pu], UTC index x bus names.
    line_loading_pct : pandas.DataFrame
        Line loadings, max of both ends' current over ``max_i_ka * df * parallel`` [%].
    trafo_loading_pct : pandas.DataFrame
        Transformer loadings, current-based as in pandapower [%].
    losses_kw : pandas.Series
        Active losses of all lines and transformers (incl. iron losses) [kW].
    p_ext_grid_kw : pandas.Series
        Power drawn from the upstream grid [kW], load convention (+ = import).
    vm_noload_pu : pandas.Series
        Bus voltages with all injections zero [pu], the reference of the
        voltage-rise criterion.
    bus_vn_kv : pandas.Series
        Nominal voltage of each bus [kV].
    method : str
        ``"lightsim2grid"`` or ``"pandapower"``.
    elapsed_s : float
        Wall time of the power flows [s].
    """

    vm_pu: pd.DataFrame
    line_loading_pct: pd.DataFrame
    trafo_loading_pct: pd.DataFrame
    losses_kw: pd.Series
    p_ext_grid_kw: pd.Series
    vm_noload_pu: pd.Series
    bus_vn_kv: pd.Series
    method: str
    elapsed_s: float

    @property
    def index(self) -> pd.DatetimeIndex:
        """The UTC time axis."""
        return pd.DatetimeIndex(self.vm_pu.index)


@dataclass
class _Arrays:
    """Raw per-step results on the working net (MW, pu, %)."""

    vm: np.ndarray  # (T, n_bus_working)
    line_loading: np.ndarray  # (T, n_line)
    trafo_loading: np.ndarray  # (T, n_trafo)
    losses_mw: np.ndarray  # (T,)
    p_ext_mw: np.ndarray  # (T,)
    converged: np.ndarray  # (T,) bool


def _lightsim_available() -> bool:
    try:
        import lightsim2grid  # noqa: F401
    except ImportError:
        return False
    return True


def _working_copy(net: pp.pandapowerNet) -> tuple[pp.pandapowerNet, dict[int, int]]:
    """Branches-only copy with continuous bus index; returns it and orig bus -> position."""
    if len(net.get("gen", [])):
        raise InputDataError(
            "network: voltage-controlled generators (net.gen) are not supported; model "
            "generation as static generators (sgen) or node powers"
        )
    w = copy.deepcopy(net)
    rep = {int(b): int(b) for b in w.bus.index}
    sw = w.get("switch")
    if isinstance(sw, pd.DataFrame) and len(sw):
        closed = sw["closed"].astype(bool).to_numpy()
        for et, table in (("l", "line"), ("t", "trafo")):
            idx = sw["element"][(~closed) & (sw["et"] == et).to_numpy()].astype(int)
            w[table].loc[idx.to_numpy(), "in_service"] = False
        for _, row in sw[closed & (sw["et"] == "b").to_numpy()].iterrows():
            keep, drop = rep[int(row["bus"])], rep[int(row["element"])]
            if keep != drop:
                pp.toolbox.fuse_buses(w, keep, drop)
                rep = {k: (keep if v == drop else v) for k, v in rep.items()}
        w["switch"] = sw.iloc[0:0]
    for table in INJECTION_TABLES:
        if table in w and len(w[table]):
            w[table] = w[table].iloc[0:0]
    lookup = pp.toolbox.create_continuous_bus_index(w, start=0)
    pos = {orig: int(lookup[r]) for orig, r in rep.items()}
    n_bus = len(w.bus)
    pp.create_loads(w, buses=np.arange(n_bus), p_mw=0.0, q_mvar=0.0)
    return w, pos


def _slack_as_generator(work: pp.pandapowerNet) -> pp.pandapowerNet:
    """Return a copy of the working net for lightsim2grid, ext grids as slack generators.

    lightsim2grid's converter (``init_from_pandapower``) warns when it finds no
    generator tagged as slack and then adds one per ``ext_grid`` itself (at the
    grid's bus and voltage set-point, reactive limits -999999 and 99999 Mvar,
    slack weight from ``ext_grid.slack_weight``, else 1). Handing it those
    generators, with the ``ext_grid`` rows removed, builds the same model
    without the warning, so no warning filter is needed (filters are
    process-wide and ``warnings.catch_warnings`` is not thread-safe). The
    working copy has no switches, so the converter's switch warning cannot
    arise either.
    """
    net = copy.deepcopy(work)
    ext = net.ext_grid
    weights = ext["slack_weight"] if "slack_weight" in ext else pd.Series(1.0, index=ext.index)
    for i in ext.index:
        pp.create_gen(
            net,
            bus=int(ext.at[i, "bus"]),
            p_mw=0.0,
            vm_pu=float(ext.at[i, "vm_pu"]),
            min_q_mvar=-999999.0,
            max_q_mvar=99999.0,
            slack=True,
            slack_weight=float(weights[i]),
        )
    net.ext_grid = ext.iloc[0:0]
    return net


class TimeSeriesRunner:
    """A network prepared once for many time-series power flows.

    Parameters
    ----------
    net
        The pandapower net (not modified), with its node map.
    method
        ``"lightsim2grid"``, ``"pandapower"`` or ``"auto"`` (lightsim2grid when it
        is installed and converts the net, else pandapower).
    max_iter
        Newton-Raphson iteration limit per step.
    tol_mva
        Convergence tolerance on the power mismatch [MVA] (pandapower's
        ``tolerance_mva``; lightsim2grid's ``tol`` in per unit of
        ``net.sn_mva``, converted).
    """

    def __init__(
        self,
        net: pp.pandapowerNet,
        method: Method = "auto",
        max_iter: int = 20,
        tol_mva: float = 1e-8,
    ) -> None:
        if method not in ("auto", "lightsim2grid", "pandapower"):
            raise InputDataError(
                f"method: {method!r} is not allowed; use auto, lightsim2grid or pandapower"
            )
        self.net = net
        #: One solve at a time: the working net and lightsim2grid's computer hold state
        #: (a cached runner, :func:`energy.models.cache.runner`, serves several threads).
        self._lock = threading.Lock()
        self.max_iter = max_iter
        self.tol_mva = tol_mva
        self.work, pos = _working_copy(net)
        self.nodes = node_buses(net)
        self.node_names: list[str] = [str(n) for n in self.nodes.index]
        missing = sorted(set(self.nodes.to_numpy()) - set(pos))
        if missing:
            raise InputDataError(f"network: the node map refers to unknown buses {missing}")
        orig_buses = net.bus.index.to_numpy(dtype=int)
        self.bus_pos = np.array([pos[int(b)] for b in orig_buses], dtype=int)
        self.bus_names = element_names(net.bus, "bus")
        #: Name of each working bus: the first original bus fused into it.
        self.work_bus_names = [""] * len(self.work.bus)
        for name, p in reversed(list(zip(self.bus_names, self.bus_pos, strict=True))):
            self.work_bus_names[p] = name
        self.bus_in_service = net.bus["in_service"].to_numpy(dtype=bool)
        self.line_names = element_names(net.line, "line")
        self.trafo_names = element_names(net.trafo, "trafo")
        n_bus = len(self.work.bus)
        self.incidence = np.zeros((len(self.nodes), n_bus))
        self.incidence[np.arange(len(self.nodes)), [pos[int(b)] for b in self.nodes.to_numpy()]] = (
            1.0
        )
        self._v0, self.vm_noload = self._no_load()
        self._computer: Any = None
        self.method = "pandapower"
        if method in ("auto", "lightsim2grid"):
            try:
                self._computer, self._n_gen = self._init_lightsim()
                self.method = "lightsim2grid"
            except (ImportError, RuntimeError, ValueError) as exc:
                if method == "lightsim2grid":
                    raise PowerFlowError(f"lightsim2grid cannot take this network: {exc}") from exc
                logger.warning("lightsim2grid unavailable for this net (%s); using pandapower", exc)

    @property
    def vm_noload_by_bus(self) -> pd.Series:
        """No-load voltage of every bus of the original net [pu], by bus name."""
        return pd.Series(self.vm_noload[self.bus_pos], index=self.bus_names, name="vm_noload_pu")

    # -- set-up -------------------------------------------------------------
    def _runpp(self, numba: bool = True, **kwargs: Any) -> None:
        pp.runpp(
            self.work,
            lightsim2grid=False,
            numba=numba,
            calculate_voltage_angles=True,
            max_iteration=self.max_iter,
            tolerance_mva=self.tol_mva,
            **kwargs,
        )

    def _no_load(self) -> tuple[np.ndarray, np.ndarray]:
        """Complex start voltages and no-load magnitudes of the working net."""
        try:
            # one power flow: without numba, whose first call compiles for about 9 s
            # (0.8 s instead of 9.7 s on a fresh process, Gera grid, bench_year)
            self._runpp(numba=False, init="dc")
        except pp.powerflow.LoadflowNotConverged as exc:
            raise PowerFlowError(
                "the network's no-load power flow did not converge; check "
                "the external grid and the branch data"
            ) from exc
        vm = self.work.res_bus["vm_pu"].to_numpy(dtype=float)
        va = np.deg2rad(self.work.res_bus["va_degree"].to_numpy(dtype=float))
        return np.nan_to_num(vm * np.exp(1j * va)), vm

    def _init_lightsim(self) -> tuple[Any, int]:
        from lightsim2grid.network import init_from_pandapower
        from lightsim2grid.timeSerie import TimeSeriesCPP

        model = init_from_pandapower(_slack_as_generator(self.work))
        computer = TimeSeriesCPP(model)
        computer.compute_gen_results = True
        return computer, len(model.get_generators())

    # -- injections ---------------------------------------------------------
    def bus_injections(
        self, p_kw: pd.DataFrame, q_kvar: pd.DataFrame | None = None, cos_phi: float = 1.0
    ) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
        """Validate node powers and sum them per working bus [MW], [Mvar]."""
        if not isinstance(p_kw, pd.DataFrame):
            raise InputDataError(
                f"p_kw: expected a DataFrame of node powers, got {type(p_kw).__name__}"
            )
        index = require_utc_index(p_kw.index, "p_kw")
        unknown = [str(c) for c in p_kw.columns if str(c) not in set(self.node_names)]
        if unknown:
            raise InputDataError(
                f"p_kw: columns {unknown[:10]} are not nodes of the network; known nodes: "
                f"{self.node_names[:20]}{' ...' if len(self.node_names) > 20 else ''}"
            )
        p = p_kw.rename(columns=str).reindex(columns=self.node_names, fill_value=0.0)
        p_arr = p.to_numpy(dtype=float)
        if not np.isfinite(p_arr).all():
            raise InputDataError("p_kw: contains NaN or infinite values")
        if q_kvar is not None:
            q_frame = q_kvar.rename(columns=str)
            if not q_frame.index.equals(p_kw.index):
                raise InputDataError("q_kvar: its index differs from that of p_kw")
            q_arr = q_frame.reindex(columns=self.node_names, fill_value=0.0).to_numpy(float)
            if not np.isfinite(q_arr).all():
                raise InputDataError("q_kvar: contains NaN or infinite values")
        else:
            if not 0.0 < cos_phi <= 1.0:
                raise InputDataError(f"cos_phi: {cos_phi} is not allowed; it must be in (0, 1]")
            q_arr = np.abs(p_arr) * math.tan(math.acos(cos_phi))
        return index, (p_arr @ self.incidence) / 1000.0, (q_arr @ self.incidence) / 1000.0

    # -- solvers ------------------------------------------------------------
    def solve(
        self,
        p_mw: np.ndarray,
        q_mvar: np.ndarray,
        stop_on_divergence: bool = True,
        progress: ProgressCallback | None = None,
    ) -> _Arrays:
        """Solve all rows of per-working-bus injections [MW], [Mvar] (load convention)."""
        p = np.ascontiguousarray(p_mw, dtype=float)
        q = np.ascontiguousarray(q_mvar, dtype=float)
        with self._lock:
            if self._computer is not None:
                return self._solve_lightsim(p, q, stop_on_divergence)
            return self._solve_pandapower(p, q, stop_on_divergence, progress or no_progress)

    def _solve_lightsim(self, p: np.ndarray, q: np.ndarray, stop: bool) -> _Arrays:
        n_steps, n_bus = p.shape
        n_line, n_trafo = len(self.work.line), len(self.work.trafo)
        out = _Arrays(
            vm=np.full((n_steps, n_bus), np.nan),
            line_loading=np.full((n_steps, n_line), np.nan),
            trafo_loading=np.full((n_steps, n_trafo), np.nan),
            losses_mw=np.full(n_steps, np.nan),
            p_ext_mw=np.full(n_steps, np.nan),
            converged=np.zeros(n_steps, dtype=bool),
        )
        sgen = np.zeros((n_steps, 0))
        gen = np.zeros((n_steps, self._n_gen))
        tol_pu = self.tol_mva / float(self.work.sn_mva)
        start = 0
        while start < n_steps:
            rows = slice(start, n_steps)
            self._computer.clear()  # a batch fixes its row count; the next may differ
            self._computer.compute_Vs(
                gen[rows], sgen[rows], p[rows], q[rows], self._v0, self.max_iter, tol_pu
            )
            ok = np.asarray(self._computer.converged_mask(), dtype=bool)
            n_ok = int(np.argmin(ok)) if not ok.all() else len(ok)
            if n_ok:
                done = slice(start, start + n_ok)
                voltages = self._computer.get_voltages()[:n_ok]
                branch = self._computer.compute_branch_results()[:n_ok]
                gens = self._computer.get_gen_results()[:n_ok]
                self._fill_from_branches(out, done, np.abs(voltages), branch)
                out.p_ext_mw[done] = gens[:, :, 0].sum(axis=1)
                out.converged[done] = True
            if n_ok == len(ok):
                break
            if stop:
                break
            start += n_ok + 1
        return out

    def _fill_from_branches(
        self, out: _Arrays, rows: slice, vm: np.ndarray, branch: np.ndarray
    ) -> None:
        """Fill loadings and losses from branch end powers, as pandapower's results_branch."""
        w = self.work
        vn = w.bus["vn_kv"].to_numpy(dtype=float)
        n_line = len(w.line)
        out.vm[rows] = vm
        s_end = np.hypot(branch[:, :, [0, 2]], branch[:, :, [1, 3]])  # (T, n_branch, 2) MVA
        with np.errstate(divide="ignore", invalid="ignore"):
            if n_line:
                f = w.line["from_bus"].to_numpy(dtype=int)
                t = w.line["to_bus"].to_numpy(dtype=int)
                i_from = s_end[:, :n_line, 0] / (SQRT3 * vm[:, f] * vn[f])
                i_to = s_end[:, :n_line, 1] / (SQRT3 * vm[:, t] * vn[t])
                i_max = (w.line["max_i_ka"] * w.line["df"] * w.line["parallel"]).to_numpy(float)
                load = np.maximum(i_from, i_to) / i_max * 100.0
                out.line_loading[rows] = np.where(
                    w.line["in_service"].to_numpy(bool), np.nan_to_num(load), 0.0
                )
            if len(w.trafo):
                tr = w.trafo
                hv = tr["hv_bus"].to_numpy(dtype=int)
                lv = tr["lv_bus"].to_numpy(dtype=int)
                i_hv = s_end[:, n_line:, 0] / (SQRT3 * vm[:, hv] * vn[hv])
                i_lv = s_end[:, n_line:, 1] / (SQRT3 * vm[:, lv] * vn[lv])
                ld = np.maximum(
                    i_hv * tr["vn_hv_kv"].to_numpy(float), i_lv * tr["vn_lv_kv"].to_numpy(float)
                )
                ld = ld * SQRT3 / tr["sn_mva"].to_numpy(float) * 100.0
                ld = ld / (tr["parallel"] * tr["df"]).to_numpy(float)
                out.trafo_loading[rows] = np.where(
                    tr["in_service"].to_numpy(bool), np.nan_to_num(ld), 0.0
                )
        out.losses_mw[rows] = (branch[:, :, 0] + branch[:, :, 2]).sum(axis=1)

    def _solve_pandapower(
        self, p: np.ndarray, q: np.ndarray, stop: bool, progress: ProgressCallback
    ) -> _Arrays:
        w = self.work
        n_steps, n_bus = p.shape
        out = _Arrays(
            vm=np.full((n_steps, n_bus), np.nan),
            line_loading=np.full((n_steps, len(w.line)), np.nan),
            trafo_loading=np.full((n_steps, len(w.trafo)), np.nan),
            losses_mw=np.full(n_steps, np.nan),
            p_ext_mw=np.full(n_steps, np.nan),
            converged=np.zeros(n_steps, dtype=bool),
        )
        init = "dc"
        for t in range(n_steps):
            w.load["p_mw"] = p[t]
            w.load["q_mvar"] = q[t]
            try:
                self._runpp(init=init)
            except pp.powerflow.LoadflowNotConverged:
                init = "dc"
                if stop:
                    break
                continue
            init = "results"
            out.vm[t] = w.res_bus["vm_pu"].to_numpy(dtype=float)
            out.line_loading[t] = w.res_line["loading_percent"].to_numpy(dtype=float)
            out.trafo_loading[t] = w.res_trafo["loading_percent"].to_numpy(dtype=float)
            out.losses_mw[t] = w.res_line["pl_mw"].sum() + w.res_trafo["pl_mw"].sum()
            out.p_ext_mw[t] = w.res_ext_grid["p_mw"].sum()
            out.converged[t] = True
            if t % 200 == 0:
                progress(t / n_steps, f"AC power flow step {t} of {n_steps}")
        return out

    # -- public -------------------------------------------------------------
    def run(
        self,
        p_kw: pd.DataFrame,
        q_kvar: pd.DataFrame | None = None,
        cos_phi: float = 1.0,
        progress: ProgressCallback | None = None,
    ) -> GridTimeSeriesResult:
        """Solve a schedule of node powers; see :func:`run_timeseries`."""
        index, p, q = self.bus_injections(p_kw, q_kvar, cos_phi)
        started = time.perf_counter()
        raw = self.solve(p, q, stop_on_divergence=True, progress=progress)
        elapsed = time.perf_counter() - started
        if not raw.converged.all():
            t = int(np.argmin(raw.converged))
            raise PowerFlowError(
                f"AC power flow did not converge at {index[t].isoformat()} (step {t + 1} of "
                f"{len(index)}): net district load {p_kw.iloc[t].sum():.1f} kW; the schedule "
                "exceeds what the grid can carry (voltage collapse) or the data are wrong"
            )
        if progress is not None:
            progress(1.0, f"AC power flow of {len(index)} steps done ({self.method})")
        logger.info("AC time series: %d steps in %.3f s (%s)", len(index), elapsed, self.method)
        return self.to_result(index, raw, elapsed)

    def to_result(
        self, index: pd.DatetimeIndex, raw: _Arrays, elapsed_s: float
    ) -> GridTimeSeriesResult:
        """Wrap raw arrays into a :class:`GridTimeSeriesResult` with element names."""
        vm = np.where(self.bus_in_service, raw.vm[:, self.bus_pos], np.nan)
        vn = self.net.bus["vn_kv"].to_numpy(dtype=float)
        return GridTimeSeriesResult(
            vm_pu=pd.DataFrame(vm, index=index, columns=self.bus_names),
            line_loading_pct=pd.DataFrame(raw.line_loading, index=index, columns=self.line_names),
            trafo_loading_pct=pd.DataFrame(
                raw.trafo_loading, index=index, columns=self.trafo_names
            ),
            losses_kw=pd.Series(raw.losses_mw * 1000.0, index=index, name="losses_kw"),
            p_ext_grid_kw=pd.Series(raw.p_ext_mw * 1000.0, index=index, name="p_ext_grid_kw"),
            vm_noload_pu=self.vm_noload_by_bus,
            bus_vn_kv=pd.Series(vn, index=self.bus_names, name="vn_kv"),
            method=self.method,
            elapsed_s=elapsed_s,
        )


def run_timeseries(
    net: pp.pandapowerNet,
    p_kw: pd.DataFrame,
    q_kvar: pd.DataFrame | None = None,
    cos_phi: float = 1.0,
    method: Method = "auto",
    progress: ProgressCallback | None = None,
) -> GridTimeSeriesResult:
    """AC power flow of every step of a node schedule.

    Parameters
    ----------
    net
        pandapower net with a node map (:func:`~energy.models.grid.build.node_buses`).
    p_kw
        Net active power per node [kW], load convention (+ = drawn from the
        grid), UTC index x node ids; nodes left out draw nothing.
    q_kvar
        Reactive power per node [kvar], + = consumed; default from ``cos_phi``.
    cos_phi
        Power factor for ``q = |p| tan(arccos(cos_phi))`` when ``q_kvar`` is None.
    method
        ``"auto"`` (lightsim2grid ``TimeSeriesCPP``, pandapower fallback),
        ``"lightsim2grid"`` or ``"pandapower"`` (a ``runpp`` loop).
    progress
        Optional progress callback.

    Returns
    -------
    GridTimeSeriesResult

    Raises
    ------
    PowerFlowError
        If a step does not converge; the message names the step.
    """
    return TimeSeriesRunner(net, method).run(p_kw, q_kvar, cos_phi, progress)
