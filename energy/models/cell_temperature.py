r"""PV cell temperature: PVWatts' roof-mount treatment (Fuentes 1987 with INOCT 49 C).

NREL PVWatts v5 (Dobos 2014, PVWatts Version 5 Manual, NREL/TP-6A20-62641,
https://doi.org/10.2172/1158421, section 7) computes the cell temperature
with the heat-balance model of Fuentes (1987, "A Simplified Thermal Model for
Flat-Plate Photovoltaic Arrays", SAND85-0330) and an *installed* nominal
operating cell temperature: INOCT = 45 C for open racks and **49 C for roof
mounts** with restricted air flow behind the modules; module centre 5 m above
ground, wind measured at 9.144 m, emissivity 0.84, absorptance 0.83, module
0.31579 m x 1.2 m (hydraulic diameter), thermal mass 11,000 J/(m2 K), raised
for INOCT above 48 C as Fuentes' roof mounts couple to the roof.

:func:`fuentes_cell_c` is that model, the time-stepping loop of pvlib's
``pvlib.temperature.fuentes`` (a port of Fuentes' FORTRAN, Appendix A)
compiled with numba: the same numbers (tests/energy/models/test_pv.py
compares them to pvlib's to 1e-9 K) about 100x faster, so that a year of
every roof orientation of a district costs milliseconds, not seconds.

Symbols (Fuentes 1987, eq. 3, 4, 7, 8, 22, 24): module temperature
:math:`T_m`, ambient :math:`T_a`, sky :math:`T_{sky} = 0.68 (0.0552
T_a^{1.5}) + 0.32 T_a`, absorbed irradiance :math:`S = \alpha E_{poa}`,
convective, sky and ground heat-transfer coefficients :math:`h_c, h_s, h_g`
[W/(m2 K)], thermal mass :math:`C` [J/(m2 K)]:

.. math::

    T_m^{t} = T_m^{t-1} e^{\lambda} + \frac{(1 - e^{\lambda})(h_c T_a + h_s T_{sky}
      + h_g T_g + S^{t-1} + (S^t - S^{t-1})/\lambda) + S^t - S^{t-1}}{h_c + h_s + h_g},
    \quad \lambda = -\frac{h_c + h_s + h_g}{C} \Delta t

Units: W/m2, C (K inside), m/s, hours.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pandas as pd

from energy.errors import InputDataError
from energy.timeindex import step_hours

#: PVWatts v5 installed nominal operating cell temperature by mount [C] (Dobos 2014).
INOCT_BY_MOUNT: dict[str, float] = {"open_rack": 45.0, "roof": 49.0}
#: PVWatts v5 defaults of the Fuentes model (Dobos 2014; pvlib.temperature.fuentes).
MODULE_HEIGHT_M = 5.0
WIND_HEIGHT_M = 9.144
EMISSIVITY = 0.84
ABSORPTION = 0.83
MODULE_WIDTH_M = 0.31579
MODULE_LENGTH_M = 1.2
BOLTZ = 5.669e-8  # W/(m2 K4), the value of Fuentes' code
CAP0 = 11000.0  # J/(m2 K)


@numba.njit(cache=True)
def _hconv(tave: float, windmod: float, temp_delta: float, xlen: float, sin_tilt: float,
           check_reynold: bool) -> float:  # fmt: skip
    """Convective coefficient [W/(m2 K)]: free, laminar and turbulent (Fuentes 1987)."""
    densair = 0.003484 * 101325.0 / tave
    visair = 0.24237e-6 * tave**0.76 / densair
    condair = 2.1695e-4 * tave**0.84
    reynold = windmod * xlen / visair
    if check_reynold and reynold > 1.2e5:
        hforce = 0.0282 / reynold**0.2 * densair * windmod * 1007 / 0.71**0.4
    else:
        hforce = 0.8600 / reynold**0.5 * densair * windmod * 1007 / 0.71**0.67
    grashof = 9.8 / tave * temp_delta * xlen**3 / visair**2 * sin_tilt
    hfree = 0.21 * (grashof * 0.71) ** 0.32 * condair / xlen
    return (hfree**3 + hforce**3) ** (1 / 3)


@numba.njit(cache=True)
def _step_through(tamb: np.ndarray, sun: np.ndarray, windmod: np.ndarray, tsky: np.ndarray,
                  dt_h: np.ndarray, consts: np.ndarray) -> np.ndarray:  # fmt: skip
    """Return the module temperature [K] of every step (eq. 7, 8; ten fixed-point steps)."""
    convrat, tgrat, cap, xlen, sin_tilt, emiss = consts
    out = np.empty(len(tamb))
    tmod0, sun0 = 293.15, 0.0
    for i in range(len(tamb)):
        tmod = tmod0
        for _ in range(10):
            tave = (tmod + tamb[i]) / 2
            hc = convrat * _hconv(tave, windmod[i], abs(tmod - tamb[i]), xlen, sin_tilt, True)
            hs = emiss * BOLTZ * (tmod**2 + tsky[i] ** 2) * (tmod + tsky[i])
            tground = tamb[i] + tgrat * (tmod - tamb[i])
            hg = emiss * BOLTZ * (tmod**2 + tground**2) * (tmod + tground)
            eigen = -(hc + hs + hg) / cap * dt_h[i] * 3600
            ex = math.exp(eigen) if eigen > -10 else 0.0
            tmod = tmod0 * ex + (
                (1 - ex) * (hc * tamb[i] + hs * tsky[i] + hg * tground + sun0
                            + (sun[i] - sun0) / eigen) + sun[i] - sun0
            ) / (hc + hs + hg)  # fmt: skip
        out[i] = tmod
        tmod0, sun0 = tmod, sun[i]
    return out


def _constants(noct_installed: float, surface_tilt: float) -> np.ndarray:
    """Return the constants at INOCT (convection and ground-temperature ratios, mass)."""
    xlen = 4 * (MODULE_WIDTH_M * MODULE_LENGTH_M) / (2 * (MODULE_WIDTH_M + MODULE_LENGTH_M))
    sin_tilt = math.sin(math.radians(surface_tilt))
    tinoct = noct_installed + 273.15
    hconv = _hconv((tinoct + 293.15) / 2, 1.0, tinoct - 293.15, xlen, sin_tilt, False)
    e, b = EMISSIVITY, BOLTZ
    hground = e * b * (tinoct**2 + 293.15**2) * (tinoct + 293.15)
    backrat = (ABSORPTION * 800.0 - e * b * (tinoct**4 - 282.21**4) - hconv * (tinoct - 293.15)) / (
        (hground + hconv) * (tinoct - 293.15)
    )
    tground = (tinoct**4 - backrat * (tinoct**4 - 293.15**4)) ** 0.25
    tground = min(max(tground, 293.15), tinoct)
    tgrat = (tground - 293.15) / (tinoct - 293.15)
    convrat = (ABSORPTION * 800 - e * b * (2 * tinoct**4 - 282.21**4 - tground**4)) / (
        hconv * (tinoct - 293.15)
    )
    cap = CAP0 * (1 + (tinoct - 321.15) / 12) if tinoct > 321.15 else CAP0
    return np.array([convrat, tgrat, cap, xlen, sin_tilt, e])


def fuentes_cell_c(
    poa_global: pd.Series,
    temp_air: pd.Series,
    wind_speed: pd.Series,
    noct_installed: float,
    surface_tilt: float,
) -> np.ndarray:
    """Cell (module) temperature [C] of the Fuentes model as PVWatts v5 runs it.

    Parameters
    ----------
    poa_global
        Plane-of-array irradiance [W/m2] on a regular time index (interval means).
    temp_air, wind_speed
        Air temperature [C] and wind speed [m/s] (at 9.144 m, PVWatts).
    noct_installed
        INOCT [C]: 49 for roof mounts, 45 for open racks (:data:`INOCT_BY_MOUNT`).
    surface_tilt
        Module tilt [deg] (free convection scales with its sine).
    """
    if not 30.0 < noct_installed < 80.0:
        raise InputDataError(f"noct_installed: {noct_installed} C is not in (30, 80)")
    dt = np.full(len(poa_global), step_hours(pd.DatetimeIndex(poa_global.index)))
    tamb = temp_air.to_numpy(dtype=float) + 273.15
    tsky = 0.68 * (0.0552 * tamb**1.5) + 0.32 * tamb
    windmod = wind_speed.to_numpy(dtype=float) * (MODULE_HEIGHT_M / WIND_HEIGHT_M) ** 0.2 + 1e-4
    sun = poa_global.to_numpy(dtype=float) * ABSORPTION
    consts = _constants(noct_installed, surface_tilt)
    return _step_through(tamb, sun, windmod, tsky, dt, consts) - 273.15
