"""Small CLI answers (issue 10, item 10): JSON errors, GeoJSON on stdout, uncut piped tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from energy.cli._output import print_table
from energy.cli.main import app
from energy.district import GERA_DISTRICT_FILE, load_district


def test_validate_json_prints_each_problem_on_stdout(tmp_path: Path) -> None:
    spec = load_district(GERA_DISTRICT_FILE).to_dict()
    spec["buildings"][2]["annual_kwh"] = -5
    spec["grid"]["transformer"]["rating_kva"] = "big"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(spec), encoding="utf-8")
    res = CliRunner().invoke(app, ["district", "validate", str(bad), "--json"])
    assert res.exit_code == 1
    body = json.loads(res.stdout)
    assert body["valid"] is False and body["file"] == str(bad)
    by_field = {e["field"]: e for e in body["errors"]}
    assert set(by_field) == {"buildings[2].annual_kwh", "grid.transformer.rating_kva"}
    assert by_field["buildings[2].annual_kwh"]["value"] == -5
    assert "greater than or equal to 0" in by_field["buildings[2].annual_kwh"]["message"]
    assert by_field["grid.transformer.rating_kva"]["value"] == "big"
    missing = CliRunner().invoke(app, ["district", "validate", str(tmp_path / "no.yaml"), "--json"])
    assert missing.exit_code == 1
    (error,) = json.loads(missing.stdout)["errors"]
    assert error["field"] == "file" and "file not found" in error["message"]
    good = CliRunner().invoke(app, ["district", "validate", str(GERA_DISTRICT_FILE), "--json"])
    assert good.exit_code == 0 and json.loads(good.stdout)["buildings"] == 47


def test_grid_geojson_json_prints_the_collection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["grid", "geojson", str(GERA_DISTRICT_FILE), "--json"])
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)
    assert printed["type"] == "FeatureCollection" and printed["features"]
    assert not (tmp_path / "grid.geojson").exists()  # --json alone writes no file
    out = tmp_path / "net.geojson"
    res = CliRunner().invoke(
        app, ["grid", "geojson", str(GERA_DISTRICT_FILE), "--json", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(res.stdout) == printed


def test_piped_tables_keep_every_column(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a terminal rich would fold to 80 characters; the table keeps its width."""
    columns = [f"column number {i:02d}" for i in range(12)]
    print_table("a wide table", columns, [[f"value {i:02d} in full" for i in range(12)]])
    text = capsys.readouterr().out
    for i in range(12):
        assert f"column number {i:02d}" in text and f"value {i:02d} in full" in text
    assert max(len(line) for line in text.splitlines()) > 200


def test_optimise_and_size_with_an_autarky_target() -> None:
    """--min-self-sufficiency: met in the run; the sizing notes it; too high is named."""
    base = ["--start", "2025-06-02", "--days", "1", "--json"]
    plain = CliRunner().invoke(app, ["optimise", str(GERA_DISTRICT_FILE), *base, "--no-ac-check"])
    assert plain.exit_code == 0, plain.output
    reached = json.loads(plain.stdout)["kpis"]["optimised"]["self_sufficiency"]
    most = CliRunner().invoke(
        app, ["optimise", str(GERA_DISTRICT_FILE), *base, "--no-ac-check", "--objective", "import"]
    )
    highest = json.loads(most.stdout)["kpis"]["optimised"]["self_sufficiency"]
    assert highest > reached + 1e-3
    target = round((reached + highest) / 2, 4)  # halfway from the cost optimum to the highest
    res = CliRunner().invoke(
        app,
        ["optimise", str(GERA_DISTRICT_FILE), *base, "--no-ac-check",
         "--min-self-sufficiency", str(target)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert body["kpis"]["optimised"]["self_sufficiency"] >= target - 1e-6
    assert (
        body["kpis"]["optimised"]["cost_eur"]
        > json.loads(plain.stdout)["kpis"]["optimised"]["cost_eur"]
    )
    sized = CliRunner().invoke(
        app,
        ["size", str(GERA_DISTRICT_FILE), *base, "--battery-kwh-max", "500",
         "--min-self-sufficiency", str(target)],
    )  # fmt: skip
    assert sized.exit_code == 0, sized.output
    sizing = json.loads(sized.stdout)
    assert sizing["kpis"]["self_sufficiency"] >= target - 1e-6
    assert any(n.startswith("autarky target: at least") for n in sizing["notes"])
    bad = CliRunner().invoke(
        app,
        ["optimise", str(GERA_DISTRICT_FILE), *base, "--no-ac-check",
         "--min-self-sufficiency", "0.999"],
    )  # fmt: skip
    assert bad.exit_code == 1
    assert "min_self_sufficiency: 99.9 % (self_sufficiency) cannot be reached" in bad.output
