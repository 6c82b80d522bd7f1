"""Monthly figures of a finished run: energy cost, saving against B1, self-sufficiency, PV.

An ensemble's members keep them (:mod:`energy.studies.ensemble`) so that the
dashboard can draw P10-P90 bands on its monthly chart.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from energy.kpi import HEADLINE_BASELINE

#: Monthly figures of a member (local calendar months), for the dashboard's bands.
MONTHLY_FIGURES: dict[str, str] = {
    "energy_cost_eur": "EUR",
    f"energy_saving_vs_{HEADLINE_BASELINE}_eur": "EUR",
    "self_sufficiency_pct": "%",
    "pv_yield_kwh": "kWh",
}


def _month_sums(schedule: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Energy cost [EUR], import, consumption and PV [kWh] per local month of a schedule."""
    dt_h = (schedule.index[1] - schedule.index[0]).total_seconds() / 3600.0
    s = schedule
    parts = (
        pd.DataFrame(
            {
                "cost": (s["import_price_eur_per_kwh"] * s["p_import_kw"])
                - (s["feed_in_eur_per_kwh"] * s["p_export_kw"]),
                "imp": s["p_import_kw"],
                "cons": s["load_kw"] + s["lighting_kw"],
                "pv": s["pv_kw"] - s["pv_curtailed_kw"],
            }
        )
        * dt_h
    )
    month = s.index.tz_convert(tz).strftime("%Y-%m")
    return parts.groupby(month).sum()


def monthly_figures(result: Any, tz: str) -> dict[str, dict[str, float]]:
    """Return :data:`MONTHLY_FIGURES` per local month (``YYYY-MM``) of a finished run.

    Energy cost is ``sum(price x import - feed-in x export) x dt`` (without
    battery wear and peak charges, which are horizon figures); the saving
    against B1 is B1's energy cost minus the optimum's in the same month.
    """
    opt = _month_sums(result.schedule, tz)
    b1 = _month_sums(result.baselines[HEADLINE_BASELINE], tz)
    out: dict[str, dict[str, float]] = {}
    for month, row in opt.iterrows():
        out[str(month)] = {
            "energy_cost_eur": float(row["cost"]),
            f"energy_saving_vs_{HEADLINE_BASELINE}_eur": float(b1.loc[month, "cost"] - row["cost"]),
            "self_sufficiency_pct": 100.0 * (1.0 - row["imp"] / row["cons"])
            if row["cons"] > 0
            else math.nan,
            "pv_yield_kwh": float(row["pv"]),
        }
    return out
