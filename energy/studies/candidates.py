"""What a sizing study may build and what it costs: candidate PV, candidate battery.

:class:`PVCandidate` and :class:`BatteryCandidate` are range-checked on
construction (every error names the field, the value and what is allowed);
:class:`SizingSpec` adds the economic assumptions, prices each candidate per
unit of capacity (:func:`energy.analysis.economics.annual_cost_eur_per_unit`) and
turns the candidates into the model block of
:mod:`energy.optimisation.capacity` (:meth:`SizingSpec.block`). The PV
candidate's AC profile comes from :mod:`energy.models.pv`
(:func:`resolve_pv_candidate`); :func:`built_inputs` and :func:`built_district`
add the candidates at their solved sizes.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError

from energy.analysis.economics import EconomicAssumptions, annual_cost_eur_per_unit
from energy.district import (
    SUBSTATION_NODE,
    Battery,
    District,
    PVSystem,
    district_from_dict,
)
from energy.errors import InputDataError
from energy.models.pv import pv_ac_kw
from energy.optimisation.capacity import Capacities, CapacityBlock, ExtendablePV
from energy.optimisation.layout import StorageCapacity, StorageUnit
from energy.spec_base import format_validation_error
from energy.system import DispatchInputs

#: Power of an added battery per kWh of capacity [kW/kWh] unless given: a 2-hour
#: battery, typical of community storage (the Gera community battery: 500 kWh, 250 kW).
DEFAULT_C_RATE_KW_PER_KWH = 0.5


def _bound(name: str, value: Any, unit: str, upper: float) -> float:
    """Return ``value`` as a float in [0, upper] or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputDataError(f"{name}: {value!r} is not allowed; it must be a number [{unit}]")
    x = float(value)
    if not (math.isfinite(x) and 0.0 <= x <= upper):
        raise InputDataError(
            f"{name}: {value!r} {unit} is not allowed; it must lie in 0..{upper:g}"
        )
    return x


def _check_range(prefix: str, lo: float, hi: float, unit: str) -> None:
    if lo > hi:
        raise InputDataError(
            f"{prefix}_min: {lo:g} {unit} is not allowed; it must not exceed "
            f"{prefix}_max = {hi:g} {unit}"
        )


def _optional_price(name: str, value: float | None, unit: str) -> float | None:
    return None if value is None else _bound(name, value, unit, 1e5)


@dataclass(frozen=True, eq=False)
class PVCandidate:
    """A new PV system whose size the optimiser chooses.

    Parameters
    ----------
    kwp_max
        Upper bound of the size [kWp], e.g. what the roof holds.
    kwp_min
        Lower bound [kWp] (default 0: the optimiser may build nothing).
    id
        Id of the new system (must not exist in the district).
    building
        Building the system sits on (its node); default: the building of
        ``like``.
    like
        Id of an existing PV system whose orientation and PVWatts parameters
        the candidate copies; otherwise ``tilt_deg``, ``azimuth_deg`` and
        ``mount`` with the defaults of :class:`energy.district.PVSystem`.
    tilt_deg, azimuth_deg, mount
        Orientation [deg from horizontal, deg from north] and mounting.
    capex_eur_per_kwp
        Turnkey price [EUR/kWp]; default: the price of the size band of
        ``kwp_max`` in the economic assumptions (published prices are size
        class averages; a warning says when the optimum lands in another band).
    curtailable
        Whether the optimiser may curtail the new system.
    profile_kw_per_kwp
        AC output per kWp [kW/kWp] on the dispatch index. :func:`size`
        computes it with :mod:`energy.models.pv`; give it to use
        :func:`energy.studies.sizing.size_dispatch` on dispatch inputs directly.
    """

    kwp_max: float
    kwp_min: float = 0.0
    id: str = "PV-NEW"
    building: str | None = None
    like: str | None = None
    tilt_deg: float = 30.0
    azimuth_deg: float = 180.0
    mount: Literal["roof", "open_rack"] = "roof"
    capex_eur_per_kwp: float | None = None
    curtailable: bool = True
    profile_kw_per_kwp: pd.Series | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        kmax = _bound("pv.kwp_max", self.kwp_max, "kWp", 1e5)
        kmin = _bound("pv.kwp_min", self.kwp_min, "kWp", 1e5)
        _check_range("pv.kwp", kmin, kmax, "kWp")
        object.__setattr__(self, "kwp_max", kmax)
        object.__setattr__(self, "kwp_min", kmin)
        object.__setattr__(
            self,
            "capex_eur_per_kwp",
            _optional_price("pv.capex_eur_per_kwp", self.capex_eur_per_kwp, "EUR/kWp"),
        )
        if self.building is None and self.like is None:
            raise InputDataError("pv.building: give the building of the new PV system (or like)")
        self.system(1.0)  # validates id, building, orientation and mount

    def system(self, kwp: float, template: PVSystem | None = None) -> PVSystem:
        """Return the candidate as a :class:`~energy.district.PVSystem` of ``kwp`` [kWp].

        ``template`` (the ``like`` system) supplies the orientation and the
        PVWatts parameters.
        """
        base: dict[str, Any] = (
            template.model_dump()
            if template is not None
            else {"tilt_deg": self.tilt_deg, "azimuth_deg": self.azimuth_deg, "mount": self.mount}
        )
        building = self.building or (template.building if template is not None else "unknown")
        base.update(id=self.id, building=building, kwp=kwp, curtailable=self.curtailable)
        try:
            return PVSystem(**base)
        except ValidationError as exc:
            raise InputDataError(f"pv is invalid:\n{format_validation_error(exc)}") from exc


