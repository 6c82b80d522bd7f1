r"""Autarky as a target: a minimum self-sufficiency over the horizon, as a model block.

:class:`AutarkyBlock` adds two rows: the district's consumption over the
horizon as a variable :math:`C` [kWh], and the energy imported at the
transformer may be at most :math:`1 - s` of it, as the minimal degree of
autonomy of the Multi-Vector Simulator (MVS,
https://multi-vector-simulator.readthedocs.io, "minimal_degree_of_autonomy"):

.. math::

    C = \sum_t C_t \Delta t, \qquad \sum_t P^{imp}_t \Delta t - (1 - s) C \le 0

Electricity (``metric="self_sufficiency"``, :func:`energy.kpi.compute_kpis`):
:math:`C_t` = building loads + street lighting + heat-pump compressors and
backup heaters + EV charging. Electricity and heat
(``"self_sufficiency_heat"``, :func:`energy.kpi.flex_kpis`): heat pumps
counted by the heat they deliver instead of their electricity,
:math:`C_t` = loads + lighting + EV charging + heat demand - shortfall.
The fixed parts of :math:`C` are the right-hand side of its row, the
variable parts (lighting above its base level, heat pumps, charging,
shortfall) its left-hand side; the block must come after the blocks of the
flexible loads (:func:`energy.optimisation.flex.flex_blocks`, which
:func:`~energy.optimisation.dispatch.optimise` puts first).

With :math:`C` a variable, another target changes one coefficient and one
bound of the model handed to HiGHS (:func:`set_target`), so that a sequence
of targets (:func:`energy.studies.pareto.pareto`) re-solves from the previous
optimal basis instead of from scratch; ``min_share=None`` builds the rows
with the target row free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo

from energy.errors import InputDataError
from energy.optimisation.blocks import BlockTerms, Stage
from energy.optimisation.layout import DispatchLayout
from energy.optimisation.lighting import lighting_base_level
from energy.optimisation.options import AutarkyMetric, DispatchChoices, DispatchOptions
from energy.optimisation.rows import at_most, equal, linear
from energy.optimisation.solve import HighsHandover
from energy.system import DispatchInputs

#: Names of the block's consumption variable [kWh] and target row in the model.
CONSUMPTION = "autarky_consumption_kwh"
TARGET_ROW = "autarky"


@dataclass(frozen=True)
class AutarkyBlock:
    """At least ``min_share`` self-sufficiency of kind ``metric`` (module docstring).

    ``min_share=None``: the rows are built, the target row is free (no target
    yet; :func:`set_target` sets one in the handed-over model).
    """

    min_share: float | None
    metric: AutarkyMetric = "self_sufficiency"

    def __post_init__(self) -> None:
        check_target(self.min_share)
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
        """Add the consumption variable, its row ``m.autarky_consumption`` and ``m.autarky``."""
        const, weights, xs = consumption_terms(m, inputs, layout, self.metric)
        total = pyo.Var()
        m.add_component(CONSUMPTION, total)
        m.autarky_consumption = pyo.Constraint(
            expr=equal(linear([1.0, *(-w for w in weights)], [total, *xs]), const)
        )
        dt = inputs.dt_h
        imports = list(m.p_import_kw.values())
        share = 1.0 if self.min_share is None else 1.0 - self.min_share
        row = linear([dt] * len(imports) + [-share], [*imports, total])
        upper = math.inf if self.min_share is None else 0.0
        m.add_component(TARGET_ROW, pyo.Constraint(expr=at_most(row, upper)))
        return BlockTerms()


def autarky_blocks(options: DispatchChoices) -> list[AutarkyBlock]:
    """Return the block of ``options.min_self_sufficiency`` (none without a target)."""
    if options.min_self_sufficiency is None:
        return []
    return [AutarkyBlock(options.min_self_sufficiency, options.autarky_metric)]


def check_target(min_share: float | None) -> None:
    """Raise :class:`InputDataError` unless ``min_share`` is None or a share in 0..1."""
    if min_share is not None and not 0.0 <= min_share <= 1.0:
        raise InputDataError(
            f"min_share: {min_share} is not allowed; a self-sufficiency lies in 0..1"
        )


def consumption_terms(
    m: pyo.ConcreteModel, inputs: DispatchInputs, layout: DispatchLayout, metric: AutarkyMetric
) -> tuple[float, list[float], list[Any]]:
    """Consumption over the horizon as ``const + sum(weights * xs)`` [kWh] (module docstring)."""
    dt = inputs.dt_h
    const = float(inputs.load_kw.to_numpy().sum()) * dt
    weights: list[float] = []
    xs: list[Any] = []
    if inputs.lighting is not None:
        const += float(inputs.lighting_power_kw(lighting_base_level(inputs, layout)).sum()) * dt
        if layout.lighting == "flex":
            weights += [dt] * len(layout.flex_steps)
            xs += [m.p_light_flex_kw[t] for t in layout.flex_steps]
        elif layout.lighting == "level":
            db = np.asarray(inputs.lighting.dark_frac) * np.asarray(inputs.lighting.b_kw)[:, None]
            weights += [dt * float(db[g, t]) for g, t in layout.light_on]
            xs += [m.level[g, t] for g, t in layout.light_on]
    flex = inputs.flex
    if flex is not None and flex.heat_pumps:
        if metric == "self_sufficiency_heat":
            const += dt * sum(
                float((u.q_space_kw + u.q_hot_water_kw).sum()) for u in flex.heat_pumps
            )
            unmet = list(m.q_unmet_kw.values())
            weights += [-dt] * len(unmet)
            xs += unmet
        else:
            pumps = list(m.p_heat_pump_kw.values()) + list(m.p_backup_heater_kw.values())
            weights += [dt] * len(pumps)
            xs += pumps
    if flex is not None and flex.ev_groups:
        # the energy charged over the horizon is each group's last charged-energy state
        ends = [m.ev_charged_kwh[g.id, inputs.n_steps] for g in flex.ev_groups]
        weights += [1.0] * len(ends)
        xs += ends
    return const, weights, xs


def set_target(hand: HighsHandover, min_share: float) -> None:
    """Set the target of a handed-over model with an :class:`AutarkyBlock` to ``min_share``.

    Changes the coefficient of :math:`C` in the target row to :math:`-(1 - s)`
    and its upper bound to 0; HiGHS keeps its basis, so the next solve starts
    from the previous optimum (dual simplex: only the target row is violated).
    """
    check_target(min_share)
    row = hand.row_index(TARGET_ROW)
    hand.highs.changeCoeff(row, hand.column_index(CONSUMPTION), -(1.0 - min_share))
    hand.highs.changeRowBounds(row, -math.inf, 0.0)
