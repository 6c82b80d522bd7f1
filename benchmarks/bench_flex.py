"""Benchmark of the dispatch with heat pumps and EV charging on the Gera heat/mobility district.

Prints (never asserts), for one horizon at hourly steps (default the year):
model size by block, the inputs (heat demand, COP, sessions), build, hand-over
to HiGHS, solve, read-back and total of one ``optimise()`` call; the same model
written to MPS and solved by highspy alone (the floor, as in
benchmarks/bench_dispatch.py) and the ratio total / floor; the peak resident
memory of the process after the dispatch and after the floor (``ru_maxrss``).
With ``--pareto N`` also the wall time of ``pareto()`` with N points on the
same horizon (the candidates of ``energy pareto``'s defaults: a battery of up
to 2,000 kWh at the substation, up to 500 kWp of PV like the district's
first system), solved with ``--method`` (default simplex), with the HiGHS
time of each point (the targets re-solve from the previous optimal basis,
:func:`energy.studies.pareto.pareto`); ``--no-dispatch`` leaves the dispatch
and the floor out.

Run: ``.venv/bin/python benchmarks/bench_flex.py [--days 365] [--pareto 6] [--method ipm]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from energy.district import DATA_DIR, District, load_district
from energy.optimisation.dispatch import optimise
from energy.optimisation.flex import flex_blocks
from energy.optimisation.model import build_model
from energy.optimisation.options import DispatchOptions
from energy.optimisation.solve import _set_options, hand_over, new_highs
from energy.scenario import ScenarioOptions, scenario_inputs

HEAT_FILE = DATA_DIR / "gera" / "district_heat_mobility.yaml"


def peak_mb() -> float:
    """Peak resident memory of this process so far [MB] (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def floor(inputs: object, options: DispatchOptions) -> tuple[float, float, float]:
    """Hand the model over, write MPS, time highspy alone reading and solving it (one run)."""
    model = build_model(inputs, options, flex_blocks(inputs))  # type: ignore[arg-type]
    hand = hand_over(model)
    matrix = bool(hand.matrix) and hand.n_integers == 0
    del model
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "flex.mps")
        hand.highs.writeModel(path)
        del hand
        h = new_highs()
        t0 = time.perf_counter()
        h.readModel(path)
        t1 = time.perf_counter()
        _set_options(h, options, matrix)  # the same presolve choice
        h.run()
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, float(h.getInfo().objective_function_value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--pareto", type=int, default=0, help="points of a pareto() run")
    parser.add_argument("--method", default="simplex", help="HiGHS method of the pareto() run")
    parser.add_argument("--no-dispatch", action="store_true", help="only the pareto() run")
    args = parser.parse_args()
    district = load_district(HEAT_FILE)
    options = ScenarioOptions(start=dt.date(2025, 1, 1), days=args.days, ac_check=False)
    if not args.no_dispatch:
        dispatch(district, options)
    if args.pareto:
        pareto_run(district, options.model_copy(update={"method": args.method}), args.pareto)


def dispatch(district: District, options: ScenarioOptions) -> None:
    """Time one optimise() call and the highspy floor of its LP; print the figures."""
    t0 = time.perf_counter()
    inputs = scenario_inputs(district, options)
    t_inputs = time.perf_counter() - t0
    flex = inputs.flex
    assert flex is not None
    print(
        f"Gera heat + mobility, {options.days} days hourly: {inputs.n_steps} steps, "
        f"{len(flex.heat_pumps)} heat pumps ({sum(u.store is not None for u in flex.heat_pumps)} "
        f"with a store), {len(flex.ev_groups)} charger groups; inputs {t_inputs:.1f} s; "
        f"peak memory {peak_mb():,.0f} MB"
    )
    base = DispatchOptions(method="simplex")
    t0 = time.perf_counter()
    sol = optimise(inputs, base)
    wall = time.perf_counter() - t0
    r = sol.result
    tm = r.timings_s
    total = tm["build"] + tm["handover"] + tm["solve"] + tm["readback"]
    print(f"  variables {r.n_variables:,}, rows {r.n_constraints:,}, integers {r.n_integers}")
    print(
        f"  build {tm['build']:.2f} s, hand-over {tm['handover']:.2f} s, solve {tm['solve']:.2f} s,"
        f" read-back {tm['readback']:.2f} s, total {total:.2f} s (optimise() wall {wall:.2f} s)"
    )
    print(f"  peak memory after the dispatch {peak_mb():,.0f} MB")
    del sol
    t_read, t_solve, obj = floor(inputs, base)
    print(
        f"  floor (MPS -> highspy alone): read {t_read:.2f} s, solve {t_solve:.2f} s; "
        f"total / floor {total / (t_read + t_solve):.2f}, total / floor solve {total / t_solve:.2f}"
    )
    print(
        f"  objective {r.objective:,.2f} EUR, floor {obj:,.2f} EUR "
        f"(rel. diff {abs(r.objective - obj) / abs(r.objective):.1e}); "
        f"peak memory after the floor {peak_mb():,.0f} MB"
    )


def pareto_run(district: District, options: ScenarioOptions, points: int) -> None:
    """Time pareto() with ``points`` points; print them."""
    from energy.studies.candidates import BatteryCandidate, PVCandidate, SizingSpec
    from energy.studies.pareto import pareto

    spec = SizingSpec(
        battery=BatteryCandidate(kwh_max=2000.0),
        pv=PVCandidate(kwp_max=500.0, like=district.pv[0].id),
    )
    t0 = time.perf_counter()
    front = pareto(district, options, spec, points=points)
    timings = front.metadata["timings_s"]
    solves = ", ".join(f"{s:.1f}" for s in timings["solves_s"])
    print(
        f"  pareto() ({options.method}): {len(front.points)} points in "
        f"{time.perf_counter() - t0:,.1f} s; HiGHS per point [s]: {solves} (the first from "
        "scratch, the targets from the previous basis); the least-import model before them; "
        f"peak memory {peak_mb():,.0f} MB"
    )
    for p in front.points:
        target = "cost optimum" if p["target"] is None else f"target {100 * p['target']:5.2f} %"
        print(
            f"    {target:>15}: self-sufficiency {100 * p['self_sufficiency']:6.2f} %  "
            f"annual cost {p['annual_cost_eur_per_year']:>12,.0f} EUR/a  PV new "
            f"{p['pv_kwp']:6.1f} kWp  battery new {p['battery_kwh']:7.1f} kWh  heat storage "
            f"{p['heat_storage_kwh']:7.1f} kWh"
        )


if __name__ == "__main__":
    main()