@dataclass(frozen=True)
class BatteryCandidate:
    """A new battery whose capacity (and power) the optimiser chooses.

    Parameters
    ----------
    kwh_max, kwh_min
        Bounds of the usable capacity [kWh].
    id, at
        Id of the new battery and its node (``"substation"`` or a building id).
    power_kw_per_kwh
        Fixed power-to-energy ratio [kW/kWh] (0.5 = a 2-hour battery, typical
        of community storage); ``None`` makes the power a variable of its own
        within ``kw_min`` .. ``kw_max``.
    kw_min, kw_max
        Bounds of the power [kW] when ``power_kw_per_kwh`` is None.
    eta_charge, eta_discharge, self_discharge_frac_per_h, soc_min_frac, soc_max_frac,
    soc_initial_frac, throughput_cost_eur_per_kwh
        As in :class:`energy.district.Battery` (same defaults and ranges); the
        SoC limits and the initial SoC are fractions of the chosen capacity.
    capex_eur_per_kwh
        Installed price per kWh [EUR/kWh]; default the economic assumptions'
        price for the size of ``kwh_max`` (home or community storage).
    capex_eur_per_kw
        Price per kW of power [EUR/kW]; default the assumptions' value (0:
        the per-kWh figures include the inverter).
    """

    kwh_max: float
    kwh_min: float = 0.0
    id: str = "BAT-NEW"
    at: str = SUBSTATION_NODE
    power_kw_per_kwh: float | None = DEFAULT_C_RATE_KW_PER_KWH
    kw_min: float = 0.0
    kw_max: float | None = None
    eta_charge: float = 0.95
    eta_discharge: float = 0.95
    self_discharge_frac_per_h: float = 0.0001
    soc_min_frac: float = 0.05
    soc_max_frac: float = 0.95
    soc_initial_frac: float = 0.5
    throughput_cost_eur_per_kwh: float = 0.0
    capex_eur_per_kwh: float | None = None
    capex_eur_per_kw: float | None = None

    def __post_init__(self) -> None:
        kmax = _bound("battery.kwh_max", self.kwh_max, "kWh", 1e6)
        kmin = _bound("battery.kwh_min", self.kwh_min, "kWh", 1e6)
        _check_range("battery.kwh", kmin, kmax, "kWh")
        object.__setattr__(self, "kwh_max", kmax)
        object.__setattr__(self, "kwh_min", kmin)
        if self.power_kw_per_kwh is not None:
            ratio = _bound("battery.power_kw_per_kwh", self.power_kw_per_kwh, "kW/kWh", 100.0)
            if ratio <= 0:
                raise InputDataError(
                    "battery.power_kw_per_kwh: 0 kW/kWh is not allowed; it must be > 0 "
                    "(or None for a power variable of its own)"
                )
            object.__setattr__(self, "power_kw_per_kwh", ratio)
        else:
            if self.kw_max is None:
                raise InputDataError(
                    "battery.kw_max: give the power bound [kW] when power_kw_per_kwh is None"
                )
            wmax = _bound("battery.kw_max", self.kw_max, "kW", 1e6)
            wmin = _bound("battery.kw_min", self.kw_min, "kW", 1e6)
            _check_range("battery.kw", wmin, wmax, "kW")
            object.__setattr__(self, "kw_max", wmax)
            object.__setattr__(self, "kw_min", wmin)
        for name, unit in (("capex_eur_per_kwh", "EUR/kWh"), ("capex_eur_per_kw", "EUR/kW")):
            value = _optional_price(f"battery.{name}", getattr(self, name), unit)
            object.__setattr__(self, name, value)
        self.battery(1.0, 1.0)  # validates id, efficiencies and SoC fractions

    @property
    def kw_bounds(self) -> tuple[float, float]:
        """Bounds of the power [kW]: the ratio times the kWh bounds, or the own bounds."""
        if self.power_kw_per_kwh is not None:
            return (self.power_kw(self.kwh_min), self.power_kw(self.kwh_max))
        assert self.kw_max is not None
        return (self.kw_min, self.kw_max)

    def power_kw(self, capacity_kwh: float) -> float:
        """Power [kW] of the candidate at ``capacity_kwh`` [kWh]: the ratio times the capacity.

        The one rule for an added battery's power, used by sizing and by the
        sweeps (:func:`energy.studies.sweep.changes_for`).

        Raises
        ------
        InputDataError
            If the power is a variable of its own (``power_kw_per_kwh`` None).
        """
        if self.power_kw_per_kwh is None:
            raise InputDataError(
                "battery.power_kw_per_kwh: None (a power of its own) gives no power per kWh"
            )
        return self.power_kw_per_kwh * capacity_kwh

    def battery(self, capacity_kwh: float, power_kw: float) -> Battery:
        """Return the candidate as a :class:`~energy.district.Battery` of the given size."""
        try:
            return Battery(
                id=self.id,
                at=self.at,
                capacity_kwh=capacity_kwh,
                power_kw=power_kw,
                eta_charge=self.eta_charge,
                eta_discharge=self.eta_discharge,
                self_discharge_frac_per_h=self.self_discharge_frac_per_h,
                soc_min_frac=self.soc_min_frac,
                soc_max_frac=self.soc_max_frac,
                soc_initial_frac=self.soc_initial_frac,
                throughput_cost_eur_per_kwh=self.throughput_cost_eur_per_kwh,
            )
        except ValidationError as exc:
            raise InputDataError(f"battery is invalid:\n{format_validation_error(exc)}") from exc


