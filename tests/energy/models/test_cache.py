"""Per-process caches of loads, lighting inputs and the built grid (energy.models.cache)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import energy.models.grid as grid
from energy.district import GERA_DISTRICT_FILE, load_district
from energy.models import cache
from energy.models.demand import district_loads_kw
from energy.models.grid.powerflow import TimeSeriesRunner
from energy.timeindex import make_index


def test_loads_lighting_and_network_are_made_once_and_handed_out_safely(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache.clear()
    gera = load_district(GERA_DISTRICT_FILE)
    index = make_index("2025-06-02", 2)
    loads = cache.loads_kw(gera, index)
    pd.testing.assert_frame_equal(loads, district_loads_kw(gera, index))
    loads.iloc[0, 0] = -1.0  # a caller's change does not reach the next caller
    assert cache.loads_kw(gera, index).iloc[0, 0] >= 0.0
    assert cache.lighting(gera, index) is cache.lighting(gera, index)
    other = make_index("2025-06-03", 2)
    assert not cache.loads_kw(gera, other).index.equals(loads.index)
    built: list[int] = []
    real = grid.build_network

    def counting(district, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        return real(district, *args, **kwargs)

    monkeypatch.setattr(grid, "build_network", counting)
    first = cache.network(gera)
    # an ensemble member differs by its price year only: the same grid, built once
    priced = gera.model_copy(update={"tariff": gera.tariff.model_copy(update={"price_year": 2023})})
    second = cache.network(priced)
    assert len(built) == 1 and first is not second
    first.bus.loc[first.bus.index[0], "vn_kv"] = 99.0  # a deep copy each time
    assert cache.network(gera).bus["vn_kv"].iloc[0] != 99.0
    no_pv = gera.model_copy(update={"pv": []})
    cache.network(no_pv)
    assert len(built) == 2
    cache.clear()


def test_the_grid_power_flow_is_prepared_once_and_shared_by_threads_safely() -> None:
    """Two threads on one cached runner give what a runner of their own gives, step by step."""
    cache.clear()
    gera = load_district(GERA_DISTRICT_FILE)
    runner = cache.runner(gera)
    assert cache.runner(gera) is runner
    index = make_index("2025-06-02", 2)
    nodes = [b.id for b in gera.buildings]
    rng = np.random.default_rng(5)
    schedules = [
        pd.DataFrame(rng.uniform(-20.0, 30.0, (len(index), len(nodes))), index=index, columns=nodes)
        for _ in range(2)
    ]
    own = [TimeSeriesRunner(grid.build_network(gera)).run(s).vm_pu for s in schedules]
    with ThreadPoolExecutor(max_workers=2) as pool:
        shared = list(pool.map(lambda s: runner.run(s).vm_pu, schedules * 3))
    for i, vm in enumerate(shared):
        pd.testing.assert_frame_equal(vm, own[i % 2], rtol=1e-9)
    assert not own[0].equals(own[1])
    cache.clear()
