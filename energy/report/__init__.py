"""Reports of results: exports with licence and provenance, result folders, heat maps.

Modules:

* :mod:`~energy.report.exports`: licence, attribution and provenance of every
  export, CSV header lines, CSV and JSON writers;
* :mod:`~energy.report.results`: run folders (:func:`~energy.report.results.write_outputs`,
  :func:`~energy.report.results.load_run`) and baselines recomputed for a stored run;
* :mod:`~energy.report.heatmap`: any 2-D grid as an accessible SVG heat map,
  with :mod:`~energy.report.colours` (classed scales, WCAG contrast) and
  :mod:`~energy.report.sweep_heatmap` (a sweep's table as its pictures).

Layer: above :mod:`energy.scenario` (may import it, :mod:`energy.baselines` and
:mod:`energy.serialise`), below :mod:`energy.analysis` and :mod:`energy.studies`,
which it never imports. Renderers take plain tables and result records; they
never run a model.
"""