@dataclass(frozen=True)
class SizingSpec:
    """What may be built and what it costs: candidate PV, candidate battery, economics.

    At least one candidate is needed. Per-unit costs per year follow the
    module docstring ("Cost of capacity").
    """

    pv: PVCandidate | None = None
    battery: BatteryCandidate | None = None
    assumptions: EconomicAssumptions = field(default_factory=EconomicAssumptions)

    def __post_init__(self) -> None:
        if self.pv is None and self.battery is None:
            raise InputDataError("sizing: give a PV candidate, a battery candidate or both")
        if self.pv is not None and not isinstance(self.pv, PVCandidate):
            raise InputDataError("sizing.pv: expected a PVCandidate")
        if self.battery is not None and not isinstance(self.battery, BatteryCandidate):
            raise InputDataError("sizing.battery: expected a BatteryCandidate")
        if not isinstance(self.assumptions, EconomicAssumptions):
            raise InputDataError(
                "sizing.assumptions: expected energy.analysis.economics.EconomicAssumptions"
            )

    @property
    def pv_capex_eur_per_kwp(self) -> float:
        """Price of the candidate PV [EUR/kWp] (given, or the band of ``kwp_max``)."""
        assert self.pv is not None
        if self.pv.capex_eur_per_kwp is not None:
            return self.pv.capex_eur_per_kwp
        return self.assumptions.pv_capex_eur_per_kwp(self.pv.kwp_max)

    @property
    def battery_capex_eur_per_kwh(self) -> float:
        """Price of the candidate battery [EUR/kWh] (given, or by the size of ``kwh_max``)."""
        assert self.battery is not None
        if self.battery.capex_eur_per_kwh is not None:
            return self.battery.capex_eur_per_kwh
        return self.assumptions.battery_capex_eur_per_kwh(self.battery.kwh_max)

    @property
    def battery_capex_eur_per_kw(self) -> float:
        """Price of the candidate battery's power [EUR/kW]."""
        assert self.battery is not None
        if self.battery.capex_eur_per_kw is not None:
            return self.battery.capex_eur_per_kw
        return self.assumptions.battery_capex_eur_per_kw

    def annual_cost_per_unit(self) -> dict[str, float]:
        """Yearly cost of one unit of capacity: annuity + operating cost [EUR/(unit a)].

        :func:`energy.analysis.economics.annual_cost_eur_per_unit` of each
        candidate's price, lifetime and operating cost. Keys ``pv_eur_per_kwp``,
        ``battery_eur_per_kwh``, ``battery_eur_per_kw`` (only those of the
        candidates given).
        """
        a = self.assumptions
        r = a.discount_rate_frac
        out: dict[str, float] = {}
        if self.pv is not None:
            life, opex = a.pv_lifetime_years, a.pv_opex_frac_per_year
            out["pv_eur_per_kwp"] = annual_cost_eur_per_unit(
                self.pv_capex_eur_per_kwp, life, opex, r
            )
        if self.battery is not None:
            life, opex = a.battery_lifetime_years, a.battery_opex_frac_per_year
            out["battery_eur_per_kwh"] = annual_cost_eur_per_unit(
                self.battery_capex_eur_per_kwh, life, opex, r
            )
            out["battery_eur_per_kw"] = annual_cost_eur_per_unit(
                self.battery_capex_eur_per_kw, life, opex, r
            )
        return out

    def block(self, inputs: DispatchInputs) -> CapacityBlock:
        """Return the candidates as the capacity block of a dispatch on ``inputs``.

        Raises
        ------
        InputDataError
            For ids that clash with existing assets, unknown nodes, or a PV
            candidate without a valid AC profile.
        """
        unit = self.annual_cost_per_unit()
        pv = None
        if self.pv is not None:
            c = self.pv
            if c.id in inputs.pv_kw.columns:
                raise InputDataError(f"pv.id: {c.id!r} is already a PV system of the district")
            assert c.building is not None
            inputs.check_asset_node("pv.building", c.building)
            pv = ExtendablePV(
                id=c.id,
                node=c.building,
                profile_kw_per_kwp=candidate_profile(inputs, c),
                kwp_min=c.kwp_min,
                kwp_max=c.kwp_max,
                curtailable=c.curtailable,
                eur_per_kwp_year=unit["pv_eur_per_kwp"],
            )
        battery = None
        if self.battery is not None:
            b = self.battery
            if b.id in {x.id for x in inputs.batteries}:
                raise InputDataError(f"battery.id: {b.id!r} is already a battery of the district")
            inputs.check_asset_node("battery.at", b.at)
            kw_lo, kw_hi = b.kw_bounds
            capacity = StorageCapacity(
                kwh_min=b.kwh_min,
                kwh_max=b.kwh_max,
                kw_per_kwh=b.power_kw_per_kwh,
                kw_min=kw_lo,
                kw_max=kw_hi,
                soc_min_frac=b.soc_min_frac,
                soc_max_frac=b.soc_max_frac,
                soc_initial_frac=b.soc_initial_frac,
                eur_per_kwh_year=unit["battery_eur_per_kwh"],
                eur_per_kw_year=unit["battery_eur_per_kw"],
            )
            battery = StorageUnit.extendable(b.battery(1.0, 1.0), capacity)
        return CapacityBlock(pv=pv, battery=battery)


