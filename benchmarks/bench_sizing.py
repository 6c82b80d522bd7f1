"""Benchmark of capacity sizing on the Gera district (prints figures, never asserts).

For a summer week, a month and a year at hourly steps: the plain dispatch
against the same model with a candidate battery (0..2000 kWh, 0.5 kW/kWh)
and with a candidate battery plus a 0..500 kWp PV system; model size, build,
hand-over, solve and total; the sizing answer (kWh, kWp, total cost, saving);
for the year also HiGHS's interior point against the dual simplex.

Run: ``.venv/bin/python benchmarks/bench_sizing.py [--quick]`` (``--quick``:
week and month only).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from importlib import metadata

from energy.district import GERA_DISTRICT_FILE, District, load_district
from energy.models.weather import weather_for_index
from energy.optimisation.dispatch import optimise
from energy.optimisation.options import DispatchOptions
from energy.scenario import inputs_from_district
from energy.studies.candidates import (
    BatteryCandidate,
    PVCandidate,
    SizingSpec,
    resolve_pv_candidate,
)
from energy.studies.sizing import size_dispatch
from energy.system import DispatchInputs
from energy.timeindex import make_index

HORIZONS = (("week", "2025-07-07", 7), ("month", "2025-07-01", 31), ("year", "2025-01-01", 365))


def versions() -> str:
    names = ("pyomo", "highspy", "numpy", "pandas")
    return ", ".join(f"{n} {metadata.version(n)}" for n in names)


def specs(district: District, inputs: DispatchInputs, weather: object) -> dict[str, SizingSpec]:
    battery = BatteryCandidate(kwh_max=2000.0)
    pv = resolve_pv_candidate(
        district,
        PVCandidate(kwp_max=500.0, like=district.pv[0].id),
        weather,  # type: ignore[arg-type]
    )
    return {
        "battery": SizingSpec(battery=battery),
        "battery+pv": SizingSpec(battery=battery, pv=pv),
    }


def row(label: str, timings: dict[str, float], n_var: int, total_s: float, extra: str) -> None:
    print(
        f"  {label:<22} vars {n_var:>7,}  build {timings['build']:6.2f} s  hand-over "
        f"{timings['handover']:6.2f} s  solve {timings['solve']:6.2f} s  total {total_s:6.2f} s"
        f"  {extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="week and month only")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"packages: {versions()}")
    district = load_district(GERA_DISTRICT_FILE)
    horizons = HORIZONS[:2] if args.quick else HORIZONS
    for name, start, days in horizons:
        t = time.perf_counter()
        index = make_index(start, days, "1h", district.site.timezone)
        weather = weather_for_index(index, district.site)
        inputs = inputs_from_district(district, index, weather)
        print(
            f"\n{name}: {days} days from {start}, {len(index)} steps "
            f"(inputs {time.perf_counter() - t:.2f} s)"
        )
        t = time.perf_counter()
        plain = optimise(inputs)
        plain_s = time.perf_counter() - t
        r = plain.result
        row("plain dispatch", r.timings_s, r.n_variables, plain_s, f"cost {r.objective:,.0f} EUR")
        methods = ("simplex", "ipm") if name == "year" else ("simplex",)
        for label, spec in specs(district, inputs, weather).items():
            for method in methods:
                opts = DispatchOptions(method=method)  # type: ignore[arg-type]
                t = time.perf_counter()
                res = size_dispatch(inputs, spec, opts)
                total_s = time.perf_counter() - t
                caps = res.capacities
                answer = f"battery {caps.battery_kwh:,.0f} kWh"
                if caps.pv_kwp is not None:
                    answer += f", PV {caps.pv_kwp:,.0f} kWp"
                saving = r.objective - res.costs["total_cost_eur"]
                solver = res.metadata["solver"]
                timings = {k.removesuffix("_s"): v for k, v in res.metadata["timings_s"].items()}
                row(
                    f"sized {label} ({method})",
                    timings,
                    solver["variables"],
                    total_s,
                    f"{answer}; total {res.costs['total_cost_eur']:,.0f} EUR, saves "
                    f"{saving:,.0f} EUR; x{total_s / plain_s:.1f} the plain dispatch",
                )


if __name__ == "__main__":
    main()
