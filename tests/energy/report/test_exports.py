"""Licence and provenance of exports (energy.report.exports)."""

from __future__ import annotations

from energy.report.exports import export_info


def test_simbench_runs_carry_odbl() -> None:
    info = export_info({"network": {"source": "SimBench 1-LV-semiurb4--0-sw"}})
    assert info["licence"] == "CC-BY-4.0"
    assert any(x.startswith("ODbL-1.0") for x in info["data_licences"])
    assert export_info({"grid": {"violations": 0}})["data_licences"] == []
