r"""Reactive power of loads, street lighting and PV inverters for the AC check.

Every AC check of a run takes reactive power per node from the parts of its
net active power (:func:`node_q_kvar`); the defaults are below, each can be
changed in :class:`ReactivePower` (a run's ``options.reactive``).

Loads (inductive, they consume reactive power): ``q = p tan(arccos cos phi)``
with cos phi by standard load profile (:data:`DEFAULT_LOAD_COS_PHI`):

* households (H0, H25, P25, S25): **0.95 inductive**, the value the
  district's own feeder calculation takes (data/gera/README.md, "Step 2:
  voltage drop along each feeder"; the same as the common LV planning value
  for residential loads);
* commerce and agriculture (G0-G6, G25, L0-L2, L25): **0.90 inductive**, the
  lowest displacement factor a customer installation may run at without
  compensation under VDE-AR-N 4100:2019-04 (TAR Niederspannung, cos phi
  between 0.9 inductive and 0.9 capacitive); planning at the bound is the
  conservative choice for motor and HVAC loads;
* street lighting: **0.95 inductive** (an assumption: LED drivers' data
  sheets give power factors of about 0.9-0.98 at full load);
* batteries: cos phi 1 (their inverters are dispatched for active power only).

PV inverters (VDE-AR-N 4105): generating units absorb reactive power
(under-excited operation, which lowers the voltage rise they cause). The
default is the standard characteristic **cos phi(P)** of VDE-AR-N
4105:2011-08, 5.7.2.4, which many network operators' technical connection
conditions still prescribe: cos phi = 1 up to half the rated active power,
then falling linearly to cos phi_min at rated power, with cos phi_min by the
unit's apparent power ``S = kWp / dc_ac_ratio`` [kVA]:

============================  ===============
apparent power S              cos phi_min
============================  ===============
S <= 3.68 kVA                 1 (no reactive power)
3.68 kVA < S <= 13.8 kVA      0.95 under-excited
S > 13.8 kVA                  0.90 under-excited
============================  ===============

(the 2018-11 edition, 5.7.2, keeps the capability ranges 0.95 up to 4.6 kVA
and 0.90 above, leaving the procedure to the network operator). ``fixed``
runs every system at one cos phi (default 0.95 under-excited; the
``fixed_above_kva`` threshold, default 13.8 kVA, exempts smaller units) and
``unity`` at cos phi 1 (the pre-2011 behaviour).

Sign convention: load convention, + = consumed (inductive load, under-excited
generator); kW and kvar.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from energy.district import District, lighting_node

#: Load cos phi (inductive) by BDEW standard load profile (module docstring).
DEFAULT_LOAD_COS_PHI: dict[str, float] = {
    **dict.fromkeys(("H0", "H25", "P25", "S25"), 0.95),
    **dict.fromkeys(("G0", "G1", "G2", "G3", "G4", "G5", "G6", "G25"), 0.90),
    **dict.fromkeys(("L0", "L1", "L2", "L25"), 0.90),
}
#: Apparent power bands of the cos phi(P) characteristic [kVA] -> cos phi_min.
PV_COS_PHI_BANDS: tuple[tuple[float, float], ...] = ((3.68, 1.0), (13.8, 0.95), (math.inf, 0.90))
#: Share of rated active power up to which the cos phi(P) characteristic keeps cos phi = 1.
PV_CHARACTERISTIC_KNEE = 0.5

PvReactiveMode = Literal["cos_phi_p", "fixed", "unity"]


class ReactivePower(BaseModel):
    """Reactive-power settings of the AC check (module docstring for the defaults).

    Parameters
    ----------
    load_cos_phi
        cos phi (inductive) by load profile, overriding :data:`DEFAULT_LOAD_COS_PHI`
        for the profiles given, e.g. ``{"H0": 0.97}``.
    all_loads_cos_phi
        One cos phi for every load profile (applied before ``load_cos_phi``).
    lighting_cos_phi
        cos phi (inductive) of street lighting.
    pv
        ``cos_phi_p`` (VDE-AR-N 4105 standard characteristic), ``fixed`` or ``unity``.
    pv_fixed_cos_phi
        cos phi (under-excited) of ``fixed``.
    fixed_above_kva
        ``fixed`` applies to units above this apparent power [kVA]; smaller run at 1.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    load_cos_phi: dict[str, float] = Field(default_factory=dict)
    all_loads_cos_phi: float | None = Field(None, gt=0, le=1)
    lighting_cos_phi: float = Field(0.95, gt=0, le=1)
    pv: PvReactiveMode = "cos_phi_p"
    pv_fixed_cos_phi: float = Field(0.95, gt=0, le=1)
    fixed_above_kva: float = Field(13.8, ge=0, le=1e6)

    @field_validator("load_cos_phi")
    @classmethod
    def _known_profiles(cls, value: dict[str, float]) -> dict[str, float]:
        for profile, cos_phi in value.items():
            if profile not in DEFAULT_LOAD_COS_PHI:
                raise ValueError(
                    f"load_cos_phi: {profile!r} is not a load profile; allowed: "
                    f"{', '.join(DEFAULT_LOAD_COS_PHI)}"
                )
            if not 0 < cos_phi <= 1:
                raise ValueError(f"load_cos_phi[{profile!r}]: {cos_phi} must be in (0, 1]")
        return value

    def load_cos_phi_of(self, profile: str) -> float:
        """Return the load cos phi of a profile: its override, the all-loads value, the default."""
        if profile in self.load_cos_phi:
            return self.load_cos_phi[profile]
        if self.all_loads_cos_phi is not None:
            return self.all_loads_cos_phi
        return DEFAULT_LOAD_COS_PHI.get(profile, 0.95)


