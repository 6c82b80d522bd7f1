"""Members of a cooperative: a two-member case checked by hand, and the members list's errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from energy.analysis.compare import scenario_economics
from energy.analysis.cooperative import member_returns, read_members_csv, run_members
from energy.cli.main import app as energy_cli
from energy.district import GERA_DISTRICT_FILE, load_district
from energy.errors import InputDataError
from energy.report.results import write_outputs
from energy.scenario import ScenarioOptions, run_scenario

#: A project in round numbers: 100,000 EUR invested, 12,000 EUR/a saved, 2,000 EUR/a to run.
PROJECT = {
    "capex_eur": 100_000.0,
    "annual_savings_eur": 12_000.0,
    "opex_eur_per_year": 2_000.0,
    "npv_eur": 30_000.0,
    "payback_simple_years": 10.0,
    "payback_discounted_years": 13.0,
    "annual_basis": "full year",
    "extrapolated_from": None,
}


def test_two_members_by_hand() -> None:
    """Anna puts in 60,000 EUR, Bernd 40,000 EUR of the 100,000 EUR project.

    By hand: net return 12,000 - 2,000 = 10,000 EUR/a; Anna 0.6 x 10,000 =
    6,000 EUR/a, Bernd 4,000 EUR/a, together 10,000; NPV 18,000 and 12,000
    EUR; both earn 10 % a year on their money and are repaid after 10 years;
    of 50,000 kWh/a of PV Anna's part is 30,000 kWh/a, Bernd's 20,000.
    """
    split = member_returns(PROJECT, 50_000.0, {"Anna": 60_000.0, "Bernd": 40_000.0})
    anna, bernd = split["members"]
    assert anna["annual_return_eur"] == pytest.approx(6_000.0)
    assert bernd["annual_return_eur"] == pytest.approx(4_000.0)
    assert split["total"]["annual_return_eur"] == pytest.approx(10_000.0)
    assert (anna["npv_eur"], bernd["npv_eur"]) == pytest.approx((18_000.0, 12_000.0))
    assert anna["return_frac_per_year"] == bernd["return_frac_per_year"] == pytest.approx(0.10)
    assert anna["payback_simple_years"] == bernd["payback_simple_years"] == 10.0
    assert (anna["energy_kwh_per_year"], bernd["energy_kwh_per_year"]) == pytest.approx(
        (30_000.0, 20_000.0)
    )
    assert (anna["investment_eur"], bernd["investment_eur"]) == pytest.approx((60_000.0, 40_000.0))
    # fractions give the same split
    assert member_returns(PROJECT, 50_000.0, {"Anna": 0.6, "Bernd": 0.4})["members"] == [
        anna,
        bernd,
    ]


def test_shares_that_do_not_add_up_are_refused_with_their_sum() -> None:
    with pytest.raises(InputDataError, match=r"add up to 0\.9"):
        member_returns(PROJECT, 1.0, {"Anna": 0.6, "Bernd": 0.3})
    with pytest.raises(InputDataError, match="add up to 90000"):
        member_returns(PROJECT, 1.0, {"Anna": 60_000.0, "Bernd": 30_000.0})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,share\nA,1\n", "header 'member,share'"),
        ("member,share\n", "no member rows"),
        ("member,share\n,0.5\nB,0.5\n", "line 2: member: missing"),
        ("member,share\nA,0.5\nA,0.5\n", "line 3: member: 'A' appears twice"),
        ("member,share\nA,half\n", "line 2: share: 'half' is not a number"),
        ("member,share\nA,-1\n", "line 2: share"),
    ],
)
def test_members_csv_errors_name_the_line_and_field(text: str, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        read_members_csv(text)


def test_members_csv_reads_comments_and_commas_in_names() -> None:
    text = "# our cooperative\nmember,share\nMüller, Anna,0.5\nBürgerenergie Gera eG,0.5\n"
    assert read_members_csv(text) == {"Müller, Anna": 0.5, "Bürgerenergie Gera eG": 0.5}


def test_members_of_a_run_add_up_to_its_economics(tmp_path: Path) -> None:
    gera = load_district(GERA_DISTRICT_FILE)
    result = run_scenario(gera, ScenarioOptions(start="2025-06-02", days=1, ac_check=False))
    economics = scenario_economics(result, gera)
    split = run_members(result, gera, {"Anna": 0.75, "Bernd": 0.25})
    net = economics["annual_savings_eur"] - economics["opex_eur_per_year"]
    assert split["total"]["annual_return_eur"] == pytest.approx(net, rel=1e-12)
    assert split["total"]["npv_eur"] == pytest.approx(economics["npv_eur"], rel=1e-12)
    assert split["extrapolated_from"] == "1 day (2025-06-02..2025-06-02)"
    # the CLI prints the same
    write_outputs(result, tmp_path / "run")
    (tmp_path / "m.csv").write_text("member,share\nAnna,0.75\nBernd,0.25\n")
    args = ["members", str(tmp_path / "run"), "--members", str(tmp_path / "m.csv"), "--json"]
    res = CliRunner().invoke(energy_cli, args)
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)["members"]
    for key in ("annual_return_eur", "npv_eur", "energy_kwh_per_year", "payback_simple_years"):
        assert [m[key] for m in printed] == pytest.approx([m[key] for m in split["members"]])
    (tmp_path / "bad.csv").write_text("member,share\nAnna,0.75\nBernd,0.2\n")
    args[3] = str(tmp_path / "bad.csv")
    res = CliRunner().invoke(energy_cli, args[:-1])
    assert res.exit_code == 1 and "add up to 0.95" in res.output
