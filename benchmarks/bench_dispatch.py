"""Benchmark of the dispatch optimiser on the Gera district (prints figures, never asserts).

For 1 day, 1 week and 1 year at hourly steps: model size, build, hand-over to
HiGHS, solve, read-back and total; the same model written to MPS and solved by
highspy alone (the floor) and the ratio total / floor; HiGHS's dual simplex
against interior point with and without crossover; the exact aggregation of
identical batteries (and of lighting on the copper plate) against the model
with every battery apart; Pyomo's ``appsi_highs`` interface against the
standard-form hand-over.

Run: ``.venv/bin/python benchmarks/bench_dispatch.py [--quick]`` (``--quick``:
day and week only).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pyomo.environ as pyo

from energy.district import GERA_DISTRICT_FILE, load_district
from energy.models.weather import weather_for_index
from energy.optimisation.dispatch import DispatchInputs, DispatchOptions, build_model
from energy.optimisation.solve import (
    _set_options,
    hand_over,
    new_highs,
    read_solution,
    solution_schedule,
    solve,
)
from energy.scenario import inputs_from_district
from energy.timeindex import make_index


def versions() -> str:
    names = ("pyomo", "highspy", "numpy", "pandas", "scipy")
    return ", ".join(f"{n} {metadata.version(n)}" for n in names)


def balance_residual_kw(inputs: DispatchInputs, model: pyo.ConcreteModel, result: object) -> float:
    """Largest energy-balance error [kW] of the solved schedule (exactness check)."""
    s = solution_schedule(inputs, read_solution(model, inputs, result))  # type: ignore[arg-type]
    lhs = s["p_import_kw"] - s["p_export_kw"]
    rhs = (
        s["load_kw"]
        + s["lighting_kw"]
        + s["p_charge_kw"]
        - s["p_discharge_kw"]
        - s["pv_kw"]
        + s["pv_curtailed_kw"]
    )
    return float(np.abs(lhs - rhs).max())


def floor(model: pyo.ConcreteModel, options: DispatchOptions) -> tuple[float, float, float]:
    """Write the handed-over model as MPS; time highspy alone reading and solving it."""
    hand = hand_over(model)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "dispatch.mps")
        hand.highs.writeModel(path)
        h = new_highs()
        t0 = time.perf_counter()
        h.readModel(path)
        t1 = time.perf_counter()
        _set_options(h, options)
        h.run()
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, float(h.getInfo().objective_function_value)


def row(label: str, *cells: object) -> None:
    print(f"  {label:<34}" + "".join(f"{c!s:>14}" for c in cells))


def bench_horizon(district: object, days: int, methods: list[str], compare: bool) -> None:
    index = make_index("2025-01-01", days, "1h", "Europe/Berlin")
    t0 = time.perf_counter()
    inputs = inputs_from_district(district, index, weather_for_index(index, district.site))  # type: ignore[attr-defined]
    t_inputs = time.perf_counter() - t0
    print(
        f"\n== Gera, {days} day(s) hourly: {len(index)} steps "
        f"(inputs: weather, PV, loads, lighting, tariff {t_inputs:.2f} s)"
    )
    row("", "vars", "rows", "build s", "hand-over s", "solve s", "read s", "total s")
    base = DispatchOptions(method="simplex")
    model = build_model(inputs, base)
    res = solve(model, base)
    tm = res.timings_s
    total = tm["build"] + tm["handover"] + tm["solve"] + tm["readback"]
    row(
        "Pyomo -> standard form -> highspy",
        res.n_variables,
        res.n_constraints,
        f"{tm['build']:.3f}",
        f"{tm['handover']:.3f}",
        f"{tm['solve']:.3f}",
        f"{tm['readback']:.3f}",
        f"{total:.3f}",
    )
    t_read, t_solve, obj_floor = floor(model, base)
    row(
        "floor: MPS -> highspy alone",
        "",
        "",
        "",
        f"read {t_read:.3f}",
        f"{t_solve:.3f}",
        "",
        f"{t_read + t_solve:.3f}",
    )
    print(f"  share of build + hand-over in total: {(tm['build'] + tm['handover']) / total:.0%}")
    print(
        f"  ratio total / floor (read + solve): {total / (t_read + t_solve):.2f}; "
        f"total / floor solve only: {total / t_solve:.2f}"
    )
    print(
        f"  objective {res.objective:,.4f} EUR; floor {obj_floor:,.4f} "
        f"(rel. diff {abs(res.objective - obj_floor) / abs(res.objective):.1e})"
    )
    print("  HiGHS methods (same model, objective rel. diff to simplex, max balance error):")
    for method in methods:
        opts = DispatchOptions(method=method)  # type: ignore[arg-type]
        m = build_model(inputs, opts)
        r = solve(m, opts)
        diff = abs(r.objective - res.objective) / abs(res.objective)
        print(
            f"    {method:<18} solve {r.timings_s['solve']:8.3f} s   rel. diff {diff:.1e}   "
            f"balance error {balance_residual_kw(inputs, m, r):.1e} kW"
        )
    if not compare:
        return
    opts = DispatchOptions(aggregate=False)
    m = build_model(inputs, opts)
    r = solve(m, opts)
    tr = r.timings_s
    total_apart = tr["build"] + tr["handover"] + tr["solve"] + tr["readback"]
    print(
        f"  every battery and lighting group apart: {r.n_variables} vars, "
        f"{r.n_constraints} rows, build {tr['build']:.2f} + hand-over {tr['handover']:.2f} "
        f"+ solve {tr['solve']:.2f} = {total_apart:.2f} s "
        f"(rel. diff {abs(r.objective - res.objective) / abs(res.objective):.1e})"
    )
    m = build_model(inputs, base)
    t0 = time.perf_counter()
    appsi = pyo.SolverFactory("appsi_highs")
    pyo.assert_optimal_termination(appsi.solve(m))
    t_appsi = time.perf_counter() - t0
    print(
        f"  Pyomo appsi_highs (hand-over + solve + load): {t_appsi:.2f} s vs standard form "
        f"{tm['handover'] + tm['solve'] + tm['readback']:.2f} s "
        f"(rel. diff {abs(pyo.value(m.objective) - res.objective) / abs(res.objective):.1e})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="day and week only")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}; {versions()}"
    )
    district = load_district(GERA_DISTRICT_FILE)
    # warm-up: the first hand-over imports scipy.sparse and friends (~1 s, once per process)
    t0 = time.perf_counter()
    warm_index = make_index("2025-01-01", 1, "1h", "Europe/Berlin")
    warm = inputs_from_district(district, warm_index, weather_for_index(warm_index, district.site))
    solve(build_model(warm))
    print(f"warm-up (imports, first hand-over): {time.perf_counter() - t0:.2f} s")
    methods = ["simplex", "ipm", "ipm_no_crossover"]
    bench_horizon(district, 1, methods, compare=True)
    bench_horizon(district, 7, methods, compare=True)
    if not args.quick:
        bench_horizon(district, 365, methods, compare=True)


if __name__ == "__main__":
    main()
