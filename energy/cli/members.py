"""``energy members RUN_DIR --members members.csv``: a cooperative's members' share of a run.

Reads a run folder (``energy optimise --out``) and a members list (CSV
``member,share``: fractions adding up to 1 or EUR adding up to the
investment; :func:`energy.analysis.cooperative.read_members_csv`) and prints
each member's investment, annual return, NPV, payback and energy per year
(:func:`energy.analysis.cooperative.run_members`). A list whose shares do not
add up is refused with their sum.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from energy.cli._options import JsonOpt, RunDirArg, RunDistrictOpt
from energy.cli._output import friendly_errors, print_json, print_table


def members_command(
    run_dir: RunDirArg,
    members: Annotated[Path, typer.Option("--members", help="CSV with the header member,share")],
    district_file: RunDistrictOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print each member's investment, annual return, NPV, payback and energy of a run."""
    from energy.analysis.cooperative import read_members_csv, run_members
    from energy.report.results import load_run_with_district

    with friendly_errors():
        shares = read_members_csv(members.read_text(encoding="utf-8"))
        result, district = load_run_with_district(run_dir, district_file)
        split = run_members(result, district, shares)
    if as_json:
        print_json(split)
        return
    rows = [
        [
            r["member"],
            100 * r["share_frac"],
            r["investment_eur"],
            r["annual_return_eur"],
            r["npv_eur"],
            "-" if r["payback_simple_years"] is None else f"{r['payback_simple_years']:.1f}",
            r["energy_kwh_per_year"],
        ]
        for r in split["members"]
    ]
    extrapolated = split["extrapolated_from"]
    basis = f"extrapolated from {extrapolated}" if extrapolated else split["annual_basis"]
    name = result.metadata.get("district", {}).get("name", "?")
    print_table(
        f"members of {name} (annual figures: {basis})",
        ["member", "share %", "invested EUR", "return EUR/a", "NPV EUR", "payback a", "PV kWh/a"],
        rows,
        number_format="{:,.0f}",
    )


def register(app: typer.Typer) -> None:
    """Add the ``members`` command to ``app``."""
    app.command("members")(members_command)
