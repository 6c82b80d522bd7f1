"""Studies: many runs of one district (parameter sweeps, capacity sizing, hosting capacity).

A study varies a scenario and runs it several times (in a process pool, or
one queue job per point through the API); it scores the runs with
:mod:`energy.analysis.economics`.
"""
