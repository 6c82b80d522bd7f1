"""A year-long hourly run of the Gera reference district: wall time and peak memory.

Standing target (developers' brief): under 2 GB peak memory. Prints the phase
timings recorded by :func:`energy.scenario.run_scenario` (inputs, build,
hand-over, solve, baselines, AC check) and the process's peak resident set
size. Runs each resolution in a fresh subprocess so peaks do not mix.

Issue 12 target: end to end within 2.5x of the run's own HiGHS solve time.
Printed twice: ``cold`` is the first run of a fresh process (imports, JIT and
the per-process caches of :mod:`energy.models.cache` filled: what a single
``energy optimise`` pays), ``warm`` a second run in the same process with
another weather year (TRY 2045 mean year), what each further member of an
ensemble or point of a sweep pays in a worker.

Run: ``.venv/bin/python benchmarks/bench_year.py [--resolution 1h|15min]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time


def one_run(resolution: str, weather: str | None = None) -> dict[str, object]:
    """Run the Gera year in this process and return timings and peak RSS [MB]."""
    from energy.district import GERA_DISTRICT_FILE, load_district
    from energy.scenario import ScenarioOptions, run_scenario

    district = load_district(GERA_DISTRICT_FILE)
    options = ScenarioOptions(start="2025-01-01", days=365, resolution=resolution, weather=weather)
    t = time.perf_counter()
    result = run_scenario(district, options)
    wall = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    return {
        "resolution": resolution,
        "steps": len(result.schedule),
        "wall_s": wall,
        "peak_rss_mb": peak_mb,
        "timings_s": result.metadata["timings_s"],
        "solver": result.metadata["solver"]["status"],
        "variables": result.metadata["solver"]["variables"],
        "cost_eur": result.kpis["optimised"]["cost_eur"],
        "grid_violations": (result.grid or {}).get("violations"),
    }


def main() -> None:
    """Print the figures of a year at each requested resolution."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resolution", action="append", choices=["1h", "15min"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        from energy.district import DATA_DIR

        cold = one_run(args.child)
        warm = one_run(args.child, str(DATA_DIR / "weather" / "TRY2045_Chemnitz_region09_Jahr.dat"))
        print(json.dumps({"cold": cold, "warm": warm}))
        return
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}")
    for resolution in args.resolution or ["1h", "15min"]:
        out = subprocess.run(
            [sys.executable, __file__, "--child", resolution],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        both = json.loads(out.strip().splitlines()[-1])
        for name, fig in both.items():
            print(
                f"Gera year at {resolution} ({name}): {fig['steps']} steps, "
                f"{fig['variables']} variables, {fig['solver']}, cost {fig['cost_eur']:,.0f} EUR, "
                f"AC violations {fig['grid_violations']}"
            )
            print(f"  wall {fig['wall_s']:.1f} s, peak RSS {fig['peak_rss_mb']:.0f} MB (< 2048)")
            timings = fig["timings_s"]
            phases = ", ".join(f"{k} {v:.2f}" for k, v in timings.items())
            print(f"  phases [s]: {phases}")
            ratio = timings["total_s"] / timings["solve_s"]
            print(f"  end to end / HiGHS solve = {ratio:.2f}x (target <= 2.5x)")


if __name__ == "__main__":
    main()
