r"""Peak import: a peak charge on the horizon's largest import and an import cap.

:class:`PeakBlock` is a model block (:mod:`energy.optimisation.blocks`,
stage ``"assets"``, so the copper-plate aggregation stays on) with two
optional parts:

* a **peak charge** :math:`\kappa` [EUR/kW] on the largest import of the
  horizon (the demand charge of German grid-fee schedules for customers with
  load metering, "Leistungspreis", StromNEV Section 17; here charged on the
  horizon's maximum, as :func:`energy.kpi.compute_kpis` does):

  .. math::

      P^{peak} \ge P^{imp}_t \;\forall t, \qquad
      \text{objective} \mathrel{+}= w_c\,\kappa\,P^{peak}

* an **import cap** :math:`\bar P^{cap}` [kW] that a planner sets where the
  grid operator wants the peak (e.g. an agreed connection power below the
  transformer's rating). It is held wherever the batteries and lighting can
  hold it; where they cannot, the excess :math:`X_t \ge 0` is drawn anyway at
  a penalty of a tenth of the unserved-load penalty (so load is never dropped
  to keep the cap) and the run reports it
  (:func:`cap_excess_kw`, :mod:`energy.grid_status`):

  .. math::

      P^{imp}_t - X_t \le \bar P^{cap} \;\forall t, \qquad
      \text{objective} \mathrel{+}= \tfrac{M}{10} \sum_t X_t

=====================  ======================  =====
symbol                 attribute               unit
=====================  ======================  =====
:math:`P^{peak}`       ``p_peak_kw``           kW
:math:`X_t`            ``p_cap_excess_kw[t]``  kW
:math:`\bar P^{cap}`   ``import_cap_kw``       kW
:math:`\kappa`         ``peak_charge_eur_per_kw``  EUR/kW
:math:`M`              ``layout.penalty``      EUR/kW per step
=====================  ======================  =====
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo

from energy.optimisation.blocks import BlockTerms, Stage
from energy.optimisation.layout import DispatchLayout
from energy.optimisation.options import DispatchOptions
from energy.optimisation.rows import at_most, linear
from energy.system import DispatchInputs

#: Penalty of a kW drawn above the import cap, as a fraction of the unserved-load penalty.
CAP_PENALTY_FRAC = 0.1
#: Excess above the cap below this [kW] is solver noise.
CAP_TOL_KW = 1e-6


@dataclass(frozen=True)
class PeakBlock:
    """Peak charge [EUR/kW] on the horizon's largest import and an optional import cap [kW]."""

    peak_charge_eur_per_kw: float = 0.0
    import_cap_kw: float | None = None

    @property
    def stage(self) -> Stage:
        """``"assets"``: the block adds no injections and keeps the aggregation."""
        return "assets"

    def define(
        self,
        m: pyo.ConcreteModel,
        inputs: DispatchInputs,
        layout: DispatchLayout,
        options: DispatchOptions,
    ) -> BlockTerms:
        """Add the peak variable and/or the soft cap rows (module docstring)."""
        cost: list[tuple[float, Any]] = []
        imp = list(m.p_import_kw.values())
        if self.peak_charge_eur_per_kw > 0:
            m.p_peak_kw = pyo.Var(bounds=(0.0, inputs.import_limit_kw))

            @m.Constraint(m.T)
            def peak_import(m: pyo.ConcreteModel, t: int) -> Any:
                return at_most(linear([1.0, -1.0], [imp[t], m.p_peak_kw]), 0.0)

            w_cost = options.term_weights()["cost"]
            cost.append((w_cost * self.peak_charge_eur_per_kw, m.p_peak_kw))
        cap = self.import_cap_kw
        if cap is not None and cap < inputs.import_limit_kw:
            m.p_cap_excess_kw = pyo.Var(m.T, bounds=(0.0, None))

            @m.Constraint(m.T)
            def import_cap(m: pyo.ConcreteModel, t: int) -> Any:
                return at_most(linear([1.0, -1.0], [imp[t], m.p_cap_excess_kw[t]]), cap)

            cost += [(CAP_PENALTY_FRAC * layout.penalty, x) for x in m.p_cap_excess_kw.values()]
        return BlockTerms(cost=cost)


def peak_blocks(inputs: DispatchInputs, options: DispatchOptions) -> list[PeakBlock]:
    """Return the peak block a dispatch needs: none without a peak charge or cap."""
    charge = inputs.peak_charge_eur_per_kw
    cap = options.import_cap_kw
    if charge <= 0 and cap is None:
        return []
    return [PeakBlock(charge, cap)]


def cap_excess_kw(p_import_kw: np.ndarray, import_cap_kw: float | None) -> np.ndarray:
    """Import above the cap per step [kW] (0 where held or without a cap)."""
    imp = np.asarray(p_import_kw, dtype=float)
    if import_cap_kw is None:
        return np.zeros_like(imp)
    excess = imp - import_cap_kw
    return np.where(excess > CAP_TOL_KW, excess, 0.0)
