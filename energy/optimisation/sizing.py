r"""Capacity optimisation: how much PV [kWp] and battery [kWh, kW] is worth it.

The dispatch model of :mod:`energy.optimisation.dispatch` gets optional
capacity variables for one candidate PV system and one candidate battery,
each within bounds and with its annualised cost in the objective, so that a
single LP answers "how much battery (and PV) pays" together with the
schedule that makes it pay (the investment-and-dispatch formulation of
capacity expansion models such as PyPSA, Brown et al. 2018,
https://doi.org/10.5334/jors.188, and oemof-solph's ``Investment``,
https://doi.org/10.1016/j.esr.2018.07.001).

Cost of capacity
----------------
A unit of capacity (1 kWp, 1 kWh or 1 kW) priced ``I`` [EUR] costs per year
its annuity plus its operating cost (VDI 2067-1; :mod:`energy.analysis.economics`):

.. math::

    c^{year} = I \, \big(a(r, L) + o\big), \qquad
    a(r, L) = \frac{r (1+r)^L}{(1+r)^L - 1}

with the discount rate :math:`r`, the lifetime :math:`L` and the operating
cost :math:`o` as a fraction of the investment per year, all from
:class:`energy.analysis.economics.EconomicAssumptions`. The optimiser charges the
horizon its share, :math:`c = c^{year} \, H / 8760` with the horizon
:math:`H` in hours (8760 h per year, also in leap years).

A horizon shorter than a year therefore gives a **seasonal** answer: the
capacity that pays if every part of the year looked like the horizon (a
summer week favours PV and batteries that store PV surplus, a winter week
does not). For an investment decision optimise a whole year, or
representative weeks of every season and compare their answers. On the Gera
district a sized year took 20-55 s against 4 s for its plain dispatch, a
sized week 0.1 s (``benchmarks/bench_sizing.py``): the capacity columns
couple all steps and the dual simplex needs many more iterations.

Model
-----
With :math:`K^{pv}` [kWp], :math:`K^{e}` [kWh] and :math:`K^{p}` [kW] the
capacity variables, the candidate PV delivers
:math:`0 \le P^{pv'}_t \le \pi_t K^{pv}` (equality when it may not be
curtailed), with the AC profile :math:`\pi_t` per kWp; the candidate battery
obeys the SoC recursion of :func:`~energy.optimisation.dispatch.define_battery`
and

.. math::

    P^{ch'}_t, P^{dis'}_t \le K^{p}, \quad
    \underline e K^{e} \le E'_s \le \bar e K^{e}, \quad
    E'_0 = e^0 K^{e}, \quad E'_n \ge e^0 K^{e} \text{ (or } = \text{, or free)}

with either :math:`K^p = \rho K^e` (a fixed power-to-energy ratio
:math:`\rho` [kW/kWh]) or :math:`K^p` free within its own bounds. The
objective adds :math:`w_c (c^{pv} K^{pv} + c^{e} K^{e} + c^{p} K^{p}
+ \theta \sum_t P^{dis'}_t \Delta t)`. Because the capacities multiply no
other variable, the model stays linear; its optimal total cost is a convex
function of a fixed capacity (the value function of an LP in a right-hand
side parameter), so the sized optimum lies between the neighbours of the
best point of any sweep over fixed capacities. Steps with negative prices
add binaries (:func:`~energy.optimisation.dispatch.define_grid_exchange`),
which can break that convexity.

The candidate battery is never merged with existing batteries (its capacity
is a variable); it sits at its own node.

=====================  ==========================  =======
symbol                 attribute                   unit
=====================  ==========================  =======
:math:`K^{pv}`         ``cap_pv_kwp``              kWp
:math:`K^{e}`          ``cap_bat_kwh``             kWh
:math:`K^{p}`          ``cap_bat_kw``              kW
:math:`P^{pv'}_t`      ``p_pv_sized_kw[t]``        kW
:math:`P^{ch'}_t`      ``p_charge_sized_kw[t]``    kW
:math:`P^{dis'}_t`     ``p_discharge_sized_kw[t]`` kW
:math:`E'_s`           ``soc_sized_kwh[s]``        kWh
:math:`\pi_t`          ``profile_kw_per_kwp``      kW/kWp
=====================  ==========================  =======
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pydantic import ValidationError
from pyomo.core.expr.numeric_expr import LinearExpression

from energy.analysis.economics import EconomicAssumptions, annuity_factor
from energy.district import (
    SUBSTATION_NODE,
    Battery,
    District,
    PVSystem,
    district_from_dict,
    format_validation_error,
)
from energy.errors import InputDataError
from energy.kpi import compute_kpis
from energy.models.pv import pv_ac_kw
from energy.models.weather import weather_for_index
from energy.optimisation.blocks import BlockTerms, Stage
from energy.optimisation.dispatch import DispatchSolution, optimise, solution_schedule
from energy.optimisation.layout import DispatchLayout
from energy.optimisation.options import DispatchOptions
from energy.optimisation.solve import highs_version
from energy.progress import ProgressCallback, no_progress, scaled
from energy.scenario import ScenarioOptions, inputs_from_district
from energy.serialise import RESULTS_LICENCE
from energy.system import DispatchInputs, schedule_frame
from energy.timeindex import make_index

logger = logging.getLogger(__name__)

#: Capacities below this [kWp, kWh, kW] are reported as zero (solver noise).
CAPACITY_TOL = 1e-6


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
        :func:`define_sizing` on dispatch inputs directly.
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
    power_kw_per_kwh: float | None = 0.5
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
            return (self.power_kw_per_kwh * self.kwh_min, self.power_kw_per_kwh * self.kwh_max)
        assert self.kw_max is not None
        return (self.kw_min, self.kw_max)

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

        Keys ``pv_eur_per_kwp``, ``battery_eur_per_kwh``, ``battery_eur_per_kw``
        (only those of the candidates given).
        """
        a = self.assumptions
        r = a.discount_rate_frac
        out: dict[str, float] = {}
        if self.pv is not None:
            factor = annuity_factor(r, a.pv_lifetime_years) + a.pv_opex_frac_per_year
            out["pv_eur_per_kwp"] = self.pv_capex_eur_per_kwp * factor
        if self.battery is not None:
            factor = annuity_factor(r, a.battery_lifetime_years) + a.battery_opex_frac_per_year
            out["battery_eur_per_kwh"] = self.battery_capex_eur_per_kwh * factor
            out["battery_eur_per_kw"] = self.battery_capex_eur_per_kw * factor
        return out


