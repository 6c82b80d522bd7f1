r"""Autarky as a target: a minimum self-sufficiency over the horizon, as a model block.

:class:`AutarkyBlock` adds one row: the energy imported at the transformer
may be at most :math:`1 - s` of the district's consumption, as the
minimal degree of autonomy of the Multi-Vector Simulator (MVS,
https://multi-vector-simulator.readthedocs.io, "minimal_degree_of_autonomy"):

.. math::

    \sum_t P^{imp}_t \Delta t \le (1 - s) \sum_t C_t \Delta t

Electricity (``metric="self_sufficiency"``, :func:`energy.kpi.compute_kpis`):
:math:`C_t` = building loads + street lighting + heat-pump compressors and
backup heaters + EV charging. Electricity and heat
(``"self_sufficiency_heat"``, :func:`energy.kpi.flex_kpis`): heat pumps
counted by the heat they deliver instead of their electricity,
:math:`C_t` = loads + lighting + EV charging + heat demand - shortfall.
The variable parts (lighting above its base level, heat pumps, charging,
shortfall) move to the left-hand side, so the row stays linear; the block
must come after the blocks of the flexible loads
(:func:`energy.optimisation.flex.flex_blocks`, which
:func:`~energy.optimisation.dispatch.optimise` puts first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyomo.environ as pyo

from energy.errors import InputDataError
from energy.optimisation.blocks import BlockTerms, Stage
from energy.optimisation.layout import DispatchLayout
from energy.optimisation.lighting import lighting_base_level
from energy.optimisation.options import DispatchOptions
from energy.optimisation.rows import at_most, linear
from energy.system import DispatchInputs

AutarkyMetric = Literal["self_sufficiency", "self_sufficiency_heat"]


@dataclass(frozen=True)
class AutarkyBlock:
    """At least ``min_share`` self-sufficiency of kind ``metric`` (module docstring)."""

    min_share: float
    metric: AutarkyMetric = "self_sufficiency"

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_share <= 1.0:
            raise InputDataError(
                f"min_share: {self.min_share} is not allowed; a self-sufficiency lies in 0..1"
            )
        if self.metric not in ("self_sufficiency", "self_sufficiency_heat"):
            raise InputDataError(
                f"metric: {self.metric!r} is not allowed; use self_sufficiency or "
                "self_sufficiency_heat"
            )

    @property
    def stage(self) -> Stage:
        """Assets (it adds no injection and keeps the aggregation)."""
        return "assets"

    def define(
        self,
        m: pyo.ConcreteModel,
        inputs: DispatchInputs,
        layout: DispatchLayout,
        options: DispatchOptions,
    ) -> BlockTerms:
        """Add the self-sufficiency row ``m.autarky``."""
        dt = inputs.dt_h
        share = 1.0 - self.min_share
        const = float(inputs.load_kw.to_numpy().sum()) * dt
        coefs = [dt] * inputs.n_steps
        xs: list[Any] = list(m.p_import_kw.values())
        if inputs.lighting is not None:
            const += float(inputs.lighting_power_kw(lighting_base_level(inputs, layout)).sum()) * dt
            if layout.lighting == "flex":
                coefs += [-share * dt] * len(layout.flex_steps)
                xs += [m.p_light_flex_kw[t] for t in layout.flex_steps]
            elif layout.lighting == "level":
                db = (
                    np.asarray(inputs.lighting.dark_frac)
                    * np.asarray(inputs.lighting.b_kw)[:, None]
                )
                coefs += [-share * dt * float(db[g, t]) for g, t in layout.light_on]
                xs += [m.level[g, t] for g, t in layout.light_on]
        heat = self.metric == "self_sufficiency_heat"
        flex = inputs.flex
        if flex is not None and flex.heat_pumps:
            if heat:
                demand = sum(
                    float((u.q_space_kw + u.q_hot_water_kw).sum()) for u in flex.heat_pumps
                )
                const += demand * dt
                xs_unmet = list(m.q_unmet_kw.values())
                coefs += [share * dt] * len(xs_unmet)
                xs += xs_unmet
            else:
                pumps = list(m.p_heat_pump_kw.values()) + list(m.p_backup_heater_kw.values())
                coefs += [-share * dt] * len(pumps)
                xs += pumps
        if flex is not None and flex.ev_groups:
            # the energy charged over the horizon is each group's last charged-energy state
            ends = [m.ev_charged_kwh[g.id, inputs.n_steps] for g in flex.ev_groups]
            coefs += [-share] * len(ends)
            xs += ends
        m.autarky = pyo.Constraint(expr=at_most(linear(coefs, xs), share * const))
        return BlockTerms()
