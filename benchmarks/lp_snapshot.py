"""Write every LP handed to HiGHS for a fixed set of Gera cases as MPS, with the objectives.

A refactor of the optimiser must hand HiGHS the same LP: run this before and
after the change into two folders and compare them (``diff -r``, or
``--compare OTHER`` which also checks the objectives to 1e-9 relative).

Cases: LP day, week and year; the week with every battery apart (no
aggregation), with MILP lighting (at most 2 changes a night), with a CO2
objective and with a peak charge; a grid-aware week with a planted 1 MWp
overload (every dispatch of the iteration); a sized week (battery and PV
candidates). Each model handed over is written as ``<case>-<k>.mps``.

Run: ``.venv/bin/python benchmarks/lp_snapshot.py --out DIR [--compare OTHER] [--quick]``
(``--quick`` leaves out the year).
"""

from __future__ import annotations

import argparse
import dataclasses
import filecmp
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import energy.optimisation.dispatch as dispatch_module
import energy.optimisation.solve as solve_module
from energy.analysis.economics import EconomicAssumptions
from energy.district import GERA_DISTRICT_FILE, District, PVSystem, load_district
from energy.models.grid import build_network
from energy.models.weather import weather_for_index
from energy.optimisation.dispatch import optimise
from energy.optimisation.grid_aware import grid_aware_dispatch
from energy.optimisation.options import DispatchOptions
from energy.scenario import inputs_from_district
from energy.studies.candidates import BatteryCandidate, SizingSpec
from energy.studies.sizing import size_dispatch
from energy.timeindex import make_index

#: Relative tolerance of the objective comparison.
REL = 1e-9


class Recorder:
    """Wraps the hand-over so that every model given to HiGHS is written as MPS."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.case = ""
        self.count = 0
        self.original = solve_module.hand_over

    def __call__(self, model: Any) -> Any:
        hand = self.original(model)
        hand.highs.writeModel(str(self.out / f"{self.case}-{self.count}.mps"))
        self.count += 1
        return hand

    def start(self, case: str) -> None:
        self.case, self.count = case, 0


def inputs(district: District, start: str, days: int) -> Any:
    index = make_index(start, days, "1h", district.site.timezone)
    return inputs_from_district(district, index, weather_for_index(index, district.site))


def planted(district: District) -> District:
    data = district.model_copy(deep=True)
    data.pv.append(PVSystem(id="PV-PLANT", building="MF01", kwp=1000.0, tilt_deg=30.0))
    return District.model_validate(data.model_dump())


def cases(gera: District, quick: bool) -> dict[str, Callable[[], float]]:
    week = inputs(gera, "2025-06-02", 7)
    out: dict[str, Callable[[], float]] = {
        "day": lambda: optimise(inputs(gera, "2025-01-15", 1)).result.objective,
        "week": lambda: optimise(week).result.objective,
        "week-apart": lambda: optimise(week, DispatchOptions(aggregate=False)).result.objective,
        "week-milp": lambda: (
            optimise(
                week, DispatchOptions(lighting_mode="milp", max_changes_per_night=2, mip_gap=1e-6)
            ).result.objective
        ),
        "week-co2": lambda: optimise(week, DispatchOptions(objective="co2")).result.objective,
        "week-peak": lambda: (
            optimise(dataclasses.replace(week, peak_charge_eur_per_kw=10.0)).result.objective
        ),
    }

    def grid_aware() -> float:
        district = planted(gera)
        result = grid_aware_dispatch(
            inputs(district, "2025-06-02", 7), build_network(district), max_iterations=6
        )
        return float(result.solution.result.objective)

    def sized() -> float:
        spec = SizingSpec(
            battery=BatteryCandidate(kwh_max=1000.0),
            assumptions=EconomicAssumptions(),
        )
        return float(size_dispatch(week, spec).objective)

    out["week-grid-aware"] = grid_aware
    out["week-sized"] = sized
    if not quick:
        out["year"] = lambda: optimise(inputs(gera, "2025-01-01", 365)).result.objective
    return out


def compare(a: Path, b: Path) -> int:
    """Print differences between two snapshot folders; return the number of differences."""
    bad = 0
    names = sorted({p.name for p in a.glob("*.mps")} | {p.name for p in b.glob("*.mps")})
    for name in names:
        pa, pb = a / name, b / name
        if not (pa.exists() and pb.exists()):
            print(f"  {name}: only in {'the first' if pa.exists() else 'the second'} folder")
            bad += 1
        elif not filecmp.cmp(pa, pb, shallow=False):
            print(f"  {name}: MPS differs")
            bad += 1
    oa = json.loads((a / "objectives.json").read_text())
    ob = json.loads((b / "objectives.json").read_text())
    for case in sorted(set(oa) | set(ob)):
        x, y = oa.get(case), ob.get(case)
        if x is None or y is None or not math.isclose(x, y, rel_tol=REL, abs_tol=1e-9):
            print(f"  {case}: objective {x} vs {y}")
            bad += 1
        else:
            print(f"  {case}: objective {x:.6f} identical to {REL:g} relative")
    print(f"{len(names)} MPS files compared, {bad} differences")
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path, default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    recorder = Recorder(args.out)
    solve_module.hand_over = recorder
    dispatch_module.hand_over = recorder  # optimise() hands over itself (to drop the model)
    objectives = {}
    for case, run in cases(load_district(GERA_DISTRICT_FILE), args.quick).items():
        recorder.start(case)
        objectives[case] = run()
        print(f"{case}: {recorder.count} model(s), objective {objectives[case]:.6f}")
    (args.out / "objectives.json").write_text(json.dumps(objectives, indent=2))
    if args.compare is not None:
        sys.exit(1 if compare(args.out, args.compare) else 0)


if __name__ == "__main__":
    main()
