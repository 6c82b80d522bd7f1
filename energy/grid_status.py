"""Grid status of a run as first-class indicators, with the same facts in English and German.

:func:`grid_status` turns the AC check's summary
(:func:`energy.models.grid.check.check_result`) and the peak import of the
optimum and the baselines (:func:`energy.kpi.comparison_kpis`) into one
record, ``metadata["grid_status"]`` of a run (``/runs/{id}/results``
``metadata.grid_status``, ``energy optimise --json`` ``grid_status``):

``voltage_rise``
    the largest rise above the no-load voltage [% of nominal] against the
    3 % of VDE-AR-N 4105:2018-11, 5.3.2 (how it is evaluated:
    :mod:`energy.models.grid.check`);
``voltage_band``
    lowest and highest voltage [pu] against DIN EN 50160 (0.90-1.10 pu);
``trafo_loading``, ``line_loading``
    the largest loading [%] against 100 % of the rated current;
``hosting_capacity_exceeded``
    True when generation breaks a limit: a voltage rise above the limit, an
    overvoltage, or an overload in a step where the district feeds into the
    upstream grid (``feed_in_violations``); the grid cannot host the PV as
    installed and dispatched;
``peak_import``
    the optimum's peak import [kW] against B1's and B0's, ``raised_above``
    naming the baselines it exceeds, and the import cap
    (:class:`energy.optimisation.peak.PeakBlock`) with the steps and kW above it;
``words``
    one sentence per item in ``en`` and ``de``, for the dashboard and the CLI;
``warnings``
    the English sentences of the items that need attention (they also join
    the run's ``warnings``).

Without an AC check (``ac_check=False``) the grid items are None and
``ac_checked`` is False; the peak items are always there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from energy.kpi import BASELINES
from energy.optimisation.peak import cap_excess_kw

#: A peak import counts as raised above a baseline's when it is higher by more than this [kW].
PEAK_TOL_KW = 0.05
#: Where each limit comes from (shown with the figures).
RULES = {
    "voltage_rise": "VDE-AR-N 4105:2018-11, 5.3.2",
    "voltage_band": "DIN EN 50160",
    "loading": "rated current",
}


def _de(value: float, digits: int) -> str:
    """Format a number with a German decimal comma."""
    return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


@dataclass
class _Sentences:
    """The sentences of a status in English and German; the English of problems are warnings."""

    en: list[str] = field(default_factory=list)
    de: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def say(self, ok: bool, text_en: str, text_de: str) -> None:
        """Add one fact; a fact that is not ``ok`` is also a warning."""
        self.en.append(text_en)
        self.de.append(text_de)
        if not ok:
            self.warnings.append(text_en)


def _grid_items(grid: Mapping[str, Any], say: _Sentences) -> dict[str, Any]:
    """Return the AC check's items (module docstring); say them in words."""
    limits = grid.get("limits", {})
    rise_limit = limits.get("voltage_rise_pct", 3.0)
    load_limit = float(limits.get("max_loading_pct", 100.0))
    v_lo, v_hi = float(limits.get("v_min_pu", 0.90)), float(limits.get("v_max_pu", 1.10))
    rise = float(grid["max_voltage_rise_pct"])
    rise_ok = rise_limit is None or rise <= rise_limit
    where = f"{grid['max_voltage_rise_bus']} ({grid['max_voltage_rise_time']})"
    if rise_limit is None:
        say.say(
            True,
            f"Voltage rise at most {rise:.2f} % (no limit set).",
            f"Spannungsanhebung höchstens {_de(rise, 2)} % (keine Grenze gesetzt).",
        )
    elif rise_ok:
        say.say(
            True,
            f"Voltage rise at most {rise:.2f} % (limit {rise_limit:g} %, "
            f"{RULES['voltage_rise']}): kept.",
            f"Spannungsanhebung höchstens "
            f"{_de(rise, 2)} % (Grenze {_de(rise_limit, 0)} %, VDE-AR-N 4105): eingehalten.",
        )
    else:
        say.say(
            False,
            f"Voltage rise {rise:.2f} % exceeds the {rise_limit:g} % limit of "
            f"{RULES['voltage_rise']} at bus {where}.",
            f"Spannungsanhebung {_de(rise, 2)} % "
            f"überschreitet die Grenze von {_de(rise_limit, 0)} % der VDE-AR-N 4105 an "
            f"Knoten {where}.",
        )
    v_min, v_max = float(grid["v_min_pu"]), float(grid["v_max_pu"])
    band_ok = v_lo <= v_min and v_max <= v_hi
    say.say(
        band_ok,
        f"Voltage {v_min:.3f} to {v_max:.3f} pu (allowed {v_lo:.2f} to {v_hi:.2f} pu, "
        f"EN 50160): {'kept' if band_ok else 'VIOLATED'}.",
        f"Spannung {_de(v_min, 3)} bis "
        f"{_de(v_max, 3)} pu (zulässig {_de(v_lo, 2)} bis {_de(v_hi, 2)} pu, EN 50160): "
        f"{'eingehalten' if band_ok else 'VERLETZT'}.",
    )
    items: dict[str, Any] = {
        "voltage_rise": {
            "max_pct": rise,
            "limit_pct": rise_limit,
            "ok": rise_ok,
            "bus": grid["max_voltage_rise_bus"],
            "time": grid["max_voltage_rise_time"],
            "rule": RULES["voltage_rise"],
        },
        "voltage_band": {
            "min_pu": v_min,
            "max_pu": v_max,
            "limit_min_pu": v_lo,
            "limit_max_pu": v_hi,
            "ok": band_ok,
            "rule": RULES["voltage_band"],
        },
    }
    for key, name_en, name_de, elem in (
        ("trafo_loading", "Transformer", "Transformator", "max_trafo"),
        ("line_loading", "Line", "Leitungs", "max_line"),
    ):
        value = float(grid[f"max_{key}_pct"])
        ok = not value > load_limit  # NaN (no such element) is no violation
        shown_en = "-" if value != value else f"{value:.1f}"
        shown_de = "-" if value != value else _de(value, 1)
        say.say(
            ok,
            f"{name_en} loading up to {shown_en} % at {grid[elem] or '-'} (limit "
            f"{load_limit:.0f} %): {'kept' if ok else 'OVERLOADED'}.",
            f"{name_de}auslastung bis {shown_de} % bei {grid[elem] or '-'} "
            f"(Grenze {load_limit:.0f} %): {'eingehalten' if ok else 'ÜBERLASTET'}.",
        )
        items[key] = {
            "max_pct": value,
            "limit_pct": load_limit,
            "ok": ok,
            "element": grid[elem],
            "time": grid[f"{elem}_time"],
        }
    return items


