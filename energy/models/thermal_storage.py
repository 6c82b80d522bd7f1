r"""Thermal storage physics for the dispatch: water tanks and building thermal mass.

Both kinds reduce to one linear store with state ``e_kwh`` in a band and a
loss that is affine in the state,

.. math::

    \frac{de}{dt} = q_{in} - q_{out} - (l_0 + k\, e), \qquad
    e_{min} \le e \le e_{max}

* **Tank** (:class:`energy.district_flex.ThermalTank`): ``e`` is the usable heat
  above ``temp_min_c``, e = C_w (T - T_min) with C_w = V rho c_p [kWh/K]; a
  loss rate UA [W/K] to the surroundings at T_amb gives
  l_0 = UA (T_min - T_amb) and k = UA / C_w (Newton cooling); a loss fraction
  gives l_0 = 0, k = fraction.
* **Building mass** (:class:`energy.district_flex.ThermalMass`): ``e`` is the
  heat stored relative to the set-point, e = C (T_in - T_set); the first-order
  RC model C dT/dt = Q_hp - Q_demand - H (T_in - T_set) gives l_0 = 0,
  k = H / C (time constant tau = C / H), and the comfort band gives
  e_min = C (T_min - T_set) <= 0 <= e_max = C (T_max - T_set). Q_demand is the
  space-heat profile, which holds the building at T_set.

For inputs held constant over a step of dt_h the state equation has the exact
solution :func:`step_coefficients`:
e[t+1] = retention e[t] + gain_h (q_in - q_out - l_0), linear in the step's
powers, as an LP needs.

Water properties at 50 C (IAPWS-95, e.g. the NIST Chemistry WebBook): density
988.0 kg/m3, isobaric heat capacity 4.181 kJ/(kg K), so 1.1475 Wh/(l K).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from energy.district_flex import ThermalMass, ThermalTank
from energy.errors import InputDataError

#: Density of water at 50 C [kg/l] (IAPWS-95).
WATER_DENSITY_KG_PER_L = 0.9880
#: Isobaric specific heat capacity of water at 50 C [kJ/(kg K)] (IAPWS-95).
WATER_CP_KJ_PER_KG_K = 4.181


def water_kwh_per_k(volume_l: float) -> float:
    """Heat capacity of a volume of water [kWh/K]: V rho c_p / 3600.

    >>> round(water_kwh_per_k(1000.0), 4)  # 1,000 l: 988 kg x 4.181 kJ/(kg K) / 3600 s/h
    1.1475
    """
    if volume_l <= 0:
        raise InputDataError(f"volume_l: {volume_l} l is not allowed; it must be > 0 l")
    return volume_l * WATER_DENSITY_KG_PER_L * WATER_CP_KJ_PER_KG_K / 3600.0


@dataclass(frozen=True)
class StorageModel:
    """One thermal store as the dispatch sees it (symbols of the module docstring).

    Attributes
    ----------
    kind
        ``"tank"`` or ``"building_mass"``.
    e_min_kwh, e_max_kwh
        Band of the state [kWh] (a building's lower bound is negative: below set-point).
    e_initial_kwh
        Suggested initial state [kWh]: a tank half full, a building at its set-point.
    loss_kw
        Constant part l_0 of the loss [kW].
    loss_frac_per_h
        Proportional part k of the loss [1/h].
    kwh_per_k
        Heat capacity [kWh/K] that converts the state to a temperature.
    temp_ref_c
        Temperature at e = 0 [C]: the tank's ``temp_min_c``, the building's ``setpoint_c``.
    """

    kind: str
    e_min_kwh: float
    e_max_kwh: float
    e_initial_kwh: float
    loss_kw: float
    loss_frac_per_h: float
    kwh_per_k: float
    temp_ref_c: float

    def temperature_c(self, e_kwh: float) -> float:
        """Temperature of the store at state ``e_kwh`` [C]."""
        return self.temp_ref_c + e_kwh / self.kwh_per_k


def storage_model(storage: ThermalTank | ThermalMass) -> StorageModel:
    """Reduce a tank or a building's thermal mass to a :class:`StorageModel`."""
    if isinstance(storage, ThermalMass):
        c_kwh_per_k = storage.capacitance_kwh_per_k
        return StorageModel(
            kind="building_mass",
            e_min_kwh=c_kwh_per_k * (storage.temp_min_c - storage.setpoint_c),
            e_max_kwh=c_kwh_per_k * (storage.temp_max_c - storage.setpoint_c),
            e_initial_kwh=0.0,
            loss_kw=0.0,
            loss_frac_per_h=storage.conductance_kw_per_k / c_kwh_per_k,
            kwh_per_k=c_kwh_per_k,
            temp_ref_c=storage.setpoint_c,
        )
    band_k = storage.temp_max_c - storage.temp_min_c
    if storage.volume_l is not None:
        c_kwh_per_k = water_kwh_per_k(storage.volume_l)
    else:
        c_kwh_per_k = float(storage.capacity_kwh or 0.0) / band_k
    loss_kw, loss_frac = 0.0, storage.loss_frac_per_h or 0.0
    if storage.loss_w_per_k is not None:
        ua_kw_per_k = storage.loss_w_per_k / 1000.0
        loss_kw = ua_kw_per_k * (storage.temp_min_c - storage.ambient_temp_c)
        loss_frac = ua_kw_per_k / c_kwh_per_k
    e_max = c_kwh_per_k * band_k
    return StorageModel(
        kind="tank",
        e_min_kwh=0.0,
        e_max_kwh=e_max,
        e_initial_kwh=e_max / 2,
        loss_kw=loss_kw,
        loss_frac_per_h=loss_frac,
        kwh_per_k=c_kwh_per_k,
        temp_ref_c=storage.temp_min_c,
    )


def step_coefficients(loss_frac_per_h: float, dt_h: float) -> tuple[float, float]:
    """Exact discretisation of de/dt = u - k e over a step with constant u.

    Returns ``(retention, gain_h)`` with e[t+1] = retention e[t] + gain_h u:
    retention = exp(-k dt), gain_h = (1 - exp(-k dt)) / k (= dt for k = 0).

    Parameters
    ----------
    loss_frac_per_h
        k [1/h], >= 0.
    dt_h
        Step length [h], > 0.
    """
    if loss_frac_per_h < 0 or dt_h <= 0:
        raise InputDataError(
            f"loss_frac_per_h {loss_frac_per_h} 1/h / dt_h {dt_h} h: k must be >= 0 and dt > 0"
        )
    if loss_frac_per_h == 0:
        return 1.0, dt_h
    retention = math.exp(-loss_frac_per_h * dt_h)
    return retention, -math.expm1(-loss_frac_per_h * dt_h) / loss_frac_per_h