def tan_phi(cos_phi: float | np.ndarray) -> np.ndarray:
    """tan(arccos(cos phi)) = sqrt(1 - cos^2) / cos, elementwise."""
    c = np.asarray(cos_phi, dtype=float)
    return np.sqrt(np.clip(1.0 - c * c, 0.0, None)) / c


def pv_cos_phi(p_kw: np.ndarray, s_kva: float, settings: ReactivePower) -> np.ndarray:
    """Return the cos phi (under-excited) of a PV unit of ``s_kva`` [kVA] at output ``p_kw``."""
    p = np.clip(np.asarray(p_kw, dtype=float), 0.0, None)
    if settings.pv == "unity":
        return np.ones_like(p)
    if settings.pv == "fixed":
        fixed = settings.pv_fixed_cos_phi if s_kva > settings.fixed_above_kva else 1.0
        return np.full_like(p, fixed)
    cos_min = next(c for limit, c in PV_COS_PHI_BANDS if s_kva <= limit)
    x = np.clip(p / s_kva, 0.0, 1.0) if s_kva > 0 else np.zeros_like(p)
    share = np.clip((x - PV_CHARACTERISTIC_KNEE) / (1.0 - PV_CHARACTERISTIC_KNEE), 0.0, 1.0)
    return 1.0 - (1.0 - cos_min) * share


def pv_q_kvar(p_kw: np.ndarray, s_kva: float, settings: ReactivePower) -> np.ndarray:
    """Reactive power a PV unit absorbs [kvar] (>= 0, load convention) at output ``p_kw``."""
    p = np.clip(np.asarray(p_kw, dtype=float), 0.0, None)
    return p * tan_phi(pv_cos_phi(p, s_kva, settings))


def node_q_kvar(
    district: District,
    nodes: list[str],
    load_kw: pd.DataFrame,
    pv_output_kw: pd.DataFrame,
    lighting_kw: Mapping[str, np.ndarray],
    settings: ReactivePower | None = None,
) -> pd.DataFrame:
    """Reactive power per node [kvar], load convention (+ = consumed).

    Parameters
    ----------
    district
        The district (profiles of its buildings, ratings of its PV, lighting groups).
    nodes
        The node ids of the columns (e.g. ``DispatchInputs.nodes``).
    load_kw
        Building loads [kW], index x building id.
    pv_output_kw
        PV output after curtailment [kW], index x PV system id.
    lighting_kw
        Lighting power [kW] per group id.
    settings
        cos phi of loads, lighting and PV (default :class:`ReactivePower()`).
    """
    cfg = settings or ReactivePower()
    q = pd.DataFrame(0.0, index=load_kw.index, columns=nodes)
    profile = {b.id: b.profile for b in district.buildings}
    for bid in load_kw.columns:
        p = np.clip(load_kw[bid].to_numpy(dtype=float), 0.0, None)
        q[str(bid)] += p * tan_phi(cfg.load_cos_phi_of(profile[str(bid)]))
    for system in district.pv:
        if system.id in pv_output_kw.columns:
            q[system.building] += pv_q_kvar(pv_output_kw[system.id].to_numpy(), system.pac_kw, cfg)
    for gid, p in lighting_kw.items():
        q[lighting_node(gid)] += np.clip(np.asarray(p, dtype=float), 0.0, None) * tan_phi(
            cfg.lighting_cos_phi
        )
    return q