def horizon_years(inputs: DispatchInputs) -> float:
    """Length of the dispatch horizon in years of 8760 h."""
    return inputs.horizon_years


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


# ---------------------------------------------------------------------------------------
# The model block
# ---------------------------------------------------------------------------------------


def _profile(inputs: DispatchInputs, pv: PVCandidate) -> np.ndarray:
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


def _check_node(name: str, node: str, inputs: DispatchInputs) -> None:
    allowed = {*map(str, inputs.load_kw.columns), SUBSTATION_NODE}
    if node not in allowed:
        raise InputDataError(
            f"{name}: {node!r} is not a node; allowed: building ids of load_kw or "
            f"{SUBSTATION_NODE!r}"
        )


@dataclass(frozen=True)
class SizingBlock:
    """The candidates of a sizing spec as a model block (:mod:`energy.optimisation.blocks`)."""

    spec: SizingSpec

    @property
    def stage(self) -> Stage:
        """Assets before the balance: ``"assets"``."""
        return "assets"

    def define(
        self,
        m: pyo.ConcreteModel,
        inputs: DispatchInputs,
        layout: DispatchLayout,
        options: DispatchOptions,
    ) -> BlockTerms:
        """Add the candidates (:func:`define_sizing`)."""
        return define_sizing(m, inputs, layout, options, self.spec)


