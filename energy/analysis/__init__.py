"""Work on finished runs: savings by period and source, scenario comparison, meter data, economics.

Modules here read :class:`energy.scenario.ScenarioResult` objects (or their
result folders) and never optimise themselves, except to recompute a run's
baselines from its recorded inputs.
"""
