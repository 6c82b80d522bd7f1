"""Tests of energy.models.weather.clearsky: Ineichen-Perez at Gera against a hand calculation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest

from energy.errors import InputDataError
from energy.models.weather import TRY_MONTHLY_TEMP_AIR_C, clear_sky
from energy.timeindex import make_index


def test_linke_turbidity_default_matches_gera_values() -> None:
    # data/README.md: Linke turbidity at 50.88 N, 12.08 E, Jan..Dec (pvlib LinkeTurbidities.h5)
    readme = [2.95, 3.11, 3.64, 3.55, 4.29, 4.30, 4.69, 4.75, 4.30, 3.46, 3.05, 2.66]
    mid_month = pd.DatetimeIndex([pd.Timestamp(2025, m, 15, tz="UTC") for m in range(1, 13)])
    tl = pvlib.clearsky.lookup_linke_turbidity(mid_month, 50.88, 12.08, interp_turbidity=False)
    np.testing.assert_allclose(tl, readme, atol=0.011)


def test_clear_sky_noon_21_june_gera() -> None:
    # Hand calculation, Ineichen-Perez (2002) at Gera (h = 200 m) at solar noon, 21 June:
    #   zenith = 50.88 - 23.44 = 27.44 deg, cos z = 0.8875
    #   I0 = 1367 (1 + 0.033 cos(2 pi 172/365)) = 1322 W/m2
    #   AM = 1/cos z = 1.127, absolute AM_a = AM * p/p0 = 1.127 * 0.9765 = 1.100
    #   fh1 = exp(-200/8000) = 0.9753, fh2 = exp(-200/1250) = 0.8521
    #   cg1 = 5.09e-5*200 + 0.868 = 0.8782, cg2 = 3.92e-5*200 + 0.0387 = 0.04654
    #   T_L(June) = 4.30 (data/README.md)
    #   GHI = cg1 I0 cos z exp(-cg2 AM_a (fh1 + fh2 (T_L - 1))) = 849 W/m2
    # Tolerance 2 %: the hand values of I0 and the air mass are rounded.
    index = pd.date_range("2025-06-21 10:00", "2025-06-21 13:00", freq="1min", tz="UTC")
    cs = clear_sky(50.88, 12.08, 200.0, index)
    assert cs["ghi"].max() == pytest.approx(849, rel=0.02)
    noon = cs["ghi"].idxmax()  # solar noon at 12.08 E: 11:12 UTC + 1.7 min (equation of time)
    assert abs((noon - pd.Timestamp("2025-06-21 11:13", tz="UTC")).total_seconds()) < 180
    assert cs["temp_air"].iloc[0] == TRY_MONTHLY_TEMP_AIR_C[5]
    assert (cs["wind_speed"] == 1.0).all()


def test_clear_sky_night_and_parameters() -> None:
    index = make_index("2025-12-21", 1, "15min")
    cs = clear_sky(50.88, 12.08, 200.0, index, linke_turbidity=3.0, temp_air_c=-5.0)
    local = cs.index.tz_convert("Europe/Berlin")
    assert (cs.loc[local.hour < 7, "ghi"] == 0).all()  # sunrise in Gera on 21 Dec ~08:10
    assert (cs["temp_air"] == -5.0).all()
    with pytest.raises(InputDataError, match="12 monthly values"):
        clear_sky(50.88, 12.08, 200.0, index, linke_turbidity=[3.0, 3.0])
