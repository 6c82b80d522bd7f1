"""Time axes: whole local days, DST, UTC labels at interval start."""

from __future__ import annotations

import pandas as pd
import pytest

from energy.errors import InputDataError
from energy.timeindex import make_index, require_utc_index, step_hours, year_index


def test_year_has_8760_or_8784_hours() -> None:
    assert len(year_index(2025)) == 8760
    assert len(year_index(2024)) == 8784
    assert len(year_index(2025, "15min")) == 8760 * 4
    # 1 Jan 2025 00:00 in Berlin (CET, UTC+1) is 31 Dec 2024 23:00 UTC.
    assert year_index(2025)[0] == pd.Timestamp("2024-12-31 23:00", tz="UTC")


@pytest.mark.parametrize(
    ("day", "hours"), [("2025-03-30", 23), ("2025-10-26", 25), ("2025-06-01", 24)]
)
def test_dst_days(day: str, hours: int) -> None:
    assert len(make_index(day, 1, "1h")) == hours
    assert len(make_index(day, 1, "15min")) == hours * 4


def test_naive_index_is_refused() -> None:
    with pytest.raises(InputDataError, match="tz-naive"):
        require_utc_index(pd.date_range("2025-01-01", periods=3, freq="h"))


def test_step_hours() -> None:
    assert step_hours(make_index("2025-01-01", 1, "15min")) == 0.25
    irregular = pd.DatetimeIndex(
        ["2025-01-01 00:00", "2025-01-01 01:00", "2025-01-01 03:00"], tz="UTC"
    )
    with pytest.raises(InputDataError, match="irregular"):
        step_hours(irregular)


def test_bad_resolution_and_days() -> None:
    with pytest.raises(InputDataError, match="resolution"):
        make_index("2025-01-01", 1, "7min")
    with pytest.raises(InputDataError, match="days"):
        make_index("2025-01-01", 0)
