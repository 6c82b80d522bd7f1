"""The low-voltage grid: pandapower network, AC time series, violations, hosting capacity.

Public API (see each module):

* :mod:`~energy.models.grid.build`: :func:`build_network`, :func:`import_network`,
  :func:`map_to_district`, :func:`network_profiles_kw`, :func:`node_buses`;
* :mod:`~energy.models.grid.powerflow`: :func:`run_timeseries`,
  :class:`GridTimeSeriesResult`, :class:`TimeSeriesRunner`;
"""

from energy.models.grid.build import (
    LIGHT_PREFIX,
    SUBSTATION_NODE,
    build_network,
    import_network,
    lighting_node,
    map_to_district,
    network_profiles_kw,
    node_buses,
    set_node_buses,
)
from energy.models.grid.powerflow import GridTimeSeriesResult, TimeSeriesRunner, run_timeseries

__all__ = [
    "LIGHT_PREFIX",
    "SUBSTATION_NODE",
    "GridTimeSeriesResult",
    "TimeSeriesRunner",
    "build_network",
    "import_network",
    "lighting_node",
    "map_to_district",
    "network_profiles_kw",
    "node_buses",
    "run_timeseries",
    "set_node_buses",
]
