"""Benchmark of the dispatch optimiser on the Gera district (prints figures, never asserts).

For 1 day, 1 week and 1 year at hourly steps: model size, build, hand-over to
HiGHS, solve, read-back and total of an ``optimise()`` call (the median of
three by wall time) and its wall time (with the pre-check, the garbage
collection between phases and the diagnosis); the same model written to MPS
and solved by highspy alone (the floor, medians of three) and the ratio
total / floor; HiGHS's dual simplex against interior point with and without
crossover; the exact aggregation of identical batteries (and of lighting on
the copper plate) against the model with every battery apart; Pyomo's
``appsi_highs`` interface against the standard-form hand-over. First, the
cost of the first optimisation in a new process (imports).

Run: ``.venv/bin/python benchmarks/bench_dispatch.py [--quick]`` (``--quick``:
day and week only).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from statistics import median

import numpy as np
import pyomo.environ as pyo

from energy.district import GERA_DISTRICT_FILE, District, load_district
from energy.models.weather import weather_for_index
from energy.optimisation.dispatch import DispatchSolution, optimise, solution_schedule
from energy.optimisation.model import build_model
from energy.optimisation.options import DispatchOptions
from energy.optimisation.solve import _set_options, hand_over, new_highs, solve
from energy.scenario import inputs_from_district
from energy.system import DispatchInputs
from energy.timeindex import make_index


def versions() -> str:
    names = ("pyomo", "highspy", "numpy", "pandas", "scipy")
    return ", ".join(f"{n} {metadata.version(n)}" for n in names)


#: optimise() runs per horizon (the one with the median wall time is shown) and
#: floor runs (medians).
REPEATS = 3


def balance_residual_kw(inputs: DispatchInputs, solution: DispatchSolution) -> float:
    """Largest energy-balance error [kW] of the solved schedule (exactness check)."""
    s = solution_schedule(inputs, solution)
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
    """Write the handed-over model as MPS; time highspy alone reading and solving it.

    Read and solve times are medians of :data:`REPEATS` runs (HiGHS's own time
    varies by +-10 % from run to run).
    """
    hand = hand_over(model)
    reads, solves = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "dispatch.mps")
        hand.highs.writeModel(path)
        for _ in range(REPEATS):
            h = new_highs()
            t0 = time.perf_counter()
            h.readModel(path)
            t1 = time.perf_counter()
            _set_options(h, options)
            h.run()
            t2 = time.perf_counter()
            reads.append(t1 - t0)
            solves.append(t2 - t1)
    return median(reads), median(solves), float(h.getInfo().objective_function_value)


#: Run in a new interpreter: the cost of the first optimisation of a process.
FIRST_SOLVE = """
import time
t0 = time.perf_counter()
from energy.optimisation.dispatch import optimise
t1 = time.perf_counter()
from energy.district import GERA_DISTRICT_FILE, District, load_district
from energy.models.weather import weather_for_index
from energy.scenario import inputs_from_district
from energy.timeindex import make_index
district = load_district(GERA_DISTRICT_FILE)
index = make_index("2025-01-01", 1, "1h", "Europe/Berlin")
inputs = inputs_from_district(district, index, weather_for_index(index, district.site))
t2 = time.perf_counter()
optimise(inputs)
t3 = time.perf_counter()
optimise(inputs)
t4 = time.perf_counter()
print(f"{t1 - t0:.3f} {t3 - t2:.3f} {t4 - t3:.3f}")
"""


def first_solve_in_a_new_process() -> str:
    """Time importing the optimiser and its first and second one-day run in a new process."""
    out = subprocess.run(
        [sys.executable, "-c", FIRST_SOLVE], capture_output=True, text=True, check=True
    ).stdout.split()
    imp, first, second = (float(x) for x in out[-3:])
    return (
        f"first solve in a new process: import energy.optimisation.dispatch {imp:.2f} s "
        f"(numpy, pandas, pyomo, highspy); Gera 1 day: first optimise() {first:.3f} s, "
        f"second {second:.3f} s"
    )


def row(label: str, *cells: object) -> None:
    print(f"  {label:<34}" + "".join(f"{c!s:>14}" for c in cells))


def bench_horizon(district: District, days: int, methods: list[str], compare: bool) -> None:
    index = make_index("2025-01-01", days, "1h", "Europe/Berlin")
    t0 = time.perf_counter()
    inputs = inputs_from_district(district, index, weather_for_index(index, district.site))
    t_inputs = time.perf_counter() - t0
    print(
        f"\n== Gera, {days} day(s) hourly: {len(index)} steps "
        f"(inputs: weather, PV, loads, lighting, tariff {t_inputs:.2f} s)"
    )
    row("", "vars", "rows", "build s", "hand-over s", "solve s", "read s", "total s", "wall s")
    base = DispatchOptions(method="simplex")
    runs = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        sol = optimise(inputs, base)
        runs.append((time.perf_counter() - t0, sol))
    wall, solution = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    res = solution.result
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
        f"{wall:.3f}",
    )
    t_read, t_solve, obj_floor = floor(build_model(inputs, base), base)
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
        f"total / floor solve only: {total / t_solve:.2f}; wall / floor solve only: "
        f"{wall / t_solve:.2f} (wall: the whole optimise() call, with pre-check, "
        "garbage collection and diagnosis)"
    )
    print(
        f"  objective {res.objective:,.4f} EUR; floor {obj_floor:,.4f} "
        f"(rel. diff {abs(res.objective - obj_floor) / abs(res.objective):.1e})"
    )
    print("  HiGHS methods (same model, objective rel. diff to simplex, max balance error):")
    for method in methods:
        opts = DispatchOptions(method=method)  # type: ignore[arg-type]
        sol = optimise(inputs, opts)
        r = sol.result
        diff = abs(r.objective - res.objective) / abs(res.objective)
        print(
            f"    {method:<18} solve {r.timings_s['solve']:8.3f} s   rel. diff {diff:.1e}   "
            f"balance error {balance_residual_kw(inputs, sol):.1e} kW"
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
    print(first_solve_in_a_new_process())
    district = load_district(GERA_DISTRICT_FILE)
    warm_index = make_index("2025-01-01", 1, "1h", "Europe/Berlin")
    optimise(
        inputs_from_district(district, warm_index, weather_for_index(warm_index, district.site))
    )
    methods = ["simplex", "ipm", "ipm_no_crossover"]
    bench_horizon(district, 1, methods, compare=True)
    bench_horizon(district, 7, methods, compare=True)
    if not args.quick:
        bench_horizon(district, 365, methods, compare=True)


if __name__ == "__main__":
    main()
