r"""Capacities as variables: a candidate battery and a candidate PV system in one LP.

:class:`CapacityBlock` is a model block (:mod:`energy.optimisation.blocks`)
that adds a storage unit whose size is a variable
(:class:`~energy.optimisation.layout.StorageCapacity`, the same physics as
every battery: :func:`energy.optimisation.storage.define_battery`) and a PV
system whose peak power is a variable (:class:`ExtendablePV`), each within
bounds and with its annual cost charged for the horizon's share in the
objective, so that one LP answers "how much battery (and PV) pays" together
with the schedule that makes it pay: the investment-and-dispatch formulation
of capacity expansion models such as PyPSA (``p_nom_extendable``, Brown et
al. 2018, https://doi.org/10.5334/jors.188) and oemof-solph's ``Investment``
(https://doi.org/10.1016/j.esr.2018.07.001). What may be built and what it
costs is decided in :mod:`energy.studies.sizing`.

With :math:`K^{pv}` [kWp] the PV capacity, the candidate PV delivers
:math:`0 \le P^{pv'}_t \le \pi_t K^{pv}` (equality when it may not be
curtailed), with the AC profile :math:`\pi_t` per kWp; the objective adds
:math:`w_c c^{pv} K^{pv} Y` with the annual cost per kWp :math:`c^{pv}` and
the horizon in years :math:`Y`. Because the capacities multiply no other
variable, the model stays linear.

=====================  ==========================  =======
symbol                 attribute                   unit
=====================  ==========================  =======
:math:`K^{pv}`         ``cap_pv_kwp``              kWp
:math:`P^{pv'}_t`      ``p_pv_sized_kw[t]``        kW
:math:`\pi_t`          ``profile_kw_per_kwp``      kW/kWp
:math:`K^{e}`          ``cap_sized_kwh[b]``        kWh
:math:`K^{p}`          ``cap_sized_kw[b]``         kW
:math:`P^{ch'}_t`      ``p_charge_sized_kw[b, t]`` kW
:math:`E'_s`           ``soc_sized_kwh[b, s]``     kWh
=====================  ==========================  =======
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.environ as pyo

from energy.errors import InputDataError
from energy.optimisation.blocks import BlockTerms, Stage
from energy.optimisation.layout import DispatchLayout, StorageUnit
from energy.optimisation.options import DispatchOptions
from energy.optimisation.rows import at_most, equal, linear
from energy.optimisation.storage import define_battery, storage_cost, storage_injection
from energy.system import DispatchInputs

#: Tag of the candidate battery's component names (``p_charge_sized_kw`` ...).
SIZED = "_sized"
#: Capacities below this [kWp, kWh, kW] are reported as zero (solver noise).
CAPACITY_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class ExtendablePV:
    """A PV system whose peak power [kWp] is a variable.

    Attributes
    ----------
    id, node
        Id of the system and its node (a building id).
    profile_kw_per_kwp
        (n,) AC output per kWp on the dispatch index [kW/kWp].
    kwp_min, kwp_max
        Bounds of the size [kWp].
    curtailable
        Whether the optimiser may curtail it (with curtailment on).
    eur_per_kwp_year
        Annual cost of one kWp [EUR/(kWp a)].
    """

    id: str
    node: str
    profile_kw_per_kwp: np.ndarray = field(repr=False)
    kwp_min: float
    kwp_max: float
    curtailable: bool
    eur_per_kwp_year: float

    @property
    def on_steps(self) -> list[int]:
        """Steps with output (the only ones with an output variable)."""
        return np.flatnonzero(self.profile_kw_per_kwp > 0).tolist()


@dataclass(frozen=True)
class CapacityBlock:
    """Candidate PV and battery with their sizes as variables (module docstring).

    ``battery`` is a storage unit with a :class:`~energy.optimisation.layout.StorageCapacity`
    (:meth:`~energy.optimisation.layout.StorageUnit.extendable`); it is never
    merged with the district's batteries and sits at its own node.
    """

    pv: ExtendablePV | None = None
    battery: StorageUnit | None = None

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
        """Add the candidates' variables and rows; return their injections and costs.

        Raises
        ------
        InputDataError
            For an objective without a cost term to weigh the investment against.
        """
        w_cost = options.term_weights()["cost"]
        if options.objective not in ("cost", "weighted") or w_cost <= 0:
            raise InputDataError(
                f"objective: sizing needs a cost term to weigh the investment against; "
                f"{options.objective!r} is not allowed, use cost or weighted with a cost weight > 0"
            )
        injection: dict[tuple[str, int], list[tuple[float, Any]]] = {}
        cost: list[tuple[float, Any]] = []
        if self.pv is not None:
            cost += _define_pv(m, inputs, self.pv, options.curtailment, w_cost, injection)
        if self.battery is not None:
            if self.battery.capacity is None:
                raise InputDataError(f"battery {self.battery.id!r}: it has no capacity to size")
            units = (self.battery,)
            unit_vars = define_battery(m, inputs, units, layout.nonconvex_steps, SIZED)
            for key, pairs in storage_injection(units, unit_vars).items():
                injection.setdefault(key, []).extend(pairs)
            cost += storage_cost(units, unit_vars, inputs, w_cost)
        return BlockTerms(injection=injection, cost=cost)


def _define_pv(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    pv: ExtendablePV,
    curtailment: bool,
    w_cost: float,
    injection: dict[tuple[str, int], list[tuple[float, Any]]],
) -> list[tuple[float, Any]]:
    """Add the candidate PV's capacity, output and rows (module docstring); return its costs."""
    on = pv.on_steps
    prof = pv.profile_kw_per_kwp.tolist()
    m.cap_pv_kwp = pyo.Var(bounds=(pv.kwp_min, pv.kwp_max))
    m.PV_SIZED_ON = pyo.Set(initialize=on, ordered=True)
    m.p_pv_sized_kw = pyo.Var(m.PV_SIZED_ON, bounds=lambda m, t: (0.0, prof[t] * pv.kwp_max))
    fixed_output = not (pv.curtailable and curtailment)

    @m.Constraint(m.PV_SIZED_ON)
    def pv_sized_output(m: pyo.ConcreteModel, t: int) -> Any:
        row = linear([1.0, -prof[t]], [m.p_pv_sized_kw[t], m.cap_pv_kwp])
        return equal(row, 0.0) if fixed_output else at_most(row, 0.0)

    for t in on:
        injection.setdefault((pv.node, t), []).append((-1.0, m.p_pv_sized_kw[t]))
    return [(w_cost * pv.eur_per_kwp_year * inputs.horizon_years, m.cap_pv_kwp)]


@dataclass(frozen=True)
class Capacities:
    """Solved capacities [kWp, kWh, kW]; None where there was no candidate."""

    pv_kwp: float | None
    battery_kwh: float | None
    battery_kw: float | None


def _snap(x: float) -> float:
    return 0.0 if abs(x) < CAPACITY_TOL else float(x)


def read_capacities(values: Mapping[str, np.ndarray], block: CapacityBlock) -> Capacities:
    """Return the solved capacities of a sized dispatch (values below 1e-6 -> 0).

    ``values`` are the solved values by component name
    (:attr:`energy.optimisation.solve.SolveResult.values`).
    """
    sized = block.battery is not None
    return Capacities(
        pv_kwp=_snap(float(values["cap_pv_kwp"][0])) if block.pv is not None else None,
        battery_kwh=_snap(float(values[f"cap{SIZED}_kwh"][0])) if sized else None,
        battery_kw=_snap(float(values[f"cap{SIZED}_kw"][0])) if sized else None,
    )
