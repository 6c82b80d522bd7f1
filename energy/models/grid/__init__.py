"""The low-voltage grid: pandapower network, AC time series, violations, hosting capacity.

Modules:

* :mod:`~energy.models.grid.build`: the net of a district (:func:`build_network`),
  imported nets (:func:`import_network`, :func:`check_simbench_code`, :func:`map_to_district`,
  :func:`network_profiles_kw`), the node map (:func:`node_buses`);
* :mod:`~energy.models.grid.powerflow`: year-long AC time series
  (:func:`run_timeseries`, :class:`TimeSeriesRunner`, :class:`GridTimeSeriesResult`);
* :mod:`~energy.models.grid.check`: limits, violations, KPIs
  (:class:`Limits`, :func:`violations`, :func:`check_schedule`, :class:`GridCheckResult`);
* reactive power of loads, lighting and PV for the AC check is
  :mod:`energy.models.reactive` (outside this package, so that it loads
  without pandapower);
* :mod:`~energy.models.grid.hosting`: PV hosting capacity of a base schedule
  (:func:`hosting_capacity`); a district's, on its baseline B0, is
  :func:`energy.studies.hosting.district_hosting_capacity`;
* :mod:`~energy.models.grid.geojson`: map export (:func:`to_geojson`).

The linearised limits for grid-aware dispatch live in :mod:`energy.optimisation.network`.
"""

from energy.district import LIGHT_PREFIX, SUBSTATION_NODE, lighting_node
from energy.models.grid.build import (
    build_network,
    check_simbench_code,
    import_network,
    map_to_district,
    network_profiles_kw,
    node_buses,
    set_node_buses,
)
from energy.models.grid.check import (
    GridCheckResult,
    Limits,
    check_result,
    check_schedule,
    violations,
)
from energy.models.grid.geojson import to_geojson
from energy.models.grid.hosting import (
    HostingCapacityResult,
    hosting_capacity,
)
from energy.models.grid.powerflow import GridTimeSeriesResult, TimeSeriesRunner, run_timeseries

__all__ = [
    "LIGHT_PREFIX",
    "SUBSTATION_NODE",
    "GridCheckResult",
    "GridTimeSeriesResult",
    "HostingCapacityResult",
    "Limits",
    "TimeSeriesRunner",
    "build_network",
    "check_result",
    "check_schedule",
    "check_simbench_code",
    "hosting_capacity",
    "import_network",
    "lighting_node",
    "map_to_district",
    "network_profiles_kw",
    "node_buses",
    "run_timeseries",
    "set_node_buses",
    "to_geojson",
    "violations",
]
