"""Benchmark: a year of hourly AC power flows, our time series against a runpp loop.

Run: ``.venv/bin/python benchmarks/bench_powerflow.py [--sample 200]``

For the Gera reference district (unoptimised schedule: baseline B0)
and SimBench ``1-LV-semiurb4--0-sw`` (its own profiles, hourly means), it
times, side by side in one process:

* building the Gera net (:func:`energy.models.grid.build_network`), first call
  and warm, and the whole :func:`energy.models.grid.check.check_schedule` of
  the Gera year (build, AC time series, violations, KPIs);
* ours: :class:`energy.models.grid.powerflow.TimeSeriesRunner` (lightsim2grid
  ``TimeSeriesCPP`` on the whole year), set-up and run separately;
* ours with the pandapower fallback (``runpp`` loop with ``init="results"``),
  on the sample;
* a plain ``pandapower.runpp`` loop (numba on, lightsim2grid off, default
  options) on the same working net, on a sample of steps spread over the year;
  its year time is extrapolated from the sample (stated in the output).

It prints figures, never fails on time; correctness lives in tests/.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from importlib import metadata

import numpy as np
import pandapower as pp
import pandas as pd

from energy.district import GERA_DISTRICT_FILE, District, load_district
from energy.models.grid import build_network, import_network, network_profiles_kw
from energy.models.grid.check import check_schedule
from energy.models.grid.powerflow import TimeSeriesRunner
from energy.studies.hosting import district_b0_node_p_kw
from energy.timeindex import year_index


def bench(
    name: str, net: pp.pandapowerNet, p_kw: pd.DataFrame, q_kvar: pd.DataFrame | None, sample: int
) -> dict[str, float]:
    print(
        f"\n== {name}: {len(net.bus)} buses, {len(net.line)} lines, {len(p_kw)} steps, "
        f"{p_kw.shape[1]} nodes"
    )
    t0 = time.perf_counter()
    runner = TimeSeriesRunner(net, "lightsim2grid")
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = runner.run(p_kw, q_kvar)
    run_s = time.perf_counter() - t0
    n = len(p_kw)
    print(
        f"ours (lightsim2grid TimeSeriesCPP): set-up {setup_s:.3f} s, year {run_s:.3f} s "
        f"(solver {res.elapsed_s:.3f} s), {run_s / n * 1e3:.4f} ms/step incl. results"
    )

    rows = np.linspace(0, n - 1, sample).round().astype(int)
    _, p_mw, q_mvar = runner.bus_injections(p_kw, q_kvar)
    work = runner.work
    vm_loop = np.zeros((sample, len(work.bus)))
    t0 = time.perf_counter()
    for i, t in enumerate(rows):
        work.load["p_mw"] = p_mw[t]
        work.load["q_mvar"] = q_mvar[t]
        pp.runpp(work, lightsim2grid=False, numba=True)
        vm_loop[i] = work.res_bus["vm_pu"].to_numpy()
    loop_s = time.perf_counter() - t0
    loop_step = loop_s / sample
    print(
        f"plain pp.runpp loop: {sample} sampled steps in {loop_s:.2f} s = "
        f"{loop_step * 1e3:.2f} ms/step -> year extrapolated {loop_step * n:.1f} s"
    )

    fallback = TimeSeriesRunner(net, "pandapower")
    t0 = time.perf_counter()
    fb = fallback.run(p_kw.iloc[rows], None if q_kvar is None else q_kvar.iloc[rows])
    fb_step = (time.perf_counter() - t0) / sample
    print(f"ours, pandapower fallback (init=results): {fb_step * 1e3:.2f} ms/step")

    vm_ours = runner.solve(p_mw[rows], q_mvar[rows]).vm  # same working buses as the loop
    agree = float(np.abs(vm_ours - vm_loop).max())
    agree_fb = float(np.nanmax(np.abs(fb.vm_pu.to_numpy() - res.vm_pu.to_numpy()[rows])))
    ratio = loop_step / (run_s / n)
    print(
        f"agreement: max |vm ours - vm runpp loop| = {agree:.2e} pu; "
        f"fallback vs ours {agree_fb:.2e} pu"
    )
    print(
        f"speed-up vs plain loop: {ratio:,.0f}x per step (run only), "
        f"{loop_step * n / (setup_s + run_s):,.0f}x incl. set-up"
    )
    return {"setup_s": setup_s, "run_s": run_s, "loop_ms": loop_step * 1e3, "ratio": ratio}


def bench_build(district: District, repeat: int = 5) -> pp.pandapowerNet:
    """Time build_network: the first call (creates pandapower's empty-net template) and warm."""
    t0 = time.perf_counter()
    net = build_network(district)
    first_s = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        net = build_network(district)
        warm.append(time.perf_counter() - t0)
    print(
        f"build_network: {len(net.bus)} buses, {len(net.line)} lines, {len(net.load)} loads, "
        f"{len(net.sgen)} sgens, {len(net.storage)} storages; first call {first_s * 1e3:.0f} ms, "
        f"then median {np.median(warm) * 1e3:.0f} ms of {repeat}"
    )
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=200, help="runpp loop sample size")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        "versions: "
        + ", ".join(
            f"{p} {metadata.version(p)}"
            for p in ("pandapower", "lightsim2grid", "numba", "simbench")
        )
    )
    # warm-up: numba compiles pandapower's Newton-Raphson on first use (~3 s, once)
    warm = pp.networks.simple_four_bus_system()
    pp.runpp(warm, lightsim2grid=False, numba=True)

    district = load_district(GERA_DISTRICT_FILE)
    index = year_index(2025, "1h", district.site.timezone)
    t0 = time.perf_counter()
    nodes = district_b0_node_p_kw(district, index)
    print(f"Gera schedule B0 (loads, PV, lighting) for 2025: {time.perf_counter() - t0:.2f} s")
    net = bench_build(district)
    bench("Gera reference district", net, nodes, None, args.sample)
    t0 = time.perf_counter()
    checked = check_schedule(district, nodes)
    print(
        f"check_schedule (build + AC year + violations + KPIs): "
        f"{time.perf_counter() - t0:.3f} s, {checked.summary['violations']} violations"
    )

    sb = import_network("1-LV-semiurb4--0-sw")
    p_kw, q_kvar = network_profiles_kw(sb, "1h")
    bench("SimBench 1-LV-semiurb4--0-sw (own profiles, hourly)", sb, p_kw, q_kvar, args.sample)


if __name__ == "__main__":
    main()