def define_sizing(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    layout: DispatchLayout,
    options: DispatchOptions,
    spec: SizingSpec,
) -> BlockTerms:
    """Add the capacity variables, the candidates' physics and their costs to ``m``.

    Called by :func:`energy.optimisation.dispatch.build_model` after the
    existing assets and before the balance; the equations and the symbol
    table are in the module docstring. Returns the candidates' net power per
    node and step (load convention) and their cost terms.

    Raises
    ------
    InputDataError
        For an objective without a cost term, unknown nodes, ids that clash
        with existing assets, or a missing PV profile.
    """
    w_cost = options.term_weights()["cost"]
    if options.objective not in ("cost", "weighted") or w_cost <= 0:
        raise InputDataError(
            f"objective: sizing needs a cost term to weigh the investment against; "
            f"{options.objective!r} is not allowed, use cost or weighted with a cost weight > 0"
        )
    n = inputs.n_steps
    dt = inputs.dt_h
    years = horizon_years(inputs)
    unit_cost = spec.annual_cost_per_unit()
    injection: dict[tuple[str, int], list[tuple[float, Any]]] = {}
    cost: list[tuple[float, Any]] = []
    if spec.pv is not None:
        pv = spec.pv
        if pv.id in inputs.pv_kw.columns:
            raise InputDataError(f"pv.id: {pv.id!r} is already a PV system of the district")
        assert pv.building is not None
        _check_node("pv.building", pv.building, inputs)
        profile = _profile(inputs, pv)
        on = np.flatnonzero(profile > 0).tolist()
        prof = profile.tolist()
        m.cap_pv_kwp = pyo.Var(bounds=(pv.kwp_min, pv.kwp_max))
        m.PV_SIZED_ON = pyo.Set(initialize=on, ordered=True)
        m.p_pv_sized_kw = pyo.Var(m.PV_SIZED_ON, bounds=lambda m, t: (0.0, prof[t] * pv.kwp_max))
        fixed_output = not (pv.curtailable and options.curtailment)

        @m.Constraint(m.PV_SIZED_ON)
        def pv_sized_output(m: pyo.ConcreteModel, t: int) -> Any:
            return (
                0.0 if fixed_output else None,
                LinearExpression(
                    constant=0.0,
                    linear_coefs=[1.0, -prof[t]],
                    linear_vars=[m.p_pv_sized_kw[t], m.cap_pv_kwp],
                ),
                0.0,
            )

        for t in on:
            injection.setdefault((pv.building, t), []).append((-1.0, m.p_pv_sized_kw[t]))
        cost.append((w_cost * unit_cost["pv_eur_per_kwp"] * years, m.cap_pv_kwp))
    if spec.battery is not None:
        _define_sized_battery(m, inputs, layout, spec.battery, injection)
        cost.append((w_cost * unit_cost["battery_eur_per_kwh"] * years, m.cap_bat_kwh))
        if unit_cost["battery_eur_per_kw"] > 0:
            cost.append((w_cost * unit_cost["battery_eur_per_kw"] * years, m.cap_bat_kw))
        theta = spec.battery.throughput_cost_eur_per_kwh
        if theta > 0:
            cost += [(w_cost * theta * dt, m.p_discharge_sized_kw[t]) for t in range(n)]
    return BlockTerms(injection=injection, cost=cost)


