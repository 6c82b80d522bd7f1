"""Aggregation of result series to local hours, days and months (hand-computed values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from api.exports import aggregate_frame, energy_name
from energy.timeindex import make_index


def frame(start: str, days: int, resolution: str = "1h") -> pd.DataFrame:
    index = make_index(start, days, resolution)
    n = len(index)
    return pd.DataFrame(
        {
            "p_import_kw": np.full(n, 10.0),
            "soc_kwh": np.arange(n, dtype=float),
            "price_eur_per_kwh": np.where(np.arange(n) % 2 == 0, 0.2, 0.4),
            "cost_eur": np.full(n, 1.5),
        },
        index=index,
    )


def test_day_sums_follow_local_days_across_dst() -> None:
    # 2025-03-30 (spring forward) has 23 local hours, 2025-10-26 (fall back) 25:
    # 10 kW x 23 h = 230 kWh and 10 kW x 25 h = 250 kWh.
    spring = aggregate_frame(frame("2025-03-30", 2), "day", "Europe/Berlin")
    assert spring["e_import_kwh"].tolist() == pytest.approx([230.0, 240.0], abs=1e-9)
    autumn = aggregate_frame(frame("2025-10-26", 1), "day", "Europe/Berlin")
    assert autumn["e_import_kwh"].tolist() == pytest.approx([250.0], abs=1e-9)
    # period labels are local midnights, stored in UTC
    assert spring.index[0] == pd.Timestamp("2025-03-29 23:00", tz="UTC")
    assert spring.index[1] == pd.Timestamp("2025-03-30 22:00", tz="UTC")


def test_rules_by_unit_suffix() -> None:
    data = frame("2025-06-02", 2)
    data["soc_kwh:BAT1"] = data["soc_kwh"]
    data["level:L1"] = 0.5
    out = aggregate_frame(data, "day", "Europe/Berlin")
    assert out["soc_kwh:BAT1"].tolist() == [23.0, 47.0]
    assert out["level:L1"].tolist() == pytest.approx([0.5, 0.5])
    # states: the last value of the day (steps 0..23 -> 23, 24..47 -> 47)
    assert out["soc_kwh"].tolist() == [23.0, 47.0]
    # prices: the mean of alternating 0.2 / 0.4 -> 0.3
    assert out["price_eur_per_kwh"].tolist() == pytest.approx([0.3, 0.3])
    # amounts: 24 x 1.5 EUR = 36 EUR
    assert out["cost_eur"].tolist() == pytest.approx([36.0, 36.0])


def test_quarter_hours_give_the_same_energy_as_hours() -> None:
    # 10 kW for one local day is 240 kWh whatever the step: 96 x 10 x 0.25 = 240.
    out = aggregate_frame(frame("2025-06-02", 1, "15min"), "day", "Europe/Berlin")
    assert out["e_import_kwh"].iloc[0] == pytest.approx(240.0)
    hourly = aggregate_frame(frame("2025-06-02", 1, "15min"), "hour", "Europe/Berlin")
    assert len(hourly) == 24
    assert hourly["e_import_kwh"].tolist() == pytest.approx([10.0] * 24)


def test_month_and_none() -> None:
    # June 2025 has 30 days x 24 h x 10 kW = 7,200 kWh; 2 days of July 480 kWh.
    out = aggregate_frame(frame("2025-06-01", 32), "month", "Europe/Berlin")
    assert out["e_import_kwh"].tolist() == pytest.approx([7200.0, 480.0])
    original = frame("2025-06-01", 1)
    assert aggregate_frame(original, "none", "Europe/Berlin") is original


@pytest.mark.parametrize(
    ("power", "energy"),
    [
        ("p_import_kw", "e_import_kwh"),
        ("PV1_p_kw", "PV1_e_kwh"),
        ("load_kw", "load_kwh"),
        ("p_charge_kw:BAT-Q", "e_charge_kwh:BAT-Q"),
        ("lighting_kw:L-1", "lighting_kwh:L-1"),
    ],
)
def test_energy_names(power: str, energy: str) -> None:
    assert energy_name(power) == energy


def test_export_cache_is_lru_and_returns_fresh_responses() -> None:
    from fastapi.responses import Response

    from api.exports import ExportCache

    cache = ExportCache(max_entries=2)
    cache.put("a", Response(b"A", media_type="text/csv", headers={"X-Licence": "CC-BY-4.0"}))
    cache.put("b", Response(b"B"))
    first = cache.get("a")  # "a" is now the most recently used
    assert first is not None and first.body == b"A"
    assert first.headers["X-Licence"] == "CC-BY-4.0" and first.media_type == "text/csv"
    assert first is not cache.get("a")
    cache.put("c", Response(b"C"))  # evicts "b"
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
