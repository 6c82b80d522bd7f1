"""GET /runs/{id}/report.html and .pdf: the council report of a stored run (issue 14, item 4)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from energy.district import GERA_DISTRICT_FILE, load_district
from tests.api.test_savings_api import real_world

OPTIONS = {"start": "2025-06-02", "days": 2, "ac_check": False}


@pytest.mark.slow
def test_report_of_a_stored_run_in_html_and_pdf(tmp_path: Path) -> None:
    gera = load_district(GERA_DISTRICT_FILE)
    with real_world() as real:
        world = real.world
        h = world.h("planner_a")
        run_id = real.run(world.create_district(spec=gera.to_dict(), name="Gera"), options=OPTIONS)
        results = world.client.get(f"/runs/{run_id}/results", headers=h).json()
        page = world.client.get(f"/runs/{run_id}/report.html", headers=h)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.headers["x-licence"] == "CC-BY-4.0"
        share = round(100 * results["kpis"]["optimised"]["self_sufficiency"])
        assert f"Das Quartier deckt {share} % seines Stroms selbst." in page.text
        assert f"Lauf {run_id} von Szenario" in page.text
        assert "nicht auf ein Jahr hochgerechnet" in page.text  # two days are not a year
        assert "2 Tage (02.06.2025 bis 03.06.2025)" in page.text
        pdf = world.client.get(f"/runs/{run_id}/report.pdf", headers=h)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content[:5] == b"%PDF-"
        # another organisation does not see the private run
        assert (
            world.client.get(f"/runs/{run_id}/report.pdf", headers=world.h("planner_b")).status_code
            == 404
        )
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(pdf.content)
        text = subprocess.run(
            ["pdftotext", str(tmp_path / "r.pdf"), "-"], check=True, capture_output=True, text=True
        ).stdout
        flat = " ".join(text.split())
        assert "Deutscher Wetterdienst" in flat and "SMARD" in flat