def _hosting(grid: Mapping[str, Any], say: _Sentences) -> bool:
    """Is the hosting capacity exceeded (module docstring)? Says so in words."""
    kinds = grid.get("violations_by_kind", {})
    n = int(kinds.get("voltage_rise", 0)) + int(kinds.get("overvoltage", 0))
    n = max(n, int(grid.get("feed_in_violations", 0)))
    if n:
        say.say(
            False,
            f"Hosting capacity exceeded: the generation causes {n} limit violations.",
            "Aufnahmefähigkeit des Netzes überschritten: die Einspeisung verursacht "
            f"{n} Grenzwertverletzungen.",
        )
    else:
        say.say(
            True,
            "Hosting capacity kept: generation breaks no limit.",
            "Aufnahmefähigkeit des Netzes eingehalten: die Einspeisung verletzt keine Grenze.",
        )
    return bool(n)


def _peak_items(
    kpis: Mapping[str, Mapping[str, float]],
    import_cap_kw: float | None,
    p_import_kw: np.ndarray,
    say: _Sentences,
) -> dict[str, Any]:
    """Return the optimum's peak import against the baselines' and the cap; say it."""
    peak = float(kpis["optimised"]["peak_import_kw"])
    out: dict[str, Any] = {"optimised_kw": peak}
    raised = []
    for name in BASELINES:
        base = float(kpis[name]["peak_import_kw"])
        out[f"{name}_kw"] = base
        out[f"above_{name}_kw"] = peak - base
        if peak > base + PEAK_TOL_KW:
            raised.append(name)
    out["raised_above"] = raised
    bases_en = ", ".join(f"{n} {out[f'{n}_kw']:,.1f} kW" for n in BASELINES)
    bases_de = ", ".join(f"{n} {_de(out[f'{n}_kw'], 1)} kW" for n in BASELINES)
    if raised:
        say.say(
            False,
            f"The optimised peak import {peak:,.1f} kW is above that of "
            f"{' and '.join(raised)} ({bases_en}).",
            f"Die optimierte Bezugsspitze "
            f"{_de(peak, 1)} kW liegt über der von {' und '.join(raised)} ({bases_de}).",
        )
    else:
        say.say(
            True,
            f"Peak import {peak:,.1f} kW, not above the baselines ({bases_en}).",
            f"Bezugsspitze {_de(peak, 1)} kW, nicht über den Vergleichsfällen ({bases_de}).",
        )
    excess = cap_excess_kw(p_import_kw, import_cap_kw)
    steps = int((excess > 0).sum())
    most = float(excess.max()) if excess.size else 0.0
    out.update(import_cap_kw=import_cap_kw, cap_exceeded_steps=steps, cap_excess_max_kw=most)
    if import_cap_kw is not None:
        say.say(
            steps == 0,
            f"Import cap {import_cap_kw:,.1f} kW exceeded in {steps} steps by up to {most:,.1f} "
            "kW: batteries and lighting cannot hold it."
            if steps
            else f"Import cap {import_cap_kw:,.1f} kW held in every step.",
            f"Bezugsgrenze {_de(import_cap_kw, 1)} kW in {steps} Zeitschritten um bis zu "
            f"{_de(most, 1)} kW überschritten: Speicher und Beleuchtung können sie nicht halten."
            if steps
            else f"Bezugsgrenze {_de(import_cap_kw, 1)} kW in jedem Zeitschritt eingehalten.",
        )
    return out


