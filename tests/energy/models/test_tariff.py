"""Tariff and CO2 series: SMARD reader, import price kinds, feed-in rule, CO2, year mapping.

References are independent of the code under test: the raw text of the SMARD file
parsed with the csv module, values read by hand from that text, published counts of
negative-price hours, and hand calculations written out in comments.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from energy.district import TariffSpec, TouPeriod
from energy.errors import InputDataError
from energy.models.tariff import (
    DEFAULT_DAY_AHEAD_FILE,
    UBA_CO2_G_PER_KWH,
    co2_g_per_kwh,
    day_ahead_eur_per_kwh,
    day_ahead_source,
    feed_in_eur_per_kwh,
    import_price_eur_per_kwh,
    read_smard,
    tariff_series,
    year_mapping,
)
from energy.timeindex import make_index, year_index

BERLIN = "Europe/Berlin"
HEADER = (
    "Datum von;Datum bis;Deutschland/Luxemburg [€/MWh] Originalauflösungen;"
    "Frankreich [€/MWh] Originalauflösungen"
)


@pytest.fixture(scope="module")
def smard_file(data_dir: Path) -> Path:
    return data_dir / DEFAULT_DAY_AHEAD_FILE


@pytest.fixture(scope="module")
def prices(smard_file: Path) -> pd.Series:
    return read_smard(smard_file)


@pytest.fixture(scope="module")
def raw_rows(smard_file: Path) -> list[tuple[str, float | None]]:
    """Independent parse of the raw text: csv module + string replace, no pandas.

    Returns (Datum von, DE-LU price EUR/MWh or None for '-') in file order.
    """
    with smard_file.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        header = next(reader)
        col = next(i for i, h in enumerate(header) if h.startswith("Deutschland/Luxemburg"))
        return [
            (row[0], None if row[col] == "-" else float(row[col].replace(",", ".")))
            for row in reader
        ]


def _write(path: Path, lines: list[str]) -> Path:
    # SMARD writes UTF-8 with a byte-order mark and CRLF line ends.
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return path


# -- SMARD reader on the shipped file ----------------------------------------
def test_smard_full_file_shape(prices: pd.Series) -> None:
    # 2023 has 8760 h, 2024 (leap year) 8784 h: 8760 + 8784 = 17,544 hourly values.
    assert len(prices) == 17_544
    assert str(prices.index.tz) == "UTC"
    assert prices.index.is_monotonic_increasing
    assert not prices.index.has_duplicates
    assert (np.diff(prices.index.asi8) == pd.Timedelta("1h").value).all()
    assert not prices.isna().any()
    # First row 01.01.2023 00:00 CET = 2022-12-31 23:00 UTC; last 31.12.2024 23:00 CET.
    assert prices.index[0] == pd.Timestamp("2022-12-31 23:00", tz="UTC")
    assert prices.index[-1] == pd.Timestamp("2024-12-31 22:00", tz="UTC")


def test_smard_minimum_is_minus_500_on_2_july_2023(prices: pd.Series) -> None:
    # Raw file line 4383: "02.07.2023 14:00;02.07.2023 15:00;-500,00;..." (local CEST,
    # = 12:00 UTC). -500 EUR/MWh is the harmonised minimum clearing price of SDAC.
    assert prices.min() == -500.0
    assert prices.idxmin() == pd.Timestamp("2023-07-02 12:00", tz="UTC")
    assert prices.idxmin().tz_convert(BERLIN).hour == 14


def test_smard_2023_base_price_matches_published_mean(prices: pd.Series) -> None:
    # FfE, "Deutsche Strompreise an der Börse EPEX Spot im Jahr 2023": annual mean of
    # the German base price 95.2 EUR/MWh (published to 0.1 EUR/MWh -> tolerance 0.05).
    local_year = prices.index.tz_convert(BERLIN).year
    assert prices[local_year == 2023].mean() == pytest.approx(95.2, abs=0.05)


@pytest.mark.parametrize(
    ("day", "hours"),
    [("2023-03-26", 23), ("2023-10-29", 25), ("2024-03-31", 23), ("2024-10-27", 25)],
)
def test_smard_dst_days(prices: pd.Series, day: str, hours: int) -> None:
    local = prices.index.tz_convert(BERLIN)
    assert int((local.strftime("%Y-%m-%d") == day).sum()) == hours


def test_smard_spot_values_read_by_hand(prices: pd.Series) -> None:
    # Read from the raw text (local German time, decimal comma):
    # line 4382 "02.07.2023 13:00;...;-266,92"   13:00 CEST = 11:00 UTC
    # line 2019 "26.03.2023 01:00;...;39,23"     01:00 CET  = 00:00 UTC
    # line 2020 "26.03.2023 03:00;...;40,12"     03:00 CEST = 01:00 UTC (02:00 skipped)
    # line 7227 "29.10.2023 02:00;...;0,01"      first 02:00 is CEST = 00:00 UTC
    # line 7228 "29.10.2023 02:00;...;0,02"      second 02:00 is CET = 01:00 UTC
    # line 17546 "31.12.2024 23:00;...;0,52"     23:00 CET = 22:00 UTC
    expected = {
        "2023-07-02 11:00": -266.92,
        "2023-03-26 00:00": 39.23,
        "2023-03-26 01:00": 40.12,
        "2023-10-29 00:00": 0.01,
        "2023-10-29 01:00": 0.02,
        "2024-12-31 22:00": 0.52,
    }
    for utc, value in expected.items():
        assert prices[pd.Timestamp(utc, tz="UTC")] == pytest.approx(value, abs=1e-9)


def test_smard_matches_independent_parse(prices: pd.Series, raw_rows: list) -> None:
    # Same values in the same order as the csv-module parse of the raw text.
    raw = np.array([v for _, v in raw_rows], dtype=float)
    assert len(raw) == len(prices)
    np.testing.assert_allclose(prices.to_numpy(), raw, rtol=0, atol=1e-9)


def test_smard_unknown_zone_lists_available(smard_file: Path) -> None:
    with pytest.raises(InputDataError, match="Atlantis") as exc:
        read_smard(smard_file, zone="Atlantis")
    assert "Deutschland/Luxemburg" in str(exc.value)
    assert "Frankreich" in str(exc.value)


def test_smard_other_zone(smard_file: Path) -> None:
    # Raw line 2: "01.01.2023 00:00;01.01.2023 01:00;-5,17;13,85;-4,39;..." -> Belgien -4.39.
    belgium = read_smard(smard_file, zone="Belgien")
    assert belgium.iloc[0] == pytest.approx(-4.39, abs=1e-9)


# -- SMARD reader on small files written here -------------------------------
def test_smard_mini_file_bom_comma_dst_missing(tmp_path: Path) -> None:
    # Autumn DST day 29.10.2023: 02:00 appears twice (CEST then CET).
    # '1.234,50' uses the thousands dot; '-' is missing and becomes NaN.
    path = _write(
        tmp_path / "mini.csv",
        [
            HEADER,
            "29.10.2023 00:00;29.10.2023 01:00;10,50;1,00",
            "29.10.2023 01:00;29.10.2023 02:00;-3,25;2,00",
            "29.10.2023 02:00;29.10.2023 03:00;1.234,50;3,00",
            "29.10.2023 02:00;29.10.2023 03:00;-;4,00",
            "29.10.2023 03:00;29.10.2023 04:00;0,00;5,00",
        ],
    )
    s = read_smard(path)
    # 00:00 CEST = 28 Oct 22:00 UTC, then hourly without gap to 03:00 CET = 02:00 UTC.
    expected_index = pd.date_range("2023-10-28 22:00", periods=5, freq="1h", tz="UTC")
    pd.testing.assert_index_equal(s.index, expected_index, check_names=False)
    np.testing.assert_array_equal(s.to_numpy()[[0, 1, 2, 4]], [10.5, -3.25, 1234.5, 0.0])
    assert np.isnan(s.iloc[3])
    assert read_smard(path, zone="Frankreich").tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_smard_missing_value_is_an_error_when_prices_are_needed(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "gap.csv",
        [HEADER]
        + [f"01.06.2023 {h:02d}:00;01.06.2023 {h + 1:02d}:00;5,00;1,00" for h in range(23)]
        + ["01.06.2023 23:00;02.06.2023 00:00;-;1,00"],
    )
    spec = TariffSpec(import_kind="day_ahead", day_ahead_file=str(path))
    index = make_index("2023-06-01", days=1)
    with pytest.raises(InputDataError, match="no value for 1 of 24"):
        day_ahead_eur_per_kwh(spec, index)


def test_smard_spring_dst_mini_file_and_nonexistent_hour(tmp_path: Path) -> None:
    rows = [
        "26.03.2023 00:00;26.03.2023 01:00;1,00;0,00",
        "26.03.2023 01:00;25.03.2023 02:00;2,00;0,00",  # SMARD's odd 'Datum bis' here
        "26.03.2023 03:00;26.03.2023 04:00;3,00;0,00",
    ]
    s = read_smard(_write(tmp_path / "spring.csv", [HEADER, *rows]))
    # 00:00 and 01:00 CET = 23:00, 00:00 UTC; 03:00 CEST = 01:00 UTC: hourly in UTC.
    assert list(s.index.strftime("%d %H")) == ["25 23", "26 00", "26 01"]
    bad = [*rows[:2], "26.03.2023 02:00;26.03.2023 03:00;9,00;0,00", *rows[2:]]
    with pytest.raises(InputDataError, match=r"line 4: local time '26.03.2023 02:00'"):
        read_smard(_write(tmp_path / "bad.csv", [HEADER, *bad]))


def test_smard_gap_and_bad_number_name_the_line(tmp_path: Path) -> None:
    gap = [HEADER, "01.06.2023 00:00;01.06.2023 01:00;1,00;0", "01.06.2023 02:00;x;2,00;0"]
    with pytest.raises(InputDataError, match="lines 2-3"):
        read_smard(_write(tmp_path / "gap.csv", gap))
    dot = [HEADER, "01.06.2023 00:00;01.06.2023 01:00;1.5;0"]
    with pytest.raises(InputDataError, match=r"line 2.*'1\.5' is not a number"):
        read_smard(_write(tmp_path / "dot.csv", dot))


def test_smard_quarter_hour_export(tmp_path: Path) -> None:
    # A 15-min export: 'Datum bis' - 'Datum von' = 15 min gives the step.
    values = ["10,00", "20,00", "30,00", "40,00", "-8,00", "-8,00", "-8,00", "-8,00"]
    lines = [HEADER]
    for i, v in enumerate(values):
        start = pd.Timestamp("2023-06-01 00:00") + i * pd.Timedelta("15min")
        end = start + pd.Timedelta("15min")
        lines.append(f"{start:%d.%m.%Y %H:%M};{end:%d.%m.%Y %H:%M};{v};0")
    path = _write(tmp_path / "q.csv", lines)
    s = read_smard(path)
    assert s.index.freq == pd.Timedelta("15min")
    # Hourly request: interval means (10+20+30+40)/4 = 25 EUR/MWh, then -8 EUR/MWh.
    spec = TariffSpec(import_kind="day_ahead", day_ahead_file=str(path))
    hourly = pd.date_range("2023-05-31 22:00", periods=2, freq="1h", tz="UTC")
    np.testing.assert_allclose(
        day_ahead_eur_per_kwh(spec, hourly).to_numpy(), [0.025, -0.008], atol=1e-12
    )


# -- negative prices and feed-in ------------------------------------------------
def test_negative_hours_and_feed_in(raw_rows: list) -> None:
    # Independent count from the raw text by the local year of 'Datum von'
    # (DD.MM.YYYY: characters 6..9). Published: 301 negative hours in 2023
    # (next-kraftwerke.de energy blog "Risikofaktor Solarspitzen"; FfE, "Deutsche
    # Strompreise an der Börse EPEX Spot im Jahr 2023": "über 300 Stunden") and 457 in
    # 2024 (roedl.de Stadtwerke-Kompass 03/2025: "Für das Jahr 2024 meldete die
    # Bundesnetzagentur 457 Stunden mit negativen Großhandelspreisen").
    negative = {
        year: sum(1 for von, v in raw_rows if von[6:10] == year and v is not None and v < 0)
        for year in ("2023", "2024")
    }
    assert negative == {"2023": 301, "2024": 457}

    spec = TariffSpec()  # flat import, feed-in 0.0794 EUR/kWh, zero when negative
    index = make_index("2023-01-01", days=731)  # both years, 17,544 h
    df = tariff_series(spec, index)
    assert len(df) == len(raw_rows)
    raw = np.array([v for _, v in raw_rows], dtype=float)
    # Same order as the file: 0 exactly where the raw price < 0, the tariff elsewhere.
    expected = np.where(raw < 0, 0.0, 0.0794)
    np.testing.assert_array_equal(df["feed_in_eur_per_kwh"].to_numpy(), expected)
    local_year = df.index.tz_convert(BERLIN).year
    for year, count in ((2023, 301), (2024, 457)):
        assert int((df["feed_in_eur_per_kwh"][local_year == year] == 0).sum()) == count


def test_feed_in_without_negative_rule_has_no_day_ahead() -> None:
    spec = TariffSpec(feed_in_zero_when_negative=False, feed_in_eur_per_kwh=0.0778)
    df = tariff_series(spec, make_index("2025-07-01", days=2))
    assert list(df.columns) == ["import_price_eur_per_kwh", "feed_in_eur_per_kwh", "co2_g_per_kwh"]
    assert (df["feed_in_eur_per_kwh"] == 0.0778).all()
    assert (df["import_price_eur_per_kwh"] == 0.397).all()
    assert feed_in_eur_per_kwh(spec, df.index).eq(0.0778).all()


# -- import price kinds ----------------------------------------------------------
def test_time_of_use_bands_by_hand() -> None:
    spec = TariffSpec(
        import_kind="time_of_use",
        flat_eur_per_kwh=0.40,
        time_of_use=[
            TouPeriod(start_hour=17, end_hour=20, price_eur_per_kwh=0.50, weekdays_only=True),
            TouPeriod(start_hour=22, end_hour=6, price_eur_per_kwh=0.25),  # over midnight
        ],
    )
    index = make_index("2025-01-06", days=7)  # Monday 6 .. Sunday 12 January 2025
    price = import_price_eur_per_kwh(spec, index)
    local = price.copy()
    local.index = price.index.tz_convert(BERLIN).tz_localize(None)
    assert local["2025-01-06 18:00"] == 0.50  # Monday, peak band
    assert local["2025-01-06 20:00"] == 0.40  # end hour is exclusive
    assert local["2025-01-11 18:00"] == 0.40  # Saturday: weekdays-only band off
    assert local["2025-01-06 23:00"] == 0.25
    assert local["2025-01-07 05:00"] == 0.25
    assert local["2025-01-07 06:00"] == 0.40
    # Per week: 5 days x 3 peak h = 15 h at 0.50; 7 days x 8 night h = 56 h at 0.25;
    # 168 - 15 - 56 = 97 h at 0.40. Mean = (15*0.5 + 56*0.25 + 97*0.4)/168.
    assert (price == 0.50).sum() == 15
    assert (price == 0.25).sum() == 56
    assert price.mean() == pytest.approx((15 * 0.5 + 56 * 0.25 + 97 * 0.4) / 168, abs=1e-12)


def test_time_of_use_on_dst_days() -> None:
    # Night band 22-6 local: 8 h on a normal day, 7 h on 30 Mar 2025 (no 02:00),
    # 9 h on 26 Oct 2025 (02:00 twice). Both are Sundays.
    spec = TariffSpec(
        import_kind="time_of_use",
        time_of_use=[TouPeriod(start_hour=22, end_hour=6, price_eur_per_kwh=0.2)],
    )
    for day, hours in (("2025-03-30", 7), ("2025-10-26", 9), ("2025-06-01", 8)):
        price = import_price_eur_per_kwh(spec, make_index(day, days=1))
        assert int((price == 0.2).sum()) == hours


def test_time_of_use_empty_band_is_an_error() -> None:
    spec = TariffSpec(
        import_kind="time_of_use",
        time_of_use=[TouPeriod(start_hour=5, end_hour=5, price_eur_per_kwh=0.2)],
    )
    with pytest.raises(InputDataError, match=r"time_of_use\[0\]"):
        import_price_eur_per_kwh(spec, make_index("2025-01-01"))


def test_day_ahead_end_price_by_hand() -> None:
    spec = TariffSpec(import_kind="day_ahead")  # surcharges 0.22 EUR/kWh, VAT 19 %
    index = make_index("2023-07-02", days=1)
    df = tariff_series(spec, index)
    local = df.index.tz_convert(BERLIN).hour
    # 14:00 local: -500 EUR/MWh -> (-0.500 + 0.22) * 1.19 = -0.3332 EUR/kWh
    # 13:00 local: -266.92 EUR/MWh -> (-0.26692 + 0.22) * 1.19 = -0.0558348 EUR/kWh
    row14 = df[local == 14].iloc[0]
    row13 = df[local == 13].iloc[0]
    assert row14["import_price_eur_per_kwh"] == pytest.approx(-0.3332, abs=1e-12)
    assert row13["import_price_eur_per_kwh"] == pytest.approx(-0.0558348, abs=1e-12)
    assert row14["feed_in_eur_per_kwh"] == 0.0
    # 26.03.2023 19:00 local, raw line 2036: 117,86 EUR/MWh
    # -> (0.11786 + 0.22) * 1.19 = 0.4020534 EUR/kWh
    p = import_price_eur_per_kwh(spec, make_index("2023-03-26", days=1))
    assert p[p.index.tz_convert(BERLIN).hour == 19].iloc[0] == pytest.approx(0.4020534, abs=1e-12)


def test_day_ahead_quarter_hours_hold_the_hour() -> None:
    spec = TariffSpec(import_kind="day_ahead")
    quarter = day_ahead_eur_per_kwh(spec, make_index("2023-07-02", days=1, resolution="15min"))
    assert len(quarter) == 96
    # 14:00-14:45 local all carry the 14:00 hour's -500 EUR/MWh = -0.5 EUR/kWh.
    local = quarter.index.tz_convert(BERLIN).hour
    assert (quarter[local == 14] == -0.5).all()
    assert int((local == 14).sum()) == 4


def test_relative_and_missing_day_ahead_file() -> None:
    spec = TariffSpec(import_kind="day_ahead", day_ahead_file=DEFAULT_DAY_AHEAD_FILE)
    assert len(day_ahead_eur_per_kwh(spec, make_index("2024-02-29"))) == 24
    missing = TariffSpec(import_kind="day_ahead", day_ahead_file="prices/nope.csv")
    with pytest.raises(InputDataError, match=r"tariff\.day_ahead_file"):
        day_ahead_eur_per_kwh(missing, make_index("2024-02-29"))


def test_naive_index_is_rejected() -> None:
    with pytest.raises(InputDataError, match="tz-naive"):
        import_price_eur_per_kwh(TariffSpec(), pd.date_range("2025-01-01", periods=3, freq="h"))


# -- year mapping ------------------------------------------------------------------
def test_year_mapping_2025_from_2024(raw_rows: list, caplog: pytest.LogCaptureFixture) -> None:
    spec = TariffSpec(import_kind="day_ahead")
    index = year_index(2025)
    assert year_mapping(day_ahead_source(spec).index, index) == {2025: 2024}
    with caplog.at_level(logging.INFO, logger="energy.models.tariff"):
        da = day_ahead_eur_per_kwh(spec, index)
    assert "for 2025 taken from 2024" in caplog.text
    assert len(da) == 8760
    assert not da.isna().any()
    # By hand: 2025-01-01 minus 2024-01-01 = 366 days, round(366/7) = 52 weeks.
    # Monday 6 Jan 2025 18:00 local <- Monday 8 Jan 2024 18:00 local (364 days earlier),
    # raw line 8948 "08.01.2024 18:00;...;130,01".
    raw = {von: v for von, v in raw_rows}
    local = da.index.tz_convert(BERLIN).tz_localize(None)
    monday = da[local == pd.Timestamp("2025-01-06 18:00")].iloc[0]
    assert pd.Timestamp("2025-01-06").day_name() == pd.Timestamp("2024-01-08").day_name()
    assert monday == pytest.approx(raw["08.01.2024 18:00"] / 1000, abs=1e-12)
    # Wednesday 31 Dec 2025 minus 52 weeks is 1 Jan 2025, outside 2024, so one more week:
    # Wednesday 25 Dec 2024 12:00, raw line 17390 "25.12.2024 12:00;...;94,41".
    assert pd.Timestamp("2025-12-31").day_name() == pd.Timestamp("2024-12-25").day_name()
    nye = da[local == pd.Timestamp("2025-12-31 12:00")].iloc[0]
    assert nye == pytest.approx(0.09441, abs=1e-12)
    # Every step keeps its weekday and local hour except near DST switches, which fall
    # on the same Sundays in 2024 and 2025 (31 Mar / 30 Mar, 27 Oct / 26 Oct = 52 weeks).
    src = {(von[:10], int(von[11:13])): v for von, v in raw_rows}
    for when in pd.date_range("2025-01-06", "2025-12-21", freq="7D1h"):
        before = when - pd.Timedelta(days=364)
        key = (before.strftime("%d.%m.%Y"), before.hour)
        got = da[local == when]
        assert before.day_name() == when.day_name()
        assert got.iloc[0] == pytest.approx(src[key] / 1000, abs=1e-12)


def test_year_mapping_nearest_year() -> None:
    source = day_ahead_source(TariffSpec()).index
    assert year_mapping(source, year_index(2022)) == {2022: 2023}
    assert year_mapping(source, year_index(2026)) == {2026: 2024}
    span = make_index("2024-12-30", days=4)  # 30 Dec 2024 .. 2 Jan 2025
    assert year_mapping(source, span) == {2024: 2024, 2025: 2024}
    df = tariff_series(TariffSpec(import_kind="day_ahead"), year_index(2026, "15min"))
    assert len(df) == 35_040
    assert not df.isna().any().any()


# -- CO2 ---------------------------------------------------------------------------
def test_co2_constant_defaults() -> None:
    # UBA, CO2 emission factor of the German electricity mix (CO2 only).
    assert UBA_CO2_G_PER_KWH == {2022: 433.0, 2023: 386.0, 2024: 363.0}
    co2 = co2_g_per_kwh(TariffSpec(), make_index("2025-01-01", days=2))
    assert (co2 == 363.0).all()
    assert len(co2) == 48


def test_co2_hourly_file(tmp_path: Path) -> None:
    # Two UTC hours written with 'Z' and with an offset; a 15-min request holds them.
    path = tmp_path / "co2.csv"
    path.write_text(
        "time,co2_g_per_kwh\n2025-01-01T00:00:00+01:00,400.5\n2024-12-31T23:00:00Z,300\n"
        "2025-01-01T00:00:00Z,350\n",
        encoding="utf-8",
    )
    # The first two rows name the same instant: not strictly increasing -> error.
    with pytest.raises(InputDataError, match="strictly increasing"):
        co2_g_per_kwh(TariffSpec(co2_file=str(path)), make_index("2025-01-01", days=1))
    path.write_text(
        "time,co2_g_per_kwh\n"
        + "".join(
            f"{t.isoformat()},{300 + i}\n"
            for i, t in enumerate(pd.date_range("2024-12-31 23:00", periods=24, freq="h", tz="UTC"))
        ),
        encoding="utf-8",
    )
    quarter = co2_g_per_kwh(
        TariffSpec(co2_file=str(path)), make_index("2025-01-01", days=1, resolution="15min")
    )
    # Quarter-hour k lies in hour k // 4, whose value is 300 + k // 4 g/kWh.
    np.testing.assert_array_equal(quarter.to_numpy(), 300 + np.arange(96) // 4)


def test_co2_file_needs_offsets(tmp_path: Path) -> None:
    path = tmp_path / "naive.csv"
    path.write_text("time,co2_g_per_kwh\n2025-01-01T00:00:00,300\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="line 2: time '2025-01-01T00:00:00' has no UTC"):
        co2_g_per_kwh(TariffSpec(co2_file=str(path)), make_index("2025-01-01"))


def test_price_year_takes_that_year_of_the_file(raw_rows: list) -> None:
    # An ensemble's price year: 2025 priced with 2023 (not the nearest, 2024).
    spec = TariffSpec(import_kind="day_ahead", price_year=2023)
    index = year_index(2025)
    assert year_mapping(day_ahead_source(spec).index, index, source_year=2023) == {2025: 2023}
    da = day_ahead_eur_per_kwh(spec, index)
    # By hand: 2025-01-01 minus 2023-01-01 = 731 days, round(731/7) = 104 weeks = 728 days.
    # Monday 6 Jan 2025 18:00 local <- Monday 9 Jan 2023 18:00 local.
    assert pd.Timestamp("2023-01-09").day_name() == "Monday"
    raw = {von: v for von, v in raw_rows}
    local = da.index.tz_convert(BERLIN).tz_localize(None)
    got = da[local == pd.Timestamp("2025-01-06 18:00")].iloc[0]
    assert got == pytest.approx(raw["09.01.2023 18:00"] / 1000, abs=1e-12)
    # 2024 itself is priced with 2023 too when asked for
    assert year_mapping(day_ahead_source(spec).index, year_index(2024), source_year=2023) == {
        2024: 2023
    }
    # unset: the spec's JSON form (and its hash) does not change
    assert "price_year" not in TariffSpec().model_dump()


def test_price_year_outside_the_file_names_the_field() -> None:
    spec = TariffSpec(import_kind="day_ahead", price_year=2019)
    with pytest.raises(InputDataError, match=r"price_year: 2019 is not .* covers 2023, 2024"):
        day_ahead_eur_per_kwh(spec, year_index(2025))
