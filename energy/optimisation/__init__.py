"""Dispatch optimisation (Pyomo + HiGHS) and linearised network limits."""
