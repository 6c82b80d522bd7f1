"""What becomes a model unit: storage units, curtailment units, sparse sets (no Pyomo).

:func:`make_layout` decides, before any Pyomo object exists, which batteries
are merged into one storage unit on the copper plate (exact aggregation, see
:mod:`energy.optimisation.model`), how curtailment and lighting are lumped, in
which steps slack variables and direction binaries exist, and the objective's
per-step coefficients of import and export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from energy.district import Battery
from energy.optimisation.options import DispatchOptions
from energy.system import DispatchInputs


@dataclass(frozen=True)
class StorageCapacity:
    r"""The capacity of a storage unit as a variable of the model.

    As PyPSA's extendable stores (``e_nom_extendable``) and oemof-solph's
    ``Investment`` attribute: the same storage physics
    (:func:`energy.optimisation.storage.define_battery`), with the energy
    :math:`K^e` [kWh] and the power :math:`K^p` [kW] chosen by the optimiser
    and their annual cost in the objective.

    Attributes
    ----------
    kwh_min, kwh_max
        Bounds of the usable capacity [kWh].
    kw_per_kwh
        Fixed power-to-energy ratio [kW/kWh] (:math:`K^p = \rho K^e`), or None
        for a power variable of its own within ``kw_min`` .. ``kw_max``.
    kw_min, kw_max
        Bounds of the power [kW] (with a ratio: the ratio times the kWh bounds).
    soc_min_frac, soc_max_frac, soc_initial_frac
        SoC window and initial SoC as fractions of the chosen capacity.
    eur_per_kwh_year, eur_per_kw_year
        Annual cost of one kWh and one kW of capacity [EUR/(kWh a), EUR/(kW a)];
        the horizon is charged its share (:attr:`DispatchInputs.horizon_years`).
    """

    kwh_min: float
    kwh_max: float
    kw_per_kwh: float | None
    kw_min: float
    kw_max: float
    soc_min_frac: float
    soc_max_frac: float
    soc_initial_frac: float
    eur_per_kwh_year: float
    eur_per_kw_year: float


@dataclass(frozen=True)
class StorageUnit:
    """One battery of the model, possibly the exact merger of identical batteries.

    ``members`` are the spec ids; ``shares`` their capacity fractions (sum 1),
    used to split the unit's schedule back onto the members.

    With ``capacity`` the unit's size is a variable (:class:`StorageCapacity`,
    see :meth:`extendable`); ``capacity_kwh``, ``power_kw`` and the SoC limits
    then hold the bounds at the largest size (the variables' own bounds, the
    big-M of the direction binaries).
    """

    id: str
    node: str | None
    members: tuple[str, ...]
    shares: tuple[float, ...]
    capacity_kwh: float
    power_kw: float
    eta_charge: float
    eta_discharge: float
    self_discharge_frac_per_h: float
    soc_min_kwh: float
    soc_max_kwh: float
    soc_initial_kwh: float
    throughput_cost_eur_per_kwh: float
    capacity: StorageCapacity | None = None

    @classmethod
    def extendable(cls, battery: Battery, capacity: StorageCapacity) -> StorageUnit:
        """Return a unit of ``battery``'s physics (efficiency, losses, wear) and this size.

        The battery's own size and SoC fractions are ignored; those of
        ``capacity`` apply.
        """
        return cls(
            id=battery.id,
            node=battery.at,
            members=(battery.id,),
            shares=(1.0,),
            capacity_kwh=capacity.kwh_max,
            power_kw=capacity.kw_max,
            eta_charge=battery.eta_charge,
            eta_discharge=battery.eta_discharge,
            self_discharge_frac_per_h=battery.self_discharge_frac_per_h,
            soc_min_kwh=0.0,
            soc_max_kwh=capacity.soc_max_frac * capacity.kwh_max,
            soc_initial_kwh=capacity.soc_initial_frac * capacity.kwh_max,
            throughput_cost_eur_per_kwh=battery.throughput_cost_eur_per_kwh,
            capacity=capacity,
        )


@dataclass(frozen=True)
class CurtailUnit:
    """Curtailable PV lumped per node (``node`` None: the whole district)."""

    id: str
    node: str | None
    available_kw: np.ndarray


@dataclass(frozen=True)
class DispatchLayout:
    """Model units, sparse index sets and objective coefficients (plain data).

    ``lighting`` is ``"none"``, ``"flex"`` (LP on the copper plate: one
    variable per dark step for the district's lighting above its minimum,
    exact because the groups share one balance) or ``"level"`` (a level per
    group and dark step).
    """

    aggregated: bool
    storage: tuple[StorageUnit, ...]
    curtail: tuple[CurtailUnit, ...]
    curtail_on: tuple[tuple[str, int], ...]
    lighting: Literal["none", "flex", "level"]
    light_on: tuple[tuple[int, int], ...]
    flex_steps: tuple[int, ...]
    flex_max_kw: np.ndarray
    unserved_steps: tuple[int, ...]
    surplus_steps: tuple[int, ...]
    nonconvex_steps: tuple[int, ...]
    c_import: np.ndarray
    c_export: np.ndarray
    penalty: float


def _storage_units(batteries: Sequence[Battery], aggregate: bool) -> tuple[StorageUnit, ...]:
    groups: dict[tuple[Any, ...], list[Battery]] = {}
    for bat in batteries:
        key: tuple[Any, ...] = (
            (
                bat.eta_charge,
                bat.eta_discharge,
                bat.self_discharge_frac_per_h,
                bat.soc_min_frac,
                bat.soc_max_frac,
                bat.soc_initial_frac,
                bat.throughput_cost_eur_per_kwh,
                round(bat.power_kw / bat.capacity_kwh, 12),
            )
            if aggregate
            else (bat.id,)
        )
        groups.setdefault(key, []).append(bat)
    units = []
    for members in groups.values():
        first = members[0]
        cap = sum(b.capacity_kwh for b in members)
        units.append(
            StorageUnit(
                id=first.id if len(members) == 1 else f"{first.id}+{len(members) - 1}",
                node=first.at if len(members) == 1 else None,
                members=tuple(b.id for b in members),
                shares=tuple(b.capacity_kwh / cap for b in members),
                capacity_kwh=cap,
                power_kw=sum(b.power_kw for b in members),
                eta_charge=first.eta_charge,
                eta_discharge=first.eta_discharge,
                self_discharge_frac_per_h=first.self_discharge_frac_per_h,
                soc_min_kwh=first.soc_min_frac * cap,
                soc_max_kwh=first.soc_max_frac * cap,
                soc_initial_kwh=first.soc_initial_frac * cap,
                throughput_cost_eur_per_kwh=first.throughput_cost_eur_per_kwh,
            )
        )
    return tuple(units)


def _curtail_units(inputs: DispatchInputs, aggregate: bool) -> tuple[CurtailUnit, ...]:
    per_node: dict[str, np.ndarray] = {}
    for pid in inputs.pv_kw.columns:
        if not inputs.curtailable(pid):
            continue
        key = "district" if aggregate else inputs.pv_node[pid]
        values = inputs.pv_kw[pid].to_numpy()
        per_node[key] = per_node[key] + values if key in per_node else values.copy()
    return tuple(
        CurtailUnit(id=key, node=None if aggregate else key, available_kw=avail)
        for key, avail in per_node.items()
        if avail.max() > 0
    )


def make_layout(
    inputs: DispatchInputs, options: DispatchOptions, aggregate: bool
) -> DispatchLayout:
    """Decide the model's units, sparse sets and objective coefficients (no Pyomo).

    Slack variables exist only in steps where a limit can bind at all: unmet
    demand where buildings + full lighting + full charging could exceed the
    import limit, surplus where PV that cannot be curtailed + full discharge
    could exceed the export bound plus the minimum demand. Elsewhere any
    schedule balances through import, export and curtailment alone, so the
    optimum is the same without them.
    """
    w = options.term_weights()
    dt = inputs.dt_h
    c_import = (
        w["cost"] * inputs.import_price_eur_per_kwh
        + w["co2"] * inputs.co2_g_per_kwh / 1000.0
        + w["import"]
    ) * dt
    c_export = -w["cost"] * inputs.feed_in_eur_per_kwh * dt
    storage = _storage_units(inputs.batteries, aggregate)
    curtail = _curtail_units(inputs, aggregate) if options.curtailment else ()
    curtail_on = tuple((u.id, int(t)) for u in curtail for t in np.flatnonzero(u.available_kw > 0))
    thr = max((u.throughput_cost_eur_per_kwh for u in storage), default=0.0)
    scale = max(float(np.abs(c_import).max()), float(np.abs(c_export).max()), dt) / dt
    scale += w["cost"] * (thr + inputs.peak_charge_eur_per_kw / dt)
    penalty = (options.penalty_eur_per_kwh or 1000.0 * max(scale, 1e-3)) * dt
    nonconvex: tuple[int, ...] = ()
    if options.exclusive_flows:
        # ties (sum exactly 0) included: a free two-way flow is as unphysical as a paid one
        nonconvex = tuple(np.flatnonzero((c_import + c_export <= 0) | (c_import <= 0)).tolist())
    demand_min, demand_max = inputs.demand_bounds_kw()
    p_bat = sum(u.power_kw for u in storage)
    tol = 1e-9
    unserved = np.flatnonzero(demand_max + p_bat > inputs.import_limit_kw + tol)
    surplus = np.flatnonzero(
        inputs.fixed_pv_kw(options.curtailment) + p_bat > inputs.export_bound_kw + demand_min + tol
    )
    light = inputs.lighting
    mode: Literal["none", "flex", "level"] = "none"
    light_on: tuple[tuple[int, int], ...] = ()
    flex_steps: tuple[int, ...] = ()
    flex_max = np.zeros(inputs.n_steps)
    if light is not None and len(light.group_ids):
        dark = np.asarray(light.dark_frac, dtype=float)
        if aggregate and options.lighting_mode == "lp":
            mode = "flex"
            head = (
                dark
                * np.asarray(light.b_kw, dtype=float)[:, None]
                * (1.0 - np.asarray(light.min_level_frac, dtype=float))
            )
            flex_max = head.sum(axis=0)
            flex_steps = tuple(np.flatnonzero(flex_max > 1e-12).tolist())
        else:
            mode = "level"
            gg, tt = np.nonzero(dark > 0)
            light_on = tuple(zip(gg.tolist(), tt.tolist(), strict=True))
    return DispatchLayout(
        aggregated=aggregate,
        storage=storage,
        curtail=curtail,
        curtail_on=curtail_on,
        lighting=mode,
        light_on=light_on,
        flex_steps=flex_steps,
        flex_max_kw=flex_max,
        unserved_steps=tuple(unserved.tolist()),
        surplus_steps=tuple(surplus.tolist()),
        nonconvex_steps=nonconvex,
        c_import=c_import,
        c_export=c_export,
        penalty=penalty,
    )