def with_fixed_capacity(
    spec: SizingSpec, battery_kwh: float | None = None, pv_kwp: float | None = None
) -> SizingSpec:
    """Return ``spec`` with the named capacities fixed (lower = upper bound).

    The prices stay those of ``spec`` (a default band price is taken before
    the bound changes), so a sweep over fixed capacities and the sized model
    share one objective.
    """
    pv, bat = spec.pv, spec.battery
    if battery_kwh is not None:
        if bat is None:
            raise InputDataError("battery_kwh: the sizing spec has no battery candidate")
        bat = dataclasses.replace(
            bat,
            kwh_min=battery_kwh,
            kwh_max=battery_kwh,
            capex_eur_per_kwh=spec.battery_capex_eur_per_kwh,
            capex_eur_per_kw=spec.battery_capex_eur_per_kw,
        )
    if pv_kwp is not None:
        if pv is None:
            raise InputDataError("pv_kwp: the sizing spec has no PV candidate")
        pv = dataclasses.replace(
            pv, kwp_min=pv_kwp, kwp_max=pv_kwp, capex_eur_per_kwp=spec.pv_capex_eur_per_kwp
        )
    return dataclasses.replace(spec, pv=pv, battery=bat)


def candidate_profile(inputs: DispatchInputs, pv: PVCandidate) -> np.ndarray:
    """Return the PV candidate's AC profile per kWp on the dispatch index [kW/kWp], checked."""
    profile = pv.profile_kw_per_kwp
    if profile is None:
        raise InputDataError(
            f"pv.profile_kw_per_kwp: the candidate {pv.id!r} has no AC profile; "
            "size() computes it, or give one on the dispatch index [kW/kWp]"
        )
    if not isinstance(profile, pd.Series) or not profile.index.equals(inputs.index):
        raise InputDataError(
            f"pv.profile_kw_per_kwp: it must be a Series on the dispatch index "
            f"({inputs.n_steps} steps, UTC)"
        )
    values = profile.to_numpy(dtype=float)
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 2.0:
        raise InputDataError("pv.profile_kw_per_kwp: values must be finite and lie in 0..2 kW/kWp")
    return values


