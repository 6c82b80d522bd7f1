"""Model blocks: how an optional piece of physics joins the dispatch model.

:func:`energy.optimisation.model.build_model` builds the core of the model
(grid exchange, batteries, PV curtailment, lighting, the balance, the node
injections, the objective) and takes any number of further *blocks*: objects
with a ``stage`` and a ``define`` method (:class:`ModelBlock`). A block adds
its own variables and rows to the model and returns, as :class:`BlockTerms`,
its net power per node and step (it joins the balance and the node
injections) and its objective terms. Capacity sizing
(:class:`energy.optimisation.capacity.CapacityBlock`) and linearised network
limits (:class:`energy.optimisation.network.NetworkLimits`) are blocks; new
assets (heat pumps, EV charging) and targets (autarky) are added the same way,
without touching the core.

Stages
------
``"assets"``
    Defined after the core assets and before the balance; the block's
    injections join the balance (and, without aggregation, the node
    injections). The copper-plate aggregation stays on.
``"limits"``
    Defined after the node injections ``m.p_node_kw[node, t]`` [kW] exist,
    which the block's rows may use; it must not add injections. Such a block
    switches the aggregation off, so that every node keeps its own injection.

Example
-------
A heat pump of electrical power ``P^{hp}_t <= 20 kW`` at building ``H`` that
must deliver a heat demand ``Q_t`` [kW] with a coefficient of performance of 3
(the variable's name says its unit, the row is built with the helpers of
:mod:`energy.optimisation.rows`)::

    @dataclass(frozen=True)
    class HeatPumpBlock:
        node: str
        heat_kw: list[float]

        @property
        def stage(self) -> Stage:
            return "assets"

        def define(self, m, inputs, layout, options) -> BlockTerms:
            m.p_heat_pump_kw = pyo.Var(m.T, bounds=(0.0, 20.0))

            @m.Constraint(m.T)
            def heat_delivered(m, t):
                return equal(linear([3.0], [m.p_heat_pump_kw[t]]), self.heat_kw[t])

            return BlockTerms(
                injection={(self.node, t): [(1.0, m.p_heat_pump_kw[t])] for t in m.T}
            )

    model = build_model(inputs, options, [HeatPumpBlock("H", heat)])

Signs: injections follow the load convention (+ = drawn from the grid);
objective terms are in the objective's units (EUR for the cost objective,
weighted by ``options.term_weights()``, which the block applies itself).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pyomo.environ as pyo

from energy.optimisation.layout import DispatchLayout
from energy.optimisation.options import DispatchOptions
from energy.system import DispatchInputs

Stage = Literal["assets", "limits"]


@dataclass(frozen=True)
class BlockTerms:
    """What a block contributes to the model's shared rows.

    ``injection[(node, t)]`` holds ``(coefficient, variable)`` pairs of the net
    power of ``node`` in step ``t`` [kW], load convention (+ = drawn from the
    grid); they enter the balance (:func:`~energy.optimisation.model.define_balance`)
    and the node injections (:func:`~energy.optimisation.model.define_node_injections`).
    ``cost`` holds ``(coefficient, variable)`` pairs added to the objective.
    """

    injection: Mapping[tuple[str, int], Sequence[tuple[float, Any]]] = field(default_factory=dict)
    cost: Sequence[tuple[float, Any]] = ()


class ModelBlock(Protocol):
    """An optional part of the dispatch model (module docstring)."""

    @property
    def stage(self) -> Stage:
        """``"assets"`` or ``"limits"`` (module docstring)."""
        ...

    def define(
        self,
        m: pyo.ConcreteModel,
        inputs: DispatchInputs,
        layout: DispatchLayout,
        options: DispatchOptions,
    ) -> BlockTerms:
        """Add the block's variables and rows to ``m``; return its injections and costs."""
        ...
