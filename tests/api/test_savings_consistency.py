"""One Gera run, every channel, the same savings with the same signs (issue 10, item 1).

The library run, the API's ``/runs/{id}/results``, ``/runs/{id}/savings`` (JSON
and CSV), ``/compare`` (JSON and CSV), the CLI's ``energy optimise --json``
(and the ``kpis.json`` of its run folder) and ``energy savings --json`` all read
the savings of two June days of the shipped Gera district against B1, B0 and
nothing built (:mod:`tests.api.savings_channels` says where each channel keeps
them). The API run is made by the API's job runner, the CLI's by the CLI, the
library's by ``run_scenario``: the same inputs and the deterministic HiGHS
give the same schedule, so every figure must agree to the digits the CSV
prints.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from energy.cli.main import app as energy_cli
from energy.district import GERA_DISTRICT_FILE, load_district
from energy.scenario import ScenarioOptions, run_scenario
from tests.api.savings_channels import (
    Figures,
    assert_same_figures,
    from_compare_csv,
    from_compare_json,
    from_savings_csv,
    from_savings_json,
    from_savings_record,
    from_savings_report,
)
from tests.api.test_savings_api import real_world

START, DAYS = "2025-06-02", 2
OPTIONS = {"start": START, "days": DAYS, "ac_check": False}


def _cli_json(args: list[str]) -> dict:
    res = CliRunner().invoke(energy_cli, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout[res.stdout.index("{") :])


@pytest.mark.slow
def test_one_gera_run_reads_the_same_in_every_channel(tmp_path: Path) -> None:
    gera = load_district(GERA_DISTRICT_FILE)
    channels: dict[str, Figures] = {}
    library = run_scenario(gera, ScenarioOptions(**OPTIONS))
    channels["library"] = from_savings_record(library.savings)

    with real_world() as real:
        world = real.world
        h = world.h("planner_a")
        run_id = real.run(world.create_district(spec=gera.to_dict(), name="Gera"), options=OPTIONS)
        c = world.client
        results = c.get(f"/runs/{run_id}/results", headers=h).json()
        assert results["headline_baseline"] == "B1"
        channels["/results"] = from_savings_record(results["savings"])
        params = {"period": "horizon"}
        channels["/savings"] = from_savings_json(
            c.get(f"/runs/{run_id}/savings", params=params, headers=h).json()
        )
        csv = c.get(f"/runs/{run_id}/savings", params=params | {"format": "csv"}, headers=h)
        channels["/savings CSV"] = from_savings_csv(csv.text)
        compared = c.get("/compare", params={"runs": str(run_id)}, headers=h).json()
        (column,) = compared["scenarios"]
        channels["/compare"] = from_compare_json(compared, column)
        compared_csv = c.get("/compare", params={"runs": str(run_id), "format": "csv"}, headers=h)
        channels["/compare CSV"] = from_compare_csv(compared_csv.text, column)
        # the whole-system economics appraise the same saving as vs_nothing_built
        economics = compared["economics"][column]
        assert economics["horizon_savings_eur"] == pytest.approx(
            results["savings"]["vs_nothing_built"]["cost_eur"], rel=1e-9
        )

    folder = tmp_path / "run"
    cli = [str(GERA_DISTRICT_FILE), "--start", START, "--days", str(DAYS), "--no-ac-check"]
    optimised = _cli_json(["optimise", *cli, "--json", "--out", str(folder)])
    channels["energy optimise --json"] = from_savings_record(optimised["savings"])
    kpis_file = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    channels["kpis.json"] = from_savings_record(kpis_file["savings"])
    report = _cli_json(["savings", str(folder), "--period", "horizon", "--json"])
    channels["energy savings --json"] = from_savings_report(report)

    assert_same_figures(channels, rel=1e-8)
    # the signs say "better": the optimum costs less and is more self-sufficient than
    # B0 and nothing built, and costs no more than B1 (both are feasible for it)
    figures = channels["library"]
    for comparison in ("B0", "nothing_built"):
        assert figures[(comparison, "cost_eur")] > 0
        assert figures[(comparison, "self_sufficiency_points")] > 0
    assert figures[("B1", "cost_eur")] >= -1e-6