def _define_sized_battery(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    layout: DispatchLayout,
    bat: BatteryCandidate,
    injection: dict[tuple[str, int], list[tuple[float, Any]]],
) -> None:
    """Variables and rows of the candidate battery (module docstring)."""
    if bat.id in {b.id for b in inputs.batteries}:
        raise InputDataError(f"battery.id: {bat.id!r} is already a battery of the district")
    _check_node("battery.at", bat.at, inputs)
    n = inputs.n_steps
    dt = inputs.dt_h
    kw_lo, kw_hi = bat.kw_bounds
    m.cap_bat_kwh = pyo.Var(bounds=(bat.kwh_min, bat.kwh_max))
    m.cap_bat_kw = pyo.Var(bounds=(kw_lo, kw_hi))
    m.p_charge_sized_kw = pyo.Var(m.T, bounds=(0.0, kw_hi))
    m.p_discharge_sized_kw = pyo.Var(m.T, bounds=(0.0, kw_hi))
    m.soc_sized_kwh = pyo.Var(m.S, bounds=(0.0, bat.soc_max_frac * bat.kwh_max))
    if bat.power_kw_per_kwh is not None:
        m.bat_sized_ratio = pyo.Constraint(
            expr=m.cap_bat_kw - bat.power_kw_per_kwh * m.cap_bat_kwh == 0.0
        )
    keep = (1.0 - bat.self_discharge_frac_per_h) ** dt
    coefs = [-1.0, keep, bat.eta_charge * dt, -dt / bat.eta_discharge]

    @m.Constraint(m.T)
    def soc_sized_balance(m: pyo.ConcreteModel, t: int) -> Any:
        return (
            0.0,
            LinearExpression(
                constant=0.0,
                linear_coefs=coefs,
                linear_vars=[
                    m.soc_sized_kwh[t + 1],
                    m.soc_sized_kwh[t],
                    m.p_charge_sized_kw[t],
                    m.p_discharge_sized_kw[t],
                ],
            ),
            0.0,
        )

    def limit(x: Any, cap: Any, frac: float, lower: bool) -> Any:
        expr = LinearExpression(constant=0.0, linear_coefs=[1.0, -frac], linear_vars=[x, cap])
        return (0.0, expr, None) if lower else (None, expr, 0.0)

    @m.Constraint(m.T)
    def charge_sized_limit(m: pyo.ConcreteModel, t: int) -> Any:
        return limit(m.p_charge_sized_kw[t], m.cap_bat_kw, 1.0, lower=False)

    @m.Constraint(m.T)
    def discharge_sized_limit(m: pyo.ConcreteModel, t: int) -> Any:
        return limit(m.p_discharge_sized_kw[t], m.cap_bat_kw, 1.0, lower=False)

    m.SOC_SIZED = pyo.RangeSet(1, n)

    @m.Constraint(m.SOC_SIZED)
    def soc_sized_max(m: pyo.ConcreteModel, s: int) -> Any:
        return limit(m.soc_sized_kwh[s], m.cap_bat_kwh, bat.soc_max_frac, lower=False)

    if bat.soc_min_frac > 0:

        @m.Constraint(m.SOC_SIZED)
        def soc_sized_min(m: pyo.ConcreteModel, s: int) -> Any:
            return limit(m.soc_sized_kwh[s], m.cap_bat_kwh, bat.soc_min_frac, lower=True)

    e0 = bat.soc_initial_frac
    m.soc_sized_initial = pyo.Constraint(expr=m.soc_sized_kwh[0] - e0 * m.cap_bat_kwh == 0.0)
    if inputs.terminal_soc == "geq_initial":
        m.soc_sized_terminal = pyo.Constraint(expr=m.soc_sized_kwh[n] - e0 * m.cap_bat_kwh >= 0.0)
    elif inputs.terminal_soc == "equal_initial":
        m.soc_sized_terminal = pyo.Constraint(expr=m.soc_sized_kwh[n] - e0 * m.cap_bat_kwh == 0.0)
    if layout.nonconvex_steps:
        # where energy has a negative value, forbid charging and discharging at once
        # (as define_battery does for the existing batteries), big-M = the power bound
        m.charge_on_sized = pyo.Var(m.NONCONVEX, domain=pyo.Binary)

        @m.Constraint(m.NONCONVEX)
        def charge_sized_direction(m: pyo.ConcreteModel, t: int) -> Any:
            return m.p_charge_sized_kw[t] - kw_hi * m.charge_on_sized[t] <= 0.0

        @m.Constraint(m.NONCONVEX)
        def discharge_sized_direction(m: pyo.ConcreteModel, t: int) -> Any:
            return m.p_discharge_sized_kw[t] + kw_hi * m.charge_on_sized[t] <= kw_hi

    for t in range(n):
        injection.setdefault((bat.at, t), []).extend(
            [(1.0, m.p_charge_sized_kw[t]), (-1.0, m.p_discharge_sized_kw[t])]
        )


# ---------------------------------------------------------------------------------------
# Read-back and results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Capacities:
    """Solved capacities [kWp, kWh, kW]; None where there was no candidate."""

    pv_kwp: float | None
    battery_kwh: float | None
    battery_kw: float | None


def _snap(x: float) -> float:
    return 0.0 if abs(x) < CAPACITY_TOL else float(x)


def read_capacities(solution: DispatchSolution, spec: SizingSpec) -> Capacities:
    """Return the solved capacities of a sized dispatch (values below 1e-6 -> 0)."""
    v = solution.result.values
    return Capacities(
        pv_kwp=_snap(float(v["cap_pv_kwp"][0])) if spec.pv is not None else None,
        battery_kwh=_snap(float(v["cap_bat_kwh"][0])) if spec.battery is not None else None,
        battery_kw=_snap(float(v["cap_bat_kw"][0])) if spec.battery is not None else None,
    )


def capacity_costs(spec: SizingSpec, caps: Capacities, years: float) -> dict[str, float]:
    """Investment and its yearly and horizon cost for the given capacities [EUR].

    ``capex_eur`` (overnight investment), ``annual_cost_eur_per_year``
    (annuity + operating cost) and ``horizon_cost_eur`` (the horizon's share,
    ``years`` of 8760 h), each also split into ``*_pv`` and ``*_battery``.
    """
    unit = spec.annual_cost_per_unit()
    capex = {"pv": 0.0, "battery": 0.0}
    annual = {"pv": 0.0, "battery": 0.0}
    if spec.pv is not None and caps.pv_kwp is not None:
        capex["pv"] = spec.pv_capex_eur_per_kwp * caps.pv_kwp
        annual["pv"] = unit["pv_eur_per_kwp"] * caps.pv_kwp
    if spec.battery is not None and caps.battery_kwh is not None:
        kw = caps.battery_kw or 0.0
        capex["battery"] = (
            spec.battery_capex_eur_per_kwh * caps.battery_kwh + spec.battery_capex_eur_per_kw * kw
        )
        annual["battery"] = (
            unit["battery_eur_per_kwh"] * caps.battery_kwh + unit["battery_eur_per_kw"] * kw
        )
    out: dict[str, float] = {
        "capex_eur": capex["pv"] + capex["battery"],
        "annual_cost_eur_per_year": annual["pv"] + annual["battery"],
        "horizon_cost_eur": (annual["pv"] + annual["battery"]) * years,
    }
    for part in ("pv", "battery"):
        out[f"capex_eur_{part}"] = capex[part]
        out[f"annual_cost_eur_per_year_{part}"] = annual[part]
        out[f"horizon_cost_eur_{part}"] = annual[part] * years
    return out


