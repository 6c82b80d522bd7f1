"""Physical models: weather, PV, demand, lighting, tariffs, grid."""
