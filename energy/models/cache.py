"""Per-process caches of the weather-independent inputs and of the built grid.

The members of an ensemble (and the points of a sweep) run the same district
over the same horizon with other weather, prices or assets: their building
loads (BDEW profiles), lighting inputs (dark fractions of the site) and
grid (pandapower net) are the same. :func:`loads_kw`, :func:`lighting` and
:func:`network` compute each once per process and key and hand out copies
(a DataFrame copy, the same immutable lighting arrays, a deep copy of the
net), so that no caller changes what another gets; :func:`runner` keeps the
grid's AC power-flow set-up, shared (it changes nothing it was given).

Keys are the JSON form of exactly the spec parts each depends on (site and
buildings; site and lighting groups; everything but the tariff) and the
horizon (first step, length, step). At most :data:`MAX_ENTRIES` keys are kept
per cache, oldest out first.
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from energy.district import District
from energy.models.demand import district_loads_kw
from energy.models.lighting import LightingInputs, lighting_inputs

if TYPE_CHECKING:
    import pandapower as pp

    from energy.models.grid.powerflow import TimeSeriesRunner

#: Keys kept per cache.
MAX_ENTRIES = 8

T = TypeVar("T")
_CACHES: dict[str, OrderedDict[str, Any]] = {}


def _key(parts: Any, index: pd.DatetimeIndex | None = None) -> str:
    horizon = None if index is None else (str(index[0]), len(index), str(index.freq))
    return json.dumps([parts, horizon], sort_keys=True, default=str)


def _get(name: str, key: str, make: Callable[[], T]) -> T:
    cache = _CACHES.setdefault(name, OrderedDict())
    if key in cache:
        cache.move_to_end(key)
        value: T = cache[key]
        return value
    value = make()
    cache[key] = value
    while len(cache) > MAX_ENTRIES:
        cache.popitem(last=False)
    return value


def clear() -> None:
    """Empty every cache (e.g. after changing shipped data files)."""
    _CACHES.clear()


def loads_kw(district: District, index: pd.DatetimeIndex) -> pd.DataFrame:
    """:func:`energy.models.demand.district_loads_kw`, once per buildings and horizon (a copy)."""
    parts = [district.site.model_dump(), [b.model_dump() for b in district.buildings]]
    frame = _get("loads", _key(parts, index), lambda: district_loads_kw(district, index))
    return frame.copy()


def lighting(district: District, index: pd.DatetimeIndex) -> LightingInputs:
    """:func:`energy.models.lighting.lighting_inputs`, once per groups and horizon."""
    parts = [district.site.model_dump(), [g.model_dump() for g in district.lighting]]
    return _get("lighting", _key(parts, index), lambda: lighting_inputs(district, index))


def runner(district: District) -> TimeSeriesRunner:
    """Return the AC power flow of the district's own grid, prepared once (``TimeSeriesRunner``).

    Keyed as :func:`network`; the runner never changes its net and solves one
    schedule at a time (a lock), so threads share it. Its set-up (working
    copy, no-load flow, lightsim2grid model) cost 0.09-0.28 s per AC check
    of the Gera year before (benchmarks/bench_year.py).
    """
    from energy.models.grid.powerflow import TimeSeriesRunner

    return _get("runner", _grid_key(district), lambda: TimeSeriesRunner(network(district)))


def network(district: District) -> pp.pandapowerNet:
    """:func:`energy.models.grid.build_network`, once per district without its tariff (a copy)."""
    from energy.models.grid import build_network

    return copy.deepcopy(_get("network", _grid_key(district), lambda: build_network(district)))


def _grid_key(district: District) -> str:
    """Key of the grid built from a district: everything but its tariff."""
    return _key(district.model_dump(mode="json", exclude={"tariff"}))