def built_inputs(inputs: DispatchInputs, spec: SizingSpec, caps: Capacities) -> DispatchInputs:
    """Return the dispatch inputs with the candidates built at the solved capacities.

    A candidate of zero size is left out (a battery also when its power is zero).
    """
    pv_kw, pv_node, curtailable = inputs.pv_kw, dict(inputs.pv_node), dict(inputs.pv_curtailable)
    batteries = inputs.batteries
    if spec.pv is not None and caps.pv_kwp:
        assert spec.pv.building is not None
        pv_kw = pv_kw.assign(**{spec.pv.id: caps.pv_kwp * _profile(inputs, spec.pv)})
        pv_node[spec.pv.id] = spec.pv.building
        curtailable[spec.pv.id] = spec.pv.curtailable
    if spec.battery is not None and caps.battery_kwh and caps.battery_kw:
        batteries = (*batteries, spec.battery.battery(caps.battery_kwh, caps.battery_kw))
    return dataclasses.replace(
        inputs, pv_kw=pv_kw, pv_node=pv_node, pv_curtailable=curtailable, batteries=batteries
    )


def built_schedule(
    inputs: DispatchInputs,
    spec: SizingSpec,
    solution: DispatchSolution,
    built: DispatchInputs,
) -> pd.DataFrame:
    """Return the sized dispatch as a schedule of the built inputs (:mod:`energy.system` format)."""
    base = solution_schedule(inputs, solution)
    n = inputs.n_steps
    v = solution.result.values
    ids = [b.id for b in built.batteries]
    ch = [base[f"p_charge_kw:{b.id}"].to_numpy() for b in inputs.batteries]
    dis = [base[f"p_discharge_kw:{b.id}"].to_numpy() for b in inputs.batteries]
    soc = [base[f"soc_kwh:{b.id}"].to_numpy() for b in inputs.batteries]
    if spec.battery is not None and spec.battery.id in ids:
        ch.append(v["p_charge_sized_kw"])
        dis.append(v["p_discharge_sized_kw"])
        soc.append(v["soc_sized_kwh"][1:])
    curtailed = {
        col.split(":", 1)[1]: base[col].to_numpy()
        for col in base.columns
        if col.startswith("pv_curtailed_kw:")
    }
    if spec.pv is not None and spec.pv.id in built.pv_kw.columns:
        assert spec.pv.building is not None
        used = np.zeros(n)
        used[_on_steps(inputs, spec.pv)] = v["p_pv_sized_kw"]
        cut = np.clip(built.pv_kw[spec.pv.id].to_numpy() - used, 0.0, None)
        node = spec.pv.building
        curtailed[node] = curtailed[node] + cut if node in curtailed else cut
    return schedule_frame(
        built,
        p_import_kw=solution.p_import_kw,
        p_export_kw=solution.p_export_kw,
        p_charge_kw=np.array(ch).reshape(len(ch), n),
        p_discharge_kw=np.array(dis).reshape(len(dis), n),
        soc_end_kwh=np.array(soc).reshape(len(soc), n),
        curtailed_kw_by_node=curtailed,
        level=solution.level,
    )


def _on_steps(inputs: DispatchInputs, pv: PVCandidate) -> list[int]:
    return np.flatnonzero(_profile(inputs, pv) > 0).tolist()


