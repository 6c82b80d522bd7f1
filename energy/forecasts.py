r"""PV and load forecasts of rolling-horizon operation (:func:`energy.operation.operate`).

Forecasts (:data:`FORECASTS`)
-----------------------------
``perfect``
    The truth (the benchmark: it reproduces the full optimum when one window
    covers the period).
``clearsky``
    Clear-sky PV (pvlib Ineichen, :func:`energy.models.weather.clear_sky`)
    scaled by persistence: each PV system's clear-sky output of the window
    times the ratio of its real to its clear-sky energy over the 24 h before
    the window (the clearness of yesterday), clipped to [0, 1.2].
``persistence``
    The 24 h before the window, repeated over the window.
``file``
    PV from a weather forecast file (e.g. an Open-Meteo forecast,
    :func:`energy.models.weather.read_weather`) covering the windows.
``noisy``
    The truth times :math:`(1 + e_t)`, clipped at 0, with an AR(1) error per
    PV system :math:`e_t = \rho e_{t-1} + \sqrt{1-\rho^2}\,\sigma z_t`,
    :math:`z_t \sim N(0, 1)`, started from the stationary distribution at
    each window: mean 0, standard deviation :data:`NOISE_SIGMA` = 0.25 (25 %
    of the hour's output) and lag-1 autocorrelation :data:`NOISE_RHO` = 0.9
    per hour, seeded (``seed`` + window number, numpy's PCG64). The figures are
    an assumption inside the range of day-ahead PV forecast errors of single
    sites reviewed by Antonanzas et al. (2016), Solar Energy 136, 78-111.

Loads: ``profile`` (the BDEW profile, which is the truth in this model) or
``persistence`` (the 24 h before the window, repeated).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from energy.district import District
from energy.models.pv import district_pv_kw
from energy.models.weather import weather_for_index
from energy.system import DispatchInputs

Forecast = Literal["perfect", "clearsky", "persistence", "file", "noisy"]
LoadForecast = Literal["profile", "persistence"]
#: The PV forecasts :func:`energy.operation.operate` knows (module docstring).
FORECASTS: tuple[str, ...] = ("perfect", "clearsky", "persistence", "file", "noisy")
#: Standard deviation of the relative PV error of the ``noisy`` forecast [-].
NOISE_SIGMA = 0.25
#: Lag-1 autocorrelation per hour of the ``noisy`` forecast's error [-].
NOISE_RHO = 0.9
#: Upper clip of the clear-sky persistence factor [-].
CLEARNESS_MAX = 1.2


class ForecastSpec(Protocol):
    """What a :class:`Forecaster` reads of an operation (``energy.operation.OperationSpec``)."""

    @property
    def forecast(self) -> str:
        """PV forecast, one of :data:`FORECASTS`."""

    @property
    def forecast_file(self) -> str | None:
        """Weather forecast file of the ``file`` forecast."""

    @property
    def seed(self) -> int:
        """Seed of the ``noisy`` forecast."""

    @property
    def load_forecast(self) -> str:
        """Load forecast: ``profile`` or ``persistence``."""


def repeat_last_day(frame: pd.DataFrame, a: int, b: int, day: int) -> np.ndarray:
    """Rows ``a-day .. a-1`` of ``frame`` repeated over ``b - a`` rows (persistence)."""
    past = frame.to_numpy()[a - day : a]
    reps = math.ceil((b - a) / day)
    return np.tile(past, (reps, 1))[: b - a]


@dataclass
class Forecaster:
    """PV and load forecasts for the windows of an extended truth (one day before the period)."""

    spec: ForecastSpec
    district: District
    truth: DispatchInputs
    day: int
    clear_pv: pd.DataFrame | None = None
    file_pv: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        index, site = self.truth.index, self.district.site
        if self.spec.forecast == "clearsky":
            self.clear_pv = district_pv_kw(
                self.district, weather_for_index(index, site, "clearsky")
            )
        if self.spec.forecast == "file":
            period = index[self.day :]
            weather = weather_for_index(period, site, self.spec.forecast_file)
            pv = district_pv_kw(self.district, weather)
            head = self.truth.pv_kw.iloc[: self.day] * 0.0
            self.file_pv = pd.concat([head, pv])

    def pv(self, a: int, b: int, window: int) -> pd.DataFrame:
        """PV forecast [kW] for the extended steps ``a .. b-1``."""
        truth = self.truth.pv_kw.iloc[a:b]
        kind = self.spec.forecast
        if kind == "perfect":
            return truth
        if kind == "persistence":
            values = repeat_last_day(self.truth.pv_kw, a, b, self.day)
        elif kind == "clearsky":
            assert self.clear_pv is not None
            real = self.truth.pv_kw.iloc[a - self.day : a].sum()
            clear = self.clear_pv.iloc[a - self.day : a].sum()
            factor = (real / clear.where(clear > 0)).fillna(0.0).clip(0.0, CLEARNESS_MAX)
            values = self.clear_pv.iloc[a:b].to_numpy() * factor.to_numpy()
        elif kind == "file":
            assert self.file_pv is not None
            values = self.file_pv.iloc[a:b].to_numpy()
        else:
            values = truth.to_numpy() * (1.0 + self._noise(b - a, truth.shape[1], window))
        return pd.DataFrame(np.maximum(values, 0.0), index=truth.index, columns=truth.columns)

    def _noise(self, n: int, systems: int, window: int) -> np.ndarray:
        """AR(1) relative errors (module docstring), (n, systems)."""
        rng = np.random.default_rng([self.spec.seed, window])
        e = np.empty((n, systems))
        e[0] = NOISE_SIGMA * rng.standard_normal(systems)
        innovation = math.sqrt(1.0 - NOISE_RHO**2) * NOISE_SIGMA
        for t in range(1, n):
            e[t] = NOISE_RHO * e[t - 1] + innovation * rng.standard_normal(systems)
        return e

    def load(self, a: int, b: int) -> pd.DataFrame:
        """Load forecast [kW] for the extended steps ``a .. b-1``."""
        truth = self.truth.load_kw.iloc[a:b]
        if self.spec.load_forecast == "profile":
            return truth
        values = repeat_last_day(self.truth.load_kw, a, b, self.day)
        return pd.DataFrame(values, index=truth.index, columns=truth.columns)
