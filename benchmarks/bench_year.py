"""A year-long hourly run of the Gera reference district: wall time and peak memory.

Standing target (developers' brief): under 2 GB peak memory. Prints the phase
timings recorded by :func:`energy.scenario.run_scenario` (inputs, build,
hand-over, solve, baselines, AC check) and the process's peak resident set
size. Runs each resolution in a fresh subprocess so peaks do not mix.

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


def one_run(resolution: str) -> dict[str, object]:
    """Run the Gera year in this process and return timings and peak RSS [MB]."""
    from energy.district import GERA_DISTRICT_FILE, load_district
    from energy.scenario import ScenarioOptions, run_scenario

    district = load_district(GERA_DISTRICT_FILE)
    options = ScenarioOptions(start="2025-01-01", days=365, resolution=resolution)
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
        print(json.dumps(one_run(args.child)))
        return
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}")
    for resolution in args.resolution or ["1h", "15min"]:
        out = subprocess.run(
            [sys.executable, __file__, "--child", resolution],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        fig = json.loads(out.strip().splitlines()[-1])
        print(
            f"Gera year at {resolution}: {fig['steps']} steps, {fig['variables']} variables, "
            f"{fig['solver']}, cost {fig['cost_eur']:,.0f} EUR, "
            f"AC violations {fig['grid_violations']}"
        )
        print(f"  wall {fig['wall_s']:.1f} s, peak RSS {fig['peak_rss_mb']:.0f} MB (target < 2048)")
        phases = ", ".join(f"{k} {v:.2f}" for k, v in fig["timings_s"].items())  # type: ignore[union-attr]
        print(f"  phases [s]: {phases}")


if __name__ == "__main__":
    main()
