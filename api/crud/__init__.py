"""Database operations with access control, one module per resource; routers call these.

Routers call ``crud.<resource>.<operation>`` and map the rows to schemas.
Every read goes through a visibility condition of :mod:`api.auth` and
:func:`api.crud.common.get_visible`, so a hidden object is "not found" (404)
everywhere; an object that is visible but not the caller's to change is
"forbidden" (403). What runs read and write (versions' specs and grids,
result rows) is :mod:`api.runstore`, below this package.

Modules, each importing only those above it:

* ``common``: ``page``, ``get_visible`` (the one get-visible-or-404), ``require_role``;
* ``organisations``, ``keys``;
* ``versions``: the stored versions of a district (no access checks of their own);
* ``districts``: districts and their new versions, imported grids included;
* ``scenarios``;
* ``runs``: job rows of every kind (scenario runs, sweep points, sizings);
* ``imports``: grid imports as jobs of a district (SimBench);
* ``results``: the results of a succeeded run;
* ``sweeps``, ``sizing``, ``meter_data``, ``members`` (a cooperative's members per scenario),
  ``ensembles``.
"""

from api.crud import (
    common,
    districts,
    ensembles,
    imports,
    keys,
    members,
    meter_data,
    organisations,
    results,
    runs,
    scenarios,
    sizing,
    sweeps,
    versions,
)

__all__ = [
    "common",
    "districts",
    "ensembles",
    "imports",
    "keys",
    "members",
    "meter_data",
    "organisations",
    "results",
    "runs",
    "scenarios",
    "sizing",
    "sweeps",
    "versions",
]