@dataclass
class SizingResult:
    """Outcome of a sizing run.

    Attributes
    ----------
    capacities
        Optimal PV [kWp], battery energy [kWh] and power [kW].
    costs
        ``energy_cost_eur`` (cost of the schedule over the horizon, DESIGN.md
        ``cost_eur``: energy, peak charge, throughput), ``horizon_cost_eur``
        (the horizon's share of the capacities' annuity and operating cost),
        ``total_cost_eur`` (their sum, the objective of the cost objective),
        ``capex_eur`` (overnight investment), ``annual_cost_eur_per_year``,
        the ``*_pv`` / ``*_battery`` splits, ``horizon_years``; with a
        reference run also ``reference_cost_eur`` and ``savings_eur``
        (reference minus total).
    schedule
        The dispatch of the built system (:mod:`energy.system` format).
    kpis
        :func:`energy.kpi.compute_kpis` of ``schedule``.
    inputs
        Dispatch inputs with the candidates built (for re-checks and KPIs).
    objective
        Solver objective value; equals ``costs["total_cost_eur"]`` for the
        cost objective (a weighted objective adds its other terms).
    reference_kpis
        KPIs of the same dispatch without the candidates, if computed.
    sweep
        One row per fixed-capacity point if a sweep was asked for:
        ``battery_kwh``, ``pv_kwp``, ``energy_cost_eur``, ``horizon_cost_eur``,
        ``total_cost_eur``.
    district
        The district with the candidates added at their optimal size (None
        when sized from dispatch inputs); run it with
        :func:`energy.scenario.run_scenario` for baselines and the AC check.
    notes
        Warnings in words (seasonal horizon, a capacity at its bound, a price
        band that does not fit the optimum).
    metadata
        Licence, horizon, options, spec, solver status and timings.
    """

    capacities: Capacities
    costs: dict[str, float]
    schedule: pd.DataFrame
    kpis: dict[str, float]
    inputs: DispatchInputs
    objective: float
    reference_kpis: dict[str, float] | None = None
    sweep: pd.DataFrame | None = None
    district: District | None = None
    notes: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data without the schedule (capacities, costs, KPIs, sweep, notes, metadata)."""
        return {
            "licence": RESULTS_LICENCE,
            "capacities": dataclasses.asdict(self.capacities),
            "costs": self.costs,
            "kpis": self.kpis,
            "reference_kpis": self.reference_kpis,
            "sweep": None if self.sweep is None else self.sweep.to_dict(orient="records"),
            "notes": self.notes,
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class _Solved:
    caps: Capacities
    built: DispatchInputs
    schedule: pd.DataFrame
    kpis: dict[str, float]
    costs: dict[str, float]
    solution: DispatchSolution


def _solve_sized(
    inputs: DispatchInputs,
    spec: SizingSpec,
    options: DispatchOptions,
    progress: ProgressCallback | None = None,
) -> _Solved:
    solution = optimise(inputs, options, [SizingBlock(spec)], progress=progress)
    caps = read_capacities(solution, spec)
    built = built_inputs(inputs, spec, caps)
    schedule = built_schedule(inputs, spec, solution, built)
    kpis = compute_kpis(schedule, built.batteries, built.peak_charge_eur_per_kw)
    years = horizon_years(inputs)
    costs = capacity_costs(spec, caps, years)
    costs["energy_cost_eur"] = kpis["cost_eur"]
    costs["total_cost_eur"] = kpis["cost_eur"] + costs["horizon_cost_eur"]
    costs["horizon_years"] = years
    return _Solved(caps, built, schedule, kpis, costs, solution)


def _notes(spec: SizingSpec, caps: Capacities, years: float) -> list[str]:
    notes: list[str] = []
    if years < 0.99:
        notes.append(
            f"the horizon is {years * 365:.0f} days: the capacities are those that pay if the "
            "whole year looked like it (a seasonal answer); size on a full year or on "
            "representative weeks of every season for an investment decision"
        )
    a = spec.assumptions
    if spec.battery is not None and caps.battery_kwh is not None:
        bat = spec.battery
        if bat.kwh_max > bat.kwh_min and caps.battery_kwh >= bat.kwh_max - 1e-6:
            notes.append(
                f"the battery is at its upper bound of {bat.kwh_max:g} kWh: a larger one may "
                "pay; raise the bound"
            )
        if (
            bat.capex_eur_per_kwh is None
            and caps.battery_kwh > 0
            and a.battery_capex_eur_per_kwh(caps.battery_kwh) != spec.battery_capex_eur_per_kwh
        ):
            notes.append(
                f"the battery was priced at {spec.battery_capex_eur_per_kwh:g} EUR/kWh (the size "
                f"class of {bat.kwh_max:g} kWh), but {caps.battery_kwh:,.1f} kWh falls in the "
                f"class priced {a.battery_capex_eur_per_kwh(caps.battery_kwh):g} EUR/kWh; "
                "give capex_eur_per_kwh or narrow the bounds"
            )
    if spec.pv is not None and caps.pv_kwp is not None:
        pv = spec.pv
        if pv.kwp_max > pv.kwp_min and caps.pv_kwp >= pv.kwp_max - 1e-6:
            notes.append(
                f"the PV system is at its upper bound of {pv.kwp_max:g} kWp: a larger one may "
                "pay; raise the bound"
            )
        if (
            pv.capex_eur_per_kwp is None
            and caps.pv_kwp > 0
            and a.pv_capex_eur_per_kwp(caps.pv_kwp) != spec.pv_capex_eur_per_kwp
        ):
            notes.append(
                f"the PV was priced at {spec.pv_capex_eur_per_kwp:g} EUR/kWp (the size band of "
                f"{pv.kwp_max:g} kWp), but {caps.pv_kwp:,.1f} kWp falls in the band priced "
                f"{a.pv_capex_eur_per_kwp(caps.pv_kwp):g} EUR/kWp; give capex_eur_per_kwp or "
                "narrow the bounds"
            )
    return notes


def size_dispatch(
    inputs: DispatchInputs,
    spec: SizingSpec,
    options: DispatchOptions | None = None,
    progress: ProgressCallback | None = None,
    reference: bool = False,
    sweep_battery_kwh: Sequence[float] = (),
    sweep_pv_kwp: Sequence[float] = (),
) -> SizingResult:
    """Size the candidates of ``spec`` on given dispatch inputs.

    Parameters
    ----------
    inputs
        Dispatch inputs of the existing district.
    spec
        Candidates (a PV candidate needs its ``profile_kw_per_kwp``) and
        economics.
    options
        Dispatch options; the objective must contain cost.
    progress
        Progress callback.
    reference
        Also optimise the dispatch without the candidates, for savings.
    sweep_battery_kwh, sweep_pv_kwp
        Fixed capacities to solve for comparison (their product is the grid;
        an empty sequence leaves that capacity to the optimiser).

    Raises
    ------
    InputDataError, InfeasibleError, SolverError
        As :func:`energy.optimisation.solve.optimise`.
    """
    options = options or DispatchOptions()
    report = progress or no_progress
    kwh_grid: list[float | None] = list(sweep_battery_kwh) or [None]
    kwp_grid: list[float | None] = list(sweep_pv_kwp) or [None]
    points = list(itertools.product(kwh_grid, kwp_grid))
    if points == [(None, None)]:
        points = []
    runs = 1 + int(reference) + len(points)
    t0 = time.perf_counter()
    sized = _solve_sized(inputs, spec, options, scaled(report, 0.0, 1.0 / runs))
    result = sized.solution.result
    timings = {f"{k}_s": v for k, v in result.timings_s.items()}
    costs = dict(sized.costs)
    reference_kpis = None
    done = 1
    if reference:
        report(done / runs, "reference dispatch without the candidates")
        ref = optimise(inputs, options)
        reference_kpis = compute_kpis(
            solution_schedule(inputs, ref), inputs.batteries, inputs.peak_charge_eur_per_kw
        )
        costs["reference_cost_eur"] = reference_kpis["cost_eur"]
        costs["savings_eur"] = reference_kpis["cost_eur"] - costs["total_cost_eur"]
        done += 1
    sweep = None
    if points:
        rows = []
        for kwh, kwp in points:
            report(done / runs, f"fixed size: {_describe(kwh, kwp)}")
            point = _solve_sized(inputs, with_fixed_capacity(spec, kwh, kwp), options)
            rows.append(
                {
                    "battery_kwh": kwh,
                    "pv_kwp": kwp,
                    "energy_cost_eur": point.costs["energy_cost_eur"],
                    "horizon_cost_eur": point.costs["horizon_cost_eur"],
                    "total_cost_eur": point.costs["total_cost_eur"],
                }
            )
            done += 1
        sweep = pd.DataFrame(rows)
    timings["total_s"] = time.perf_counter() - t0
    notes = _notes(spec, sized.caps, costs["horizon_years"])
    if result.status != "optimal":
        notes.append(f"feasible, not proven optimal (MIP gap {result.mip_gap:.3g})")
    metadata: dict[str, Any] = {
        "licence": RESULTS_LICENCE,
        "horizon": {
            "start": str(inputs.index[0]),
            "steps": inputs.n_steps,
            "dt_h": inputs.dt_h,
            "years": costs["horizon_years"],
        },
        "spec": _spec_record(spec),
        "solver": {
            "name": highs_version(),
            "status": result.status,
            "objective": result.objective,
            "mip_gap": result.mip_gap,
            "method": result.method,
            "variables": result.n_variables,
            "constraints": result.n_constraints,
            "integers": result.n_integers,
        },
        "timings_s": timings,
    }
    report(
        1.0,
        f"sized: {_describe(sized.caps.battery_kwh, sized.caps.pv_kwp)}; "
        f"total {costs['total_cost_eur']:,.2f} EUR",
    )
    return SizingResult(
        capacities=sized.caps,
        costs=costs,
        schedule=sized.schedule,
        kpis=sized.kpis,
        inputs=sized.built,
        objective=result.objective,
        reference_kpis=reference_kpis,
        sweep=sweep,
        notes=notes,
        metadata=metadata,
    )


def _describe(battery_kwh: float | None, pv_kwp: float | None) -> str:
    parts = [] if battery_kwh is None else [f"battery {battery_kwh:,.1f} kWh"]
    parts += [] if pv_kwp is None else [f"PV {pv_kwp:,.1f} kWp"]
    return ", ".join(parts)


def _spec_record(spec: SizingSpec) -> dict[str, Any]:
    record: dict[str, Any] = {
        "annual_cost_per_unit": spec.annual_cost_per_unit(),
        "assumptions": dataclasses.asdict(spec.assumptions),
    }
    if spec.pv is not None:
        pv = {k: v for k, v in dataclasses.asdict(spec.pv).items() if k != "profile_kw_per_kwp"}
        record["pv"] = {**pv, "capex_eur_per_kwp": spec.pv_capex_eur_per_kwp}
    if spec.battery is not None:
        record["battery"] = {
            **dataclasses.asdict(spec.battery),
            "capex_eur_per_kwh": spec.battery_capex_eur_per_kwh,
            "capex_eur_per_kw": spec.battery_capex_eur_per_kw,
        }
    return record


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


def size(
    district: District,
    options: ScenarioOptions,
    spec: SizingSpec,
    progress: ProgressCallback | None = None,
    reference: bool = True,
    sweep_battery_kwh: Sequence[float] = (),
    sweep_pv_kwp: Sequence[float] = (),
) -> SizingResult:
    """Size a candidate PV system and/or battery for a district.

    Weather, PV, loads, lighting and tariff are prepared as in
    :func:`energy.scenario.run_scenario`; the candidate PV's profile comes
    from :mod:`energy.models.pv` with the same weather. One LP then chooses
    the capacities and the dispatch together (module docstring).

    Parameters
    ----------
    district
        The existing district; the candidates come in addition.
    options
        Horizon, resolution, weather, objective (must contain cost), solver
        settings. ``export_cap_frac`` is taken of the existing kWp only.
        ``ac_check`` is not done here: run the returned ``district``
        through :func:`energy.scenario.run_scenario` for it.
    spec
        Candidates and economics.
    progress
        Progress callback.
    reference
        Also optimise without the candidates (``costs["savings_eur"]``).
    sweep_battery_kwh, sweep_pv_kwp
        Optional fixed capacities to compare with (see :func:`size_dispatch`).

    Returns
    -------
    SizingResult
        With ``district`` the district as built.
    """
    report = progress or no_progress
    tz = district.site.timezone
    index = make_index(options.start, options.days, options.resolution, tz)
    report(0.0, f"weather, PV, loads and tariff for {options.days} days")
    t0 = time.perf_counter()
    weather = weather_for_index(index, district.site, options.weather)
    export_cap = (
        None if options.export_cap_frac is None else options.export_cap_frac * district.total_kwp
    )
    inputs = inputs_from_district(district, index, weather, export_cap_kw=export_cap)
    template = None
    if spec.pv is not None:
        template = next((p for p in district.pv if p.id == spec.pv.like), None)
        spec = dataclasses.replace(spec, pv=resolve_pv_candidate(district, spec.pv, weather))
    if spec.battery is not None and spec.battery.id in {b.id for b in district.batteries}:
        raise InputDataError(
            f"battery.id: {spec.battery.id!r} is already a battery of the district"
        )
    t_inputs = time.perf_counter() - t0
    result = size_dispatch(
        inputs,
        spec,
        options.dispatch_options(),
        scaled(report, 0.1, 1.0),
        reference=reference,
        sweep_battery_kwh=sweep_battery_kwh,
        sweep_pv_kwp=sweep_pv_kwp,
    )
    result.district = built_district(district, spec, result.capacities, template)
    result.metadata["district"] = {"name": district.site.name, "spec_hash": district.spec_hash()}
    result.metadata["horizon"]["timezone"] = tz
    result.metadata["options"] = dataclasses.asdict(options)
    result.metadata["timings_s"]["inputs_s"] = t_inputs
    return result
