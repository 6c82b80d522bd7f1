"""Street lighting in the dispatch model: dim levels, the district's flexible lighting power.

:func:`define_lighting` (equations and symbol table there) and the fixed part of
lighting power in the balance (:func:`lighting_base_level`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo

from energy.optimisation.layout import DispatchLayout
from energy.optimisation.options import DispatchOptions
from energy.optimisation.rows import at_most, equal, linear
from energy.system import DispatchInputs


def _allowed_levels(inputs: DispatchInputs, options: DispatchOptions, g: int) -> list[float]:
    light = inputs.lighting
    assert light is not None
    if options.lighting_levels == "class":
        levels = {float(x) for x in light.discrete_levels[g]}
    else:
        levels = {float(x) for x in options.level_steps}
    levels.add(1.0)
    return sorted(levels)


def define_lighting(
    m: pyo.ConcreteModel, inputs: DispatchInputs, layout: DispatchLayout, options: DispatchOptions
) -> None:
    r"""Street lighting: dim level per group and dark step, and the group's power.

    .. math::

        P^{light}_{g,t} = d_{g,t} (a_g + b_g \lambda_{g,t}) + (1 - d_{g,t}) P^{sb}_g,
        \qquad \underline\lambda_{g,t} \le \lambda_{g,t} \le 1

    (LIGHTING.md: luminaire input power linear in light output with a driver
    offset). A level exists only where :math:`d_{g,t} > 0`; in full daylight a
    group draws standby power only.

    LP on the copper plate (``layout.lighting == "flex"``): the groups share
    one balance, so only the district's lighting power above its minimum
    matters, :math:`0 \le X_t \le \sum_g d_{g,t} b_g (1 - \underline\lambda_{g,t})`;
    any :math:`X_t` splits exactly onto the groups as
    :math:`\lambda_{g,t} = \underline\lambda_{g,t} + (1 - \underline\lambda_{g,t}) X_t / \bar X_t`.

    MILP mode: binaries :math:`y_{g,t,k}` choose one allowed discrete level
    :math:`L_k \ge \underline\lambda_{g,t}`; :math:`\lambda_{g,t} = \sum_k L_k y_{g,t,k}`.
    A night is a run of consecutive dark steps; a change at step :math:`t`
    (not the first of its night) is :math:`z_{g,t} \ge y_{g,t,k} - y_{g,t-1,k}`
    for every :math:`k`, and :math:`\sum_{t \in night} z_{g,t} \le N^{chg}`.

    Without a benefit for light the LP keeps every level at its lower bound,
    the minimum compliant level (LIGHTING.md); it goes higher only where
    energy has a negative price.

    ==========================  ===========================  =====
    symbol                      attribute                    unit
    ==========================  ===========================  =====
    :math:`\lambda_{g,t}`       ``level[g, t]``              --
    :math:`X_t`                 ``p_light_flex_kw[t]``       kW
    :math:`d_{g,t}`             ``lighting.dark_frac``       --
    :math:`\underline\lambda`   ``lighting.min_level_frac``  --
    :math:`a_g, b_g`            ``lighting.a_kw, b_kw``      kW
    :math:`P^{sb}_g`            ``lighting.standby_kw``      kW
    :math:`y_{g,t,k}`           ``level_on[g, t, k]``        0/1
    :math:`z_{g,t}`             ``level_change[g, t]``       --
    ==========================  ===========================  =====
    """
    m.FLEX = pyo.Set(initialize=layout.flex_steps, ordered=True)
    m.LIGHT_ON = pyo.Set(dimen=2, initialize=layout.light_on, ordered=True)
    light = inputs.lighting
    if layout.lighting == "flex":
        flex_max = layout.flex_max_kw.tolist()
        m.p_light_flex_kw = pyo.Var(m.FLEX, bounds=lambda m, t: (0.0, flex_max[t]))
        return
    if light is None or not layout.light_on:
        return
    lo = np.asarray(light.min_level_frac, dtype=float).tolist()
    m.level = pyo.Var(m.LIGHT_ON, bounds=lambda m, g, t: (lo[g][t], 1.0))
    if options.lighting_mode != "milp":
        return
    levels_of = {g: _allowed_levels(inputs, options, g) for g in range(len(light.group_ids))}
    by_step: dict[tuple[int, int], list[int]] = {}
    for g, t in layout.light_on:
        by_step[g, t] = [k for k, lev in enumerate(levels_of[g]) if lev >= lo[g][t] - 1e-9]
    _define_level_choice(m, levels_of, by_step)
    if options.max_changes_per_night is not None:
        _define_change_limit(m, layout, by_step, float(options.max_changes_per_night))


def _define_level_choice(
    m: pyo.ConcreteModel,
    levels_of: dict[int, list[float]],
    by_step: dict[tuple[int, int], list[int]],
) -> None:
    """MILP: one allowed level per group and dark step, and the level it stands for."""
    m.LEVEL_CHOICE = pyo.Set(
        dimen=3, ordered=True, initialize=[(g, t, k) for (g, t), ks in by_step.items() for k in ks]
    )
    m.level_on = pyo.Var(m.LEVEL_CHOICE, domain=pyo.Binary)

    @m.Constraint(m.LIGHT_ON)
    def level_choice(m: pyo.ConcreteModel, g: int, t: int) -> Any:
        ks = by_step[g, t]
        return equal(linear([1.0] * len(ks), [m.level_on[g, t, k] for k in ks]), 1.0)

    @m.Constraint(m.LIGHT_ON)
    def level_value(m: pyo.ConcreteModel, g: int, t: int) -> Any:
        ks = by_step[g, t]
        return equal(
            linear(
                [1.0] + [-levels_of[g][k] for k in ks],
                [m.level[g, t]] + [m.level_on[g, t, k] for k in ks],
            ),
            0.0,
        )


def _define_change_limit(
    m: pyo.ConcreteModel,
    layout: DispatchLayout,
    by_step: dict[tuple[int, int], list[int]],
    limit: float,
) -> None:
    """MILP: level changes within a night, at most ``limit`` per night and group."""
    nights: list[list[tuple[int, int]]] = []  # per night: the steps after its first
    for g, t in layout.light_on:
        if (g, t - 1) in by_step:
            nights[-1].append((g, t))
        else:
            nights.append([])
    nights = [night for night in nights if night]
    m.LEVEL_CONT = pyo.Set(dimen=2, ordered=True, initialize=[p for night in nights for p in night])
    m.level_change = pyo.Var(m.LEVEL_CONT, bounds=(0.0, 1.0))

    @m.Constraint([(g, t, k) for g, t in m.LEVEL_CONT for k in by_step[g, t]])
    def level_change_def(m: pyo.ConcreteModel, g: int, t: int, k: int) -> Any:
        if k in by_step[g, t - 1]:
            return at_most(
                linear(
                    [1.0, -1.0, -1.0],
                    [m.level_on[g, t, k], m.level_on[g, t - 1, k], m.level_change[g, t]],
                ),
                0.0,
            )
        return at_most(linear([1.0, -1.0], [m.level_on[g, t, k], m.level_change[g, t]]), 0.0)

    m.NIGHTS = pyo.Set(initialize=range(len(nights)), ordered=True)

    @m.Constraint(m.NIGHTS)
    def changes_per_night(m: pyo.ConcreteModel, i: int) -> Any:
        night = nights[i]
        return at_most(linear([1.0] * len(night), [m.level_change[p] for p in night]), limit)


def lighting_base_level(inputs: DispatchInputs, layout: DispatchLayout) -> np.ndarray:
    """(G, n) levels whose power is the fixed part of lighting in the balance.

    The minimum level for the ``flex`` layout (the variable adds power above
    it), zero for the ``level`` layout (the variable carries ``d b lambda``).
    """
    light = inputs.lighting
    assert light is not None
    if layout.lighting == "flex":
        return np.asarray(light.min_level_frac, dtype=float)
    return np.zeros(np.shape(light.dark_frac))
