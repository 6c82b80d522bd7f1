"""The grid status table of ``energy optimise`` (:mod:`energy.grid_status`)."""

from __future__ import annotations

from typing import Any

from energy.cli._output import print_table


def _state(ok: bool | None, bad: str = "VIOLATED") -> str:
    return "-" if ok is None else ("ok" if ok else bad)


def grid_status_rows(status: dict[str, Any]) -> list[list[str]]:
    """Rows (check, value, limit, status) of a run's grid status record."""
    rows: list[list[str]] = []
    if status["ac_checked"]:
        rise, band = status["voltage_rise"], status["voltage_band"]
        limit = "-" if rise["limit_pct"] is None else f"{rise['limit_pct']:g} ({rise['rule']})"
        rows.append(["voltage rise [%]", f"{rise['max_pct']:.2f}", limit, _state(rise["ok"])])
        rows.append(
            [
                "voltage [pu]",
                f"{band['min_pu']:.3f} to {band['max_pu']:.3f}",
                f"{band['limit_min_pu']:.2f} to {band['limit_max_pu']:.2f} ({band['rule']})",
                _state(band["ok"]),
            ]
        )
        for key, label in (("trafo_loading", "transformer"), ("line_loading", "line")):
            item = status[key]
            value = "-" if item["max_pct"] != item["max_pct"] else f"{item['max_pct']:.1f}"
            rows.append(
                [f"{label} loading [%]", value, f"{item['limit_pct']:g}", _state(item["ok"])]
            )
        exceeded = status["hosting_capacity_exceeded"]
        rows.append(
            [
                "hosting capacity",
                f"{status['violations']} violations",
                "no generation-caused violation",
                "EXCEEDED" if exceeded else "ok",
            ]
        )
    peak = status["peak_import"]
    rows.append(
        [
            "peak import [kW]",
            f"{peak['optimised_kw']:,.1f}",
            f"B1 {peak['B1_kw']:,.1f}, B0 {peak['B0_kw']:,.1f}",
            f"ABOVE {', '.join(peak['raised_above'])}" if peak["raised_above"] else "ok",
        ]
    )
    if peak["import_cap_kw"] is not None:
        rows.append(
            [
                "import cap [kW]",
                f"{peak['cap_exceeded_steps']} steps above, up to {peak['cap_excess_max_kw']:,.1f}",
                f"{peak['import_cap_kw']:,.1f}",
                _state(peak["cap_exceeded_steps"] == 0, "EXCEEDED"),
            ]
        )
    return rows


def print_grid_status(status: dict[str, Any], title: str = "grid status") -> None:
    """Print the grid status table; without an AC check say so in its title."""
    if not status["ac_checked"]:
        title += " (no AC check: voltages and loadings unknown)"
    print_table(title, ["check", "value", "limit", "status"], grid_status_rows(status))
