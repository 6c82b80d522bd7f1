"""Tests of energy.models.weather.solar: the Erbs decomposition at interval midpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from energy.models.weather import decompose_ghi, read_pvgis_tmy
from tests.energy.models.weather.conftest import HOUR


def test_decompose_ghi_erbs_hand_value() -> None:
    # Erbs et al. (1982): for kt = 0.5,
    #   kd = 0.9511 - 0.1604*0.5 + 4.388*0.25 - 16.638*0.125 + 12.336*0.0625 = 0.6592
    index = pd.DatetimeIndex([pd.Timestamp("2025-06-21 11:00", tz="UTC")], freq="h")
    sp = pvlib.solarposition.get_solarposition(index + HOUR / 2, 50.88, 12.08, altitude=200)
    i0 = pvlib.irradiance.get_extra_radiation(index + HOUR / 2)
    ghi = 0.5 * i0.iloc[0] * np.cos(np.radians(sp["zenith"].iloc[0]))  # kt = 0.5
    dni, dhi = decompose_ghi(pd.Series([ghi], index=index), index, 50.88, 12.08, 200)
    assert dhi.iloc[0] / ghi == pytest.approx(0.6592, abs=1e-3)
    assert dhi.iloc[0] + dni.iloc[0] * np.cos(np.radians(sp["zenith"].iloc[0])) == (
        pytest.approx(ghi, rel=1e-6)
    )


def test_decompose_ghi_against_pvgis_split(pvgis_json: Path) -> None:
    # Second method: PVGIS's own beam/diffuse split of its TMY; Erbs's annual diffuse
    # sum should agree within 15 % (typical bias of the Erbs model, Gueymard & Ruiz-Arias
    # 2016, DOI 10.1016/j.rser.2015.09.065)
    frame = read_pvgis_tmy(pvgis_json)[0]
    _, dhi = decompose_ghi(frame["ghi"], frame.index, 45.0, 8.0, 250.0)
    assert dhi.sum() == pytest.approx(frame["dhi"].sum(), rel=0.15)
