"""§14a EnWG grid-fee modules 1, 2 and 3: what each costs a household with a controllable device.

The Bundesnetzagentur's determination BK8-22/010-A (27 November 2023, the
grid-fee counterpart of BK6-22-300) gives a household whose heat pump or
private charging point the grid operator may dim (§14a EnWG) a reduced grid
fee, in one of three modules:

* **Module 1** (flat): a fixed annual reduction of the grid fee; the operator's
  price sheet states it, by the determination's formula
  ``80 EUR + 0.20 x 3,750 kWh x energy price`` (net; "(check)": our reading
  of the formula, see data/gera/README.md);
* **Module 2** (percentage): the device on its own meter pays the grid fee's
  energy price reduced by 60 %; no flat reduction; the second meter has a cost;
* **Module 3** (time-variable, from 1 April 2025, only together with module 1):
  the energy price of the device's consumption varies by time of day in three
  levels (low, standard, high), with the low level at 10-40 % of the standard.

:func:`module_costs` prices one household's horizon under each module, from
its other consumption and the device's, per step; :func:`compare_modules`
does it for every building and says which module is cheapest. Only the grid
fee differs between the modules: energy, levies and VAT are the same and
are left out. The defaults of :class:`GridFee14a` are example figures of a
price sheet: replace them with the local operator's (Gera: the grid
operator's price sheet of the year).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from energy.errors import InputDataError
from energy.timeindex import HOURS_PER_YEAR, require_utc_index, step_hours

#: Module 1's flat reduction: fixed part [EUR/a] and the kWh the energy price is taken for.
MODULE1_FIXED_EUR = 80.0
MODULE1_REFERENCE_KWH = 3750.0
MODULE1_SHARE = 0.20
#: Module 2's reduction of the energy price [-].
MODULE2_REDUCTION = 0.60


@dataclass(frozen=True)
class GridFee14a:
    """A grid operator's §14a fee parameters (module docstring); money net of VAT.

    Attributes
    ----------
    energy_price_eur_per_kwh
        Grid fee energy price (Arbeitspreis) of a household [EUR/kWh].
    module1_eur_per_year
        Module 1's annual reduction [EUR/a]; None: the determination's formula.
    module2_meter_eur_per_year
        Annual cost of module 2's second meter [EUR/a].
    low_hours, high_hours
        Local hours (0..23) of module 3's low and high levels; the rest is standard.
    low_frac, high_frac
        Module 3's low and high energy price as a share of the standard [-].
    """

    energy_price_eur_per_kwh: float = 0.09
    module1_eur_per_year: float | None = None
    module2_meter_eur_per_year: float = 20.0
    low_hours: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
    high_hours: tuple[int, ...] = (17, 18, 19, 20)
    low_frac: float = 0.25
    high_frac: float = 1.8

    def __post_init__(self) -> None:
        if not 0.0 <= self.energy_price_eur_per_kwh <= 2.0:
            raise InputDataError(
                f"energy_price_eur_per_kwh: {self.energy_price_eur_per_kwh} is not allowed; "
                "it must lie in 0..2 EUR/kWh"
            )
        if not 0.10 <= self.low_frac <= 0.40:
            raise InputDataError(
                f"low_frac: {self.low_frac} is not allowed; module 3's low level is 10-40 % "
                "of the standard (BK8-22/010-A)"
            )
        if set(self.low_hours) & set(self.high_hours) or not all(
            0 <= h <= 23 for h in (*self.low_hours, *self.high_hours)
        ):
            raise InputDataError(
                f"low_hours / high_hours: {self.low_hours} / {self.high_hours} are not allowed; "
                "hours 0..23, no hour in both"
            )

    @property
    def module1_reduction_eur_per_year(self) -> float:
        """Module 1's annual reduction [EUR/a]: given, or 80 + 0.2 x 3,750 kWh x price."""
        if self.module1_eur_per_year is not None:
            return self.module1_eur_per_year
        return MODULE1_FIXED_EUR + MODULE1_SHARE * MODULE1_REFERENCE_KWH * (
            self.energy_price_eur_per_kwh
        )

    def module3_factor(self, index: pd.DatetimeIndex, tz: str) -> np.ndarray:
        """(n,) module 3's price level per step as a share of the standard price [-]."""
        hour = np.asarray(require_utc_index(index).tz_convert(tz).hour)
        factor = np.ones(len(hour))
        factor[np.isin(hour, self.low_hours)] = self.low_frac
        factor[np.isin(hour, self.high_hours)] = self.high_frac
        return factor


def module_costs(
    other_kw: np.ndarray,
    device_kw: np.ndarray,
    index: pd.DatetimeIndex,
    tz: str,
    fee: GridFee14a,
) -> dict[str, float]:
    """Grid fee of one household over the horizon under each module [EUR].

    ``other_kw`` is its consumption without the device, ``device_kw`` the
    controllable device's (heat pump, wallbox), both (n,) interval means on
    ``index``. Flat amounts are charged for the horizon's share of a year.
    Returns ``module1_eur``, ``module2_eur``, ``module3_eur``, ``no_module_eur``
    (the undiscounted fee) and the energies ``e_other_kwh``, ``e_device_kwh``.
    """
    utc = require_utc_index(index)
    dt = step_hours(utc) if len(utc) > 1 else 1.0
    years = len(utc) * dt / HOURS_PER_YEAR
    price = fee.energy_price_eur_per_kwh
    e_other = float(np.sum(other_kw) * dt)
    e_device = float(np.sum(device_kw) * dt)
    flat = fee.module1_reduction_eur_per_year * years
    timed = float(np.sum(np.asarray(device_kw) * fee.module3_factor(utc, tz)) * dt)
    return {
        "e_other_kwh": e_other,
        "e_device_kwh": e_device,
        "no_module_eur": price * (e_other + e_device),
        "module1_eur": price * (e_other + e_device) - flat,
        "module2_eur": price * e_other
        + price * (1.0 - MODULE2_REDUCTION) * e_device
        + fee.module2_meter_eur_per_year * years,
        "module3_eur": price * (e_other + timed) - flat,
    }


def compare_modules(
    other_kw: pd.DataFrame,
    device_kw: Mapping[str, np.ndarray],
    tz: str,
    fee: GridFee14a | None = None,
    households: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Grid fee per building (and per household) under modules 1, 2, 3; the cheapest.

    ``other_kw``: consumption without the controllable devices [kW], one
    column per building, on the index; ``device_kw``: per building the
    controllable devices' power [kW] (its heat pump and charging points).
    With ``households`` (dwellings per building) the EUR columns are also
    given per household (``*_per_household_eur``), the building's figures
    divided evenly. Each building counts as one connection with one
    controllable metering point: module 1's reduction and module 2's meter
    are charged once per building *(check: an operator may grant module 1
    per device)*. Buildings without a device are left out.
    """
    fee = fee or GridFee14a()
    rows = {}
    index = pd.DatetimeIndex(other_kw.index)
    for b, dev in device_kw.items():
        row: dict[str, float | str] = dict(
            module_costs(other_kw[b].to_numpy(), np.asarray(dev), index, tz, fee)
        )
        keys = ("module1_eur", "module2_eur", "module3_eur")
        row["cheapest"] = min(keys, key=lambda k: float(row[k])).removesuffix("_eur")
        n = (households or {}).get(b)
        if n:
            for k in (*keys, "no_module_eur"):
                row[k.replace("_eur", "_per_household_eur")] = float(row[k]) / n
        rows[b] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "building"
    return table