def grid_status(
    kpis: Mapping[str, Mapping[str, float]],
    grid: Mapping[str, Any] | None,
    p_import_kw: np.ndarray,
    import_cap_kw: float | None = None,
) -> dict[str, Any]:
    """Return the grid status record of a run (module docstring).

    Parameters
    ----------
    kpis
        ``{"optimised": {...}, "B1": {...}, "B0": {...}}`` with ``peak_import_kw`` [kW].
    grid
        The AC check's summary, or None without one.
    p_import_kw
        The optimum's import per step [kW].
    import_cap_kw
        The run's import cap [kW] (``ScenarioOptions.import_cap_kw``), if any.
    """
    say = _Sentences()
    out: dict[str, Any] = {"ac_checked": grid is not None}
    if grid is not None:
        out.update(
            clean=bool(grid["clean"]),
            violations=int(grid["violations"]),
            violating_steps=int(grid["violating_steps"]),
            hours_in_violation=float(grid["hours_in_violation"]),
            violations_by_kind=dict(grid.get("violations_by_kind", {})),
        )
        out.update(_grid_items(grid, say))
        out["hosting_capacity_exceeded"] = _hosting(grid, say)
    else:
        out.update(clean=None, hosting_capacity_exceeded=None)
        say.say(
            True,
            "No AC power-flow check was made: voltages and loadings unknown.",
            "Keine Lastflussrechnung: Spannungen und Auslastungen unbekannt.",
        )
    out["peak_import"] = _peak_items(kpis, import_cap_kw, p_import_kw, say)
    out["words"] = {"en": say.en, "de": say.de}
    out["warnings"] = say.warnings
    return out
