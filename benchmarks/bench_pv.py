"""Time a PV year for the Gera reference district at 1 h and 15 min; print figures.

Run: ``.venv/bin/python benchmarks/bench_pv.py``. Prints the median of 3 runs of
(a) the weather for the year (DWD TRY read, mapped and aligned) and (b) the AC
power of all PV systems (one solar position, one transposition per orientation).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import pandas as pd

from energy.district import GERA_DISTRICT_FILE, load_district
from energy.models.pv import district_pv_kw
from energy.models.weather import weather_for_index
from energy.timeindex import step_hours, year_index


def median_s(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    district = load_district(GERA_DISTRICT_FILE)
    orientations = {(p.tilt_deg, p.azimuth_deg, p.albedo) for p in district.pv}
    print(
        f"Gera district: {len(district.pv)} PV systems, {district.total_kwp:.1f} kWp, "
        f"{len(orientations)} orientations"
    )
    for resolution in ("1h", "15min"):
        index = year_index(2025, resolution, district.site.timezone)
        t_weather, weather = median_s(lambda index=index: weather_for_index(index, district.site))
        assert isinstance(weather, pd.DataFrame)
        t_pv, p_kw = median_s(lambda weather=weather: district_pv_kw(district, weather))
        assert isinstance(p_kw, pd.DataFrame)
        e_mwh = float(p_kw.to_numpy().sum()) * step_hours(index) / 1000
        print(
            f"{resolution:>6}: {len(index):6d} steps  weather {t_weather:6.3f} s  "
            f"PV {t_pv:6.3f} s  total {t_weather + t_pv:6.3f} s  "
            f"({e_mwh:.1f} MWh, {e_mwh * 1000 / district.total_kwp:.0f} kWh/kWp)"
        )


if __name__ == "__main__":
    main()
