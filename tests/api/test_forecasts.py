"""PV forecasts through the API: clear sky, an uploaded Open-Meteo file, errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.api.conftest import World


def open_meteo(ghi_w_per_m2: float) -> dict:
    """An Open-Meteo response in GMT covering local 2025-06-01 (Europe/Berlin) and more."""
    times = pd.date_range("2025-05-31T20:00", "2025-06-02T02:00", freq="h")
    n = len(times)
    return {
        "latitude": 50.88,
        "longitude": 12.08,
        "timezone": "GMT",
        "utc_offset_seconds": 0,
        "hourly_units": {
            "shortwave_radiation": "W/m²",
            "temperature_2m": "°C",
            "wind_speed_10m": "km/h",
        },
        "hourly": {
            "time": [t.strftime("%Y-%m-%dT%H:%M") for t in times],
            "shortwave_radiation": [ghi_w_per_m2] * n,
            "direct_radiation": [0.0] * n,
            "diffuse_radiation": [ghi_w_per_m2] * n,
            "temperature_2m": [15.0] * n,
            "wind_speed_10m": [7.2] * n,
        },
    }


def test_clear_sky_forecast(world: World) -> None:
    c, h = world.client, world.h("viewer_b")
    district_id = world.create_district(visibility="published")
    r = c.get(f"/districts/{district_id}/forecast?start=2025-06-01&days=2", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["licence"] == "CC-BY-4.0" and body["forecast_source"] == "clearsky"
    assert body["columns"] == ["PV1_p_kw", "total_p_kw"]
    assert len(body["rows"]) == 48
    # 20 kWp, 30 deg south, clear June day at 51 N: about 7 kWh/m2 on the plane
    # x 20 kWp x performance ratio ~0.8 -> roughly 110 kWh; accept 80..170 kWh.
    assert 80.0 < body["e_kwh"]["PV1"] / 2 < 170.0
    midnight = next(row for row in body["rows"] if row["time_local"] == "2025-06-01T00:00:00+02:00")
    assert midnight["total_p_kw"] == 0.0  # the sun is down
    daily = c.get(
        f"/districts/{district_id}/forecast?start=2025-06-01&days=2&aggregate=day"
        "&format=csv&system=PV1",
        headers=h,
    )
    assert daily.text.startswith("# licence: CC-BY-4.0")
    lines = [x for x in daily.text.splitlines() if not x.startswith("#")]
    assert lines[0] == "time_local,time_utc,PV1_e_kwh,total_e_kwh"
    assert float(lines[1].split(",")[2]) == pytest.approx(body["e_kwh"]["PV1"] / 2, rel=0.05)


def test_forecast_from_an_uploaded_file(world: World) -> None:
    c, h = world.client, world.h("planner_a")
    district_id = world.create_district()
    url = f"/districts/{district_id}/forecast?start=2025-06-01&days=1"

    def upload(doc: object, name: str = "forecast.json") -> object:
        files = {"file": (name, json.dumps(doc), "application/json")}
        return c.post(url, files=files, headers=h)

    dark = upload(open_meteo(0.0)).json()
    assert dark["e_kwh"]["PV1"] == 0.0  # no irradiance, no power
    bright = upload(open_meteo(300.0)).json()
    assert bright["forecast_source"] == "uploaded file forecast.json"
    rows = {row["time_local"][11:16]: row["PV1_p_kw"] for row in bright["rows"]}
    assert rows["00:00"] == 0.0 and rows["13:00"] > 2.0  # only while the sun is up
    r = upload({"hourly": {}})
    assert r.status_code == 422 and "time" in r.json()["detail"]
    r = c.post(url, files={"file": ("f.json", "{broken", "application/json")}, headers=h)
    assert r.status_code == 422 and "not valid JSON" in r.json()["detail"]
    r = c.get(f"/districts/{district_id}/forecast?start=2025-06-01&system=NOPE", headers=h)
    assert r.status_code == 422 and "system" in r.json()["detail"]
    r = c.get(f"/districts/{district_id}/forecast?start=2025-06-01&days=30", headers=h)
    assert r.status_code == 422 and "query.days" in r.json()["detail"]
