"""Dispatch optimisation (Pyomo + HiGHS): the model as blocks, its solve and read-back.

Modules, from the entry point down: :mod:`.dispatch` (``optimise``: pre-check,
build, solve, read back), :mod:`.grid_aware` (dispatch re-checked by AC power
flow), :mod:`.model` (``build_model`` and the core rows), :mod:`.blocks` (the
model-block protocol), :mod:`.capacity` and :mod:`.network` (blocks),
:mod:`.storage` and :mod:`.lighting` (asset physics), :mod:`.layout` (units and
sparse sets), :mod:`.rows` (row helpers), :mod:`.options`, :mod:`.solve`
(HiGHS) and :mod:`.diagnose` (infeasibility in words). The package reads
:mod:`energy.system` and :mod:`energy.models`, never the layers above.
"""