def built_inputs(inputs: DispatchInputs, spec: SizingSpec, caps: Capacities) -> DispatchInputs:
    """Return the dispatch inputs with the candidates built at the solved capacities.

    A candidate of zero size is left out (a battery also when its power is zero).
    """
    pv_kw, pv_node, curtailable = inputs.pv_kw, dict(inputs.pv_node), dict(inputs.pv_curtailable)
    batteries = inputs.batteries
    if spec.pv is not None and caps.pv_kwp:
        assert spec.pv.building is not None
        pv_kw = pv_kw.assign(**{spec.pv.id: caps.pv_kwp * candidate_profile(inputs, spec.pv)})
        pv_node[spec.pv.id] = spec.pv.building
        curtailable[spec.pv.id] = spec.pv.curtailable
    if spec.battery is not None and caps.battery_kwh and caps.battery_kw:
        batteries = (*batteries, spec.battery.battery(caps.battery_kwh, caps.battery_kw))
    return dataclasses.replace(
        inputs, pv_kw=pv_kw, pv_node=pv_node, pv_curtailable=curtailable, batteries=batteries
    )


def resolve_pv_candidate(
    district: District, candidate: PVCandidate, weather: pd.DataFrame
) -> PVCandidate:
    """Fill in the candidate's building and its AC profile per kWp from the weather.

    The profile is :func:`energy.models.pv.pv_ac_kw` of the candidate as a
    1 kWp system (every step of that chain is proportional to kWp).
    """
    if candidate.id in {p.id for p in district.pv}:
        raise InputDataError(f"pv.id: {candidate.id!r} is already a PV system of the district")
    template = None
    if candidate.like is not None:
        known = {p.id: p for p in district.pv}
        if candidate.like not in known:
            raise InputDataError(
                f"pv.like: {candidate.like!r} is not a PV system of the district; "
                f"allowed: {sorted(known)}"
            )
        template = known[candidate.like]
    system = candidate.system(1.0, template)
    if system.building not in {b.id for b in district.buildings}:
        raise InputDataError(f"pv.building: {system.building!r} is not a building id")
    profile = pv_ac_kw(system, weather, district.site)
    return dataclasses.replace(
        candidate,
        building=system.building,
        tilt_deg=system.tilt_deg,
        azimuth_deg=system.azimuth_deg,
        mount=system.mount,
        profile_kw_per_kwp=profile,
    )


def built_district(
    district: District, spec: SizingSpec, caps: Capacities, template: PVSystem | None = None
) -> District:
    """Return the district with the candidates added at the given sizes (zero sizes omitted)."""
    data = district.to_dict()
    if spec.pv is not None and caps.pv_kwp:
        data["pv"].append(spec.pv.system(caps.pv_kwp, template).model_dump(mode="json"))
    if spec.battery is not None and caps.battery_kwh and caps.battery_kw:
        battery = spec.battery.battery(caps.battery_kwh, caps.battery_kw)
        data["batteries"].append(battery.model_dump(mode="json"))
    return district_from_dict(data, source="sized district")
