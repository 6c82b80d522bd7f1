"""Helpers for the dispatch tests: tiny inputs and physics re-checked from schedules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from energy.district import Battery
from energy.models.lighting import LightingInputs
from energy.system import DispatchInputs

#: 16:00 UTC = 17:00 CET: messages show local time.
T0 = "2025-01-15 16:00"


def tiny_index(n: int, freq: str = "1h") -> pd.DatetimeIndex:
    return pd.date_range(T0, periods=n, freq=freq, tz="UTC", name="time")


def battery(**kw: Any) -> Battery:
    """A battery with round defaults; override what a case needs."""
    spec: dict[str, Any] = {
        "id": "BAT",
        "at": "substation",
        "capacity_kwh": 10.0,
        "power_kw": 10.0,
        "eta_charge": 1.0,
        "eta_discharge": 1.0,
        "self_discharge_frac_per_h": 0.0,
        "soc_min_frac": 0.0,
        "soc_max_frac": 1.0,
        "soc_initial_frac": 0.0,
    }
    spec.update(kw)
    return Battery(**spec)


def lighting(
    index: pd.DatetimeIndex,
    dark: Sequence[float],
    min_level: Sequence[float],
    a_kw: float = 0.1,
    b_kw: float = 0.9,
    standby_kw: float = 0.01,
    levels: Sequence[float] = (0.5, 0.75, 1.0),
) -> LightingInputs:
    """One lighting group ``G1`` with the given dark fractions and minimum levels."""
    return LightingInputs(
        group_ids=["G1"],
        index=index,
        dt_h=float((index[1] - index[0]) / pd.Timedelta("1h")),
        dark_frac=np.array([dark], dtype=float),
        min_level_frac=np.array([min_level], dtype=float),
        a_kw=np.array([a_kw]),
        b_kw=np.array([b_kw]),
        standby_kw=np.array([standby_kw]),
        discrete_levels=[np.array(levels)],
    )


def tiny_inputs(
    load: Sequence[float],
    price: Sequence[float] | float = 0.3,
    feed_in: Sequence[float] | float = 0.0,
    pv: Sequence[float] | None = None,
    batteries: Sequence[Battery] = (),
    **kw: Any,
) -> DispatchInputs:
    """One building ``H`` with ``load`` [kW], optional PV at H, a substation grid."""
    n = len(load)
    index = kw.pop("index", tiny_index(n))
    pv_kw = pd.DataFrame({"PV": list(pv)} if pv is not None else {}, index=index)
    kw.setdefault("import_limit_kw", 1000.0)
    kw.setdefault("export_limit_kw", 1000.0)
    kw.setdefault("co2_g_per_kwh", 400.0)
    kw.setdefault("terminal_soc", "free")
    return DispatchInputs(
        index=index,
        load_kw=pd.DataFrame({"H": list(load)}, index=index),
        pv_kw=pv_kw,
        pv_node={"PV": "H"} if pv is not None else {},
        import_price_eur_per_kwh=price,
        feed_in_eur_per_kwh=feed_in,
        batteries=tuple(batteries),
        **kw,
    )


def check_physics(inputs: DispatchInputs, schedule: pd.DataFrame, tol: float = 1e-6) -> None:
    """Re-check a schedule's physics from its columns (PyPSA-style), independent of the model.

    Balance per step, exchange limits, SoC recursion and limits per battery,
    curtailment within the available PV.
    """
    s = schedule
    lhs = s["p_import_kw"] - s["p_export_kw"]
    rhs = (
        s["load_kw"]
        + s["lighting_kw"]
        + s["p_charge_kw"]
        - s["p_discharge_kw"]
        - s["pv_kw"]
        + s["pv_curtailed_kw"]
    )
    assert np.abs(lhs - rhs).max() <= tol
    assert s["p_import_kw"].min() >= -tol and s["p_export_kw"].min() >= -tol
    assert s["p_import_kw"].max() <= inputs.import_limit_kw + tol
    assert s["p_export_kw"].max() <= inputs.export_bound_kw + tol
    assert (s["pv_curtailed_kw"] <= s["pv_kw"] + tol).all()
    assert s["pv_curtailed_kw"].min() >= -tol
    dt = inputs.dt_h
    for bat in inputs.batteries:
        ch = s[f"p_charge_kw:{bat.id}"].to_numpy()
        dis = s[f"p_discharge_kw:{bat.id}"].to_numpy()
        soc = s[f"soc_kwh:{bat.id}"].to_numpy()
        assert ch.min() >= -tol and dis.min() >= -tol
        assert max(ch.max(), dis.max()) <= bat.power_kw + tol
        assert soc.min() >= bat.soc_min_frac * bat.capacity_kwh - tol
        assert soc.max() <= bat.soc_max_frac * bat.capacity_kwh + tol
        before = np.concatenate([[bat.soc_initial_frac * bat.capacity_kwh], soc[:-1]])
        expected = (
            before * (1 - bat.self_discharge_frac_per_h) ** dt
            + bat.eta_charge * ch * dt
            - dis * dt / bat.eta_discharge
        )
        assert np.abs(expected - soc).max() <= tol * max(1.0, bat.capacity_kwh)


@pytest.fixture
def physics() -> Any:
    return check_physics
