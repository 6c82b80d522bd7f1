"""HTTP API of the planning backend: a thin shell over the energy library."""
