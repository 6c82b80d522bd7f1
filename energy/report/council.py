"""The council report of a run: plain-language summary first, then the figures, as HTML and PDF.

A report to hand to a town council (Stadtrat) or a citizens' meeting:

1. **Page 1, in einfache Sprache** (German plain language: short sentences,
   one statement each, everyday words, numbers rounded; after the rules of
   the Netzwerk Leichte Sprache and DIN SPEC 33429 for "Einfache Sprache"):
   how much of its electricity the quarter covers itself ("Das Quartier deckt
   42 % seines Stroms selbst."), what the roofs produce, what the control saves
   against the headline comparison B1 and in CO2, whether the grid keeps its
   limits, and for which period the numbers hold (a whole year, or a shorter
   horizon that is **not** scaled up).
2. Assumptions: district, horizon, weather and price files, options, the three
   comparisons in words (:data:`energy.kpi.COMPARISON_LABELS`), terminal energy.
3. The KPI table: optimum, B1 (headline), B0 (reference) and nothing built,
   and the savings against each (positive = the optimum is better;
   docs/definitions.md).
4. Savings by month and source against B1 (bar chart and table) and by source
   against every comparison over the horizon.
5. A map of the grid (and of building footprints where the district has them).
6. Grid status of the AC power-flow check, in words and figures (with the
   run's ``metadata["grid_status"]`` sentences, :mod:`energy.grid_status`).
7. Uncertainty bands where an ensemble exists (a table of p10/p50/p90 per
   indicator); without one the section says so.
8. Sources and licences: our results' licence (CC-BY-4.0), every data file of
   the run with its title, licence and attribution from ``data/datapackage.json``
   (:func:`energy.report.exports.data_sources`), and data licences such as
   ODbL of a SimBench grid (:func:`energy.report.exports.export_info`).

:func:`render_html` takes a :class:`CouncilInputs` (plain tables and records;
the caller computes the monthly savings, :func:`energy.analysis.council.council_inputs`),
:func:`render_pdf` turns the HTML into PDF with WeasyPrint
(https://doc.courtbouillon.org/weasyprint/). Charts are inline SVG
(:mod:`energy.report.charts`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from energy.district import District
from energy.kpi import COMPARISON_LABELS, COMPARISON_RECORD, COMPARISONS, HEADLINE_BASELINE
from energy.report.charts import bars_svg, map_svg
from energy.report.exports import ATTRIBUTION, LICENCE_URLS, data_sources, export_info, source_line
from energy.scenario import ScenarioResult

#: The savings sources in German, in report order.
SOURCE_NAMES = {
    "pv": "Solaranlagen",
    "battery": "Batterien und Steuerung",
    "lighting": "Straßenbeleuchtung",
}
#: The comparisons in German plain words (the English labels follow in the assumptions).
COMPARISON_NAMES_DE = {
    "B1": "B1: einfacher Betrieb ohne Optimierung (Hauptvergleich)",
    "B0": "B0: keine Steuerung, Licht immer voll (Referenz)",
    "nothing_built": "nichts gebaut: keine Solaranlage, keine Batterie",
}
#: Short German month names for chart labels.
MONTHS_DE = ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")
Row = tuple[str, str, str, float, int]
#: KPI rows of the table: (key, German label, unit, divisor, decimals).
KPI_ROWS: tuple[Row, ...] = (
    ("cost_eur", "Kosten", "EUR", 1.0, 0),
    ("e_import_kwh", "Strom aus dem Netz", "MWh", 1000.0, 1),
    ("e_export_kwh", "Strom ins Netz", "MWh", 1000.0, 1),
    ("e_generation_kwh", "Solarstrom", "MWh", 1000.0, 1),
    ("e_consumption_kwh", "Verbrauch", "MWh", 1000.0, 1),
    ("self_sufficiency", "Eigenversorgung (Autarkie)", "%", 0.01, 1),
    ("self_consumption", "Eigenverbrauch des Solarstroms", "%", 0.01, 1),
    ("co2_kg", "CO2", "t", 1000.0, 1),
    ("peak_import_kw", "höchster Netzbezug", "kW", 1.0, 0),
    ("e_lighting_kwh", "Straßenbeleuchtung", "MWh", 1000.0, 1),
)
#: Savings rows: (key, German label, unit, divisor, decimals).
SAVING_ROWS: tuple[Row, ...] = (
    ("cost_eur", "Kosten gespart", "EUR", 1.0, 0),
    ("e_import_kwh", "weniger Strom aus dem Netz", "MWh", 1000.0, 1),
    ("co2_kg", "weniger CO2", "t", 1000.0, 1),
    ("self_sufficiency_points", "mehr Eigenversorgung", "Prozentpunkte", 1.0, 1),
)
#: Grid rows: (key of the AC check summary, German label, unit, divisor, decimals).
GRID_ROWS: tuple[Row, ...] = (
    ("v_min_pu", "niedrigste Spannung", "p.u.", 1.0, 3),
    ("v_max_pu", "höchste Spannung", "p.u.", 1.0, 3),
    ("max_line_loading_pct", "höchste Leitungsauslastung", "%", 1.0, 1),
    ("max_trafo_loading_pct", "höchste Trafoauslastung", "%", 1.0, 1),
    ("hours_in_violation", "Stunden mit Grenzverletzung", "h", 1.0, 0),
    ("losses_kwh", "Netzverluste", "MWh", 1000.0, 1),
)
#: Where each grid row happened (key of the element's name in the summary).
GRID_WHERE = {
    "v_min_pu": "v_min_bus",
    "v_max_pu": "v_max_bus",
    "max_line_loading_pct": "max_line",
    "max_trafo_loading_pct": "max_trafo",
}


@dataclass(frozen=True)
class CouncilInputs:
    """What the council report shows; plain data, computed by the caller.

    Attributes
    ----------
    result
        The run (KPIs, savings, metadata, grid summary).
    district
        The district the run used (counts of buildings, PV, batteries, lighting).
    monthly
        Savings by local month: the tidy ``frame`` of
        :func:`energy.analysis.savings.savings_report` with ``period="month"``
        (columns ``period_start, period, baseline, source, metric, value``).
    grid_map
        GeoJSON FeatureCollection of the grid (and buildings), or None.
    bands
        Uncertainty bands of an ensemble (columns ``indicator``, ``unit``,
        ``p10``, ``p50``, ``p90``), or None when the run has no ensemble.
    run_label
        Which run this is, e.g. "Lauf 7 von Szenario 3" (shown in the title).
    """

    result: ScenarioResult
    district: District
    monthly: pd.DataFrame
    grid_map: Mapping[str, Any] | None = None
    bands: pd.DataFrame | None = None
    run_label: str = ""


def de_number(value: float, decimals: int = 0) -> str:
    """Write ``value`` the German way: ``12.345,6`` (dot thousands, decimal comma)."""
    text = f"{round(value, decimals) + 0.0:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _energy_de(kwh: float) -> str:
    """Energy in plain units: MWh from 10 MWh on, else kWh."""
    return f"{de_number(kwh / 1000)} MWh" if abs(kwh) >= 10_000 else f"{de_number(kwh)} kWh"


def horizon_de(label: str) -> str:
    """Write a horizon label such as ``7 days (2025-06-02..2025-06-08)`` in German."""
    match = re.fullmatch(r"(\d+) days? \((\d{4})-(\d\d)-(\d\d)\.\.(\d{4})-(\d\d)-(\d\d)\)", label)
    if not match:
        return label
    n, y0, m0, d0, y1, m1, d1 = match.groups()
    return f"{n} {'Tag' if n == '1' else 'Tage'} ({d0}.{m0}.{y0} bis {d1}.{m1}.{y1})"


def _period_de(result: ScenarioResult) -> tuple[str, str]:
    """Return (phrase for 'in this period', sentence saying which period the numbers hold for)."""
    horizon = result.metadata.get("horizon", {})
    label = horizon_de(str(horizon.get("label", "?")))
    if horizon.get("full_year"):
        return "im Jahr", f"Die Zahlen gelten für ein ganzes Jahr: {label}."
    return (
        "in diesem Zeitraum",
        f"Die Zahlen gelten nur für {label}. Sie sind nicht auf ein Jahr hochgerechnet.",
    )


def grid_sentences(grid: Mapping[str, Any] | None) -> list[str]:
    """Return the grid status in plain German sentences (from the AC check summary)."""
    if not grid:
        return ["Das Stromnetz wurde für diesen Lauf nicht nachgerechnet."]
    hours = float(grid.get("hours_in_violation") or 0.0)
    if grid.get("clean", hours == 0.0):
        return ["Das Stromnetz hält in jeder Stunde seine Grenzen ein."]
    count = int(grid.get("elements_in_violation") or 0)
    return [
        f"Das Stromnetz ist in {de_number(hours)} Stunden überlastet.",
        f"Betroffen sind {count} Teile des Netzes. Das muss der Netzbetreiber prüfen.",
    ]


def summary_sentences(result: ScenarioResult) -> list[str]:
    """Return page 1 in einfache Sprache: short German sentences, one statement each."""
    opt = result.kpis["optimised"]
    vs = result.savings[f"vs_{HEADLINE_BASELINE}"]
    per, period = _period_de(result)
    cost, co2 = float(vs["cost_eur"]), float(vs["co2_kg"])
    pv = _energy_de(opt["e_generation_kwh"])
    sentences = [
        f"Das Quartier deckt {de_number(100 * opt['self_sufficiency'])} % seines Stroms selbst.",
        f"Die Solaranlagen auf den Dächern erzeugen {per} {pv} Strom."
        if opt["e_generation_kwh"] > 0
        else "Das Quartier hat keine Solaranlagen.",
        f"Aus dem öffentlichen Netz kommen {per} {_energy_de(opt['e_import_kwh'])}.",
    ]
    if cost >= 0:
        sentences.append(
            f"Die kluge Steuerung spart {per} {de_number(cost)} Euro. "
            "Verglichen wird mit dem einfachen Betrieb ohne Optimierung (Vergleich B1)."
        )
    else:
        sentences.append(
            f"Die Steuerung kostet {per} {de_number(-cost)} Euro mehr "
            "als der einfache Betrieb ohne Optimierung (Vergleich B1)."
        )
    tonnes = de_number(abs(co2) / 1000, 1)
    sentences.append(
        f"Dabei entstehen {tonnes} Tonnen CO2 {'weniger' if co2 >= 0 else 'mehr'} als bei B1."
    )
    return [*sentences, *grid_sentences(result.grid), period]


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], caption: str) -> str:
    th = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in head)
    body = "".join(
        "<tr>"
        + f'<th scope="row">{html.escape(r[0])}</th>'
        + "".join(f"<td>{html.escape(c)}</td>" for c in r[1:])
        + "</tr>"
        for r in rows
    )
    return f"<table><caption>{html.escape(caption)}</caption><tr>{th}</tr>{body}</table>"


def _value(value: Any, divisor: float, decimals: int) -> str:
    if value is None or value != value:
        return "–"
    return de_number(float(value) / divisor, decimals)


def kpi_section(result: ScenarioResult) -> str:
    """Return the KPI table (optimum and comparisons) and the savings against each comparison."""
    names = ["optimised", *COMPARISONS]
    head = ["Kennzahl", "optimiert", *(COMPARISON_NAMES_DE[n].split(":")[0] for n in COMPARISONS)]
    rows = [
        [f"{label} [{unit}]", *(_value(result.kpis[n].get(key), div, dec) for n in names)]
        for key, label, unit, div, dec in KPI_ROWS
    ]
    savings = [
        [
            f"{label} [{unit}]",
            *(_value(result.savings[f"vs_{n}"].get(key), div, dec) for n in COMPARISONS),
        ]
        for key, label, unit, div, dec in SAVING_ROWS
    ]
    head_s = ["Einsparung gegenüber", *(COMPARISON_NAMES_DE[n] for n in COMPARISONS)]
    note = (
        "Eine Einsparung ist positiv, wenn der optimierte Betrieb besser ist "
        "(Vergleich minus optimiert); Anteile in Prozentpunkten."
    )
    return (
        "<h2>Kennzahlen</h2>"
        + _table(head, rows, "Kennzahlen des optimierten Betriebs und der Vergleiche")
        + _table(head_s, savings, "Einsparungen (B1 ist der Hauptvergleich)")
        + f"<p>{html.escape(note)}</p>"
    )


def _month_label(period: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{2})", period)
    return f"{MONTHS_DE[int(match[2]) - 1]} {match[1][2:]}" if match else period


def monthly_table(monthly: pd.DataFrame, baseline: str, metric: str = "cost_eur") -> pd.DataFrame:
    """Return savings by month (rows, German labels) and source (columns) vs ``baseline``."""
    part = monthly[(monthly["baseline"] == baseline) & (monthly["metric"] == metric)]
    wide = part.pivot_table(index="period", columns="source", values="value", sort=False)
    wide = wide[[*SOURCE_NAMES, "total"]]
    wide.index = [_month_label(str(p)) for p in wide.index]
    return wide


def savings_section(monthly: pd.DataFrame) -> str:
    """Return savings by month and source vs B1 (chart, table) and by source vs each."""
    b1 = monthly_table(monthly, HEADLINE_BASELINE)
    chart = bars_svg(
        b1[list(SOURCE_NAMES)],
        "Eingesparte Kosten je Monat und Quelle gegenüber B1",
        "EUR",
        labels=SOURCE_NAMES,
        number=de_number,
    )
    rows = [
        [str(m), *(de_number(v) for v in r)] for m, r in zip(b1.index, b1.to_numpy(), strict=True)
    ]
    head = ["Monat", *SOURCE_NAMES.values(), "gesamt"]
    by_source = [
        [COMPARISON_NAMES_DE[n], *(de_number(v) for v in monthly_table(monthly, n).sum())]
        for n in COMPARISONS
        if (monthly["baseline"] == n).any()
    ]
    return (
        "<h2>Einsparungen nach Monat und Quelle</h2>"
        + f'<figure class="chart">{chart}</figure>'
        + _table(head, rows, "Eingesparte Kosten in EUR gegenüber B1 (Hauptvergleich)")
        + _table(
            ["gegenüber", *head[1:]], by_source, "Eingesparte Kosten in EUR im ganzen Zeitraum"
        )
        + "<p>Solaranlagen sparen gegenüber B1 und B0 nichts, denn dort sind sie ebenfalls "
        "gebaut; gegenüber „nichts gebaut“ zeigt die Spalte ihren Anteil.</p>"
    )


def grid_section(result: ScenarioResult, grid_map: Mapping[str, Any] | None) -> str:
    """Return the map and the grid status (AC power-flow check) in words and figures."""
    grid = result.grid or {}
    parts = ["<h2>Karte und Netzzustand</h2>"]
    if grid_map is not None:
        hot = [str(grid["max_line"])] if grid.get("max_line") else []
        svg = map_svg(grid_map, "Netz und Gebäude des Quartiers", highlight=hot)
        parts.append(f'<figure class="map">{svg}</figure>')
    parts += [f"<p>{html.escape(s)}</p>" for s in grid_sentences(result.grid)]
    words = result.metadata.get("grid_status", {}).get("words", {}).get("de", [])
    if words:
        parts.append("<ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in words) + "</ul>")
    if grid:
        rows = [
            [
                f"{label} [{unit}]",
                _value(grid.get(key), div, dec),
                str(grid.get(GRID_WHERE.get(key, ""), "")),
            ]
            for key, label, unit, div, dec in GRID_ROWS
        ]
        parts.append(_table(["Größe", "Wert", "wo"], rows, "Wechselstrom-Lastfluss (AC-Prüfung)"))
    return "".join(parts)


def assumptions_section(result: ScenarioResult, district: District) -> str:
    """Return what went in: district, horizon, data files, options and the comparisons in words."""
    meta = result.metadata
    options = meta.get("options", {})
    files = meta.get("data_files", {})
    demand_kwh = sum(b.annual_kwh for b in district.buildings)
    luminaires = sum(g.luminaires for g in district.lighting)
    rows = [
        ["Quartier", district.site.name],
        ["Zeitraum", horizon_de(str(meta.get("horizon", {}).get("label", "?")))],
        ["Zeitschritt", str(options.get("resolution", "?"))],
        ["Ziel der Optimierung", str(options.get("objective", "?"))],
        [
            "Gebäude",
            f"{len(district.buildings)}, zusammen {_energy_de(demand_kwh)} Strombedarf im Jahr",
        ],
        ["Solaranlagen", f"{len(district.pv)} Anlagen, {de_number(district.total_kwp, 1)} kWp"],
        ["Batterien", f"{len(district.batteries)}, {de_number(district.total_battery_kwh)} kWh"],
        [
            "Straßenbeleuchtung",
            f"{len(district.lighting)} Gruppen, {luminaires} Leuchten",
        ],
        *([f"Datei ({k})", str(v.get("path", v))] for k, v in files.items()),
        ["Energie am Ende", str(COMPARISON_RECORD["terminal_energy"])],
    ]
    comparisons = "".join(
        f'<li><span class="nobr">{html.escape(COMPARISON_LABELS[n])}</span>: '
        f"{html.escape(COMPARISON_NAMES_DE[n])}</li>"
        for n in COMPARISONS
    )
    return (
        "<h2>Annahmen</h2>"
        + _table(["", "Wert"], rows, "Was in die Rechnung einging")
        + "<p>Verglichen wird auf denselben Eingangsdaten (Wetter, Lasten, Preise, Zeitraum) "
        + f"mit:</p><ul>{comparisons}</ul>"
    )


def bands_section(bands: pd.DataFrame | None) -> str:
    """Return an ensemble's uncertainty bands (p10, p50, p90), or a sentence that there is none."""
    head = "<h2>Unsicherheit</h2>"
    if bands is None or bands.empty:
        return head + (
            "<p>Für diesen Lauf gibt es keine Ensemble-Rechnung (mehrere Wetter- und "
            "Preisjahre). Unsicherheitsbänder entfallen deshalb.</p>"
        )
    rows = [
        [f"{r.indicator} [{r.unit}]", de_number(r.p10, 1), de_number(r.p50, 1), de_number(r.p90, 1)]
        for r in bands.itertuples()
    ]
    return head + _table(
        ["Kennzahl", "p10", "p50 (Median)", "p90"],
        rows,
        str(bands.attrs.get("caption", "Bandbreite über die Ensemble-Mitglieder")),
    )


def sources_section(result: ScenarioResult) -> str:
    """Return our results' licence, the data files with their licences, other data licences.

    The data files and their licences are :func:`energy.report.exports.data_sources`
    of the run (from ``data/datapackage.json``).
    """
    info = export_info(result.metadata)
    rows = [
        [
            str(d.get("title") or d.get("file") or d["role"]),
            f"{d['role']}: {d.get('file') or '-'}",
            ", ".join(d["licences"]) or str(d.get("note", "Lizenz unbekannt")),
            str(d.get("attribution") or ""),
        ]
        for d in data_sources(result.metadata)
    ]
    shown = {source_line(s) for s in data_sources(result.metadata)}
    extra = "".join(f"<li>{html.escape(x)}</li>" for x in info["data_licences"] if x not in shown)
    return (
        "<h2>Quellen und Lizenzen</h2>"
        + f"<p>Ergebnisse: {html.escape(info['licence'])} "
        + f"({html.escape(LICENCE_URLS.get(info['licence'], ''))}), "
        + f"Namensnennung „{html.escape(ATTRIBUTION)}“. {html.escape(info['source'])}.</p>"
        + _table(["Daten", "Datei", "Lizenz", "Namensnennung"], rows, "Eingangsdaten")
        + (f"<p>Enthaltene Datenlizenzen:</p><ul>{extra}</ul>" if extra else "")
    )


#: Page layout and type: A4, large text on page 1 for older eyes (>= 14 pt there).
CSS = """
@page { size: A4; margin: 18mm 16mm; @bottom-center { content: "Seite " counter(page); } }
body { font-family: 'DejaVu Sans', sans-serif; font-size: 10pt; color: #1a1f24; }
h1 { font-size: 20pt; } h2 { font-size: 14pt; margin-top: 1.2em; }
.summary p { font-size: 15pt; line-height: 1.5; margin: 0.5em 0; }
.page { page-break-before: always; }
table { border-collapse: collapse; margin: 0.6em 0; width: 100%; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #b0b0b0; padding: 2pt 4pt; text-align: right; }
th[scope=row], th[scope=col]:first-child { text-align: left; }
.nobr { white-space: nowrap; }
figure { margin: 0.5em 0; } svg { max-width: 100%; height: auto; }
"""


def render_html(inputs: CouncilInputs) -> str:
    """Return the council report as one self-contained HTML page (German)."""
    r = inputs.result
    title = f"Bericht für den Stadtrat: {inputs.district.site.name}"
    summary = "".join(f"<p>{html.escape(s)}</p>" for s in summary_sentences(r))
    body = (
        f'<section class="summary"><h1>{html.escape(title)}</h1>'
        + (f"<p>{html.escape(inputs.run_label)}</p>" if inputs.run_label else "")
        + f"<h2>Das Wichtigste in einfacher Sprache</h2>{summary}</section>"
        + f'<section class="page">{assumptions_section(r, inputs.district)}</section>'
        + f"<section>{kpi_section(r)}</section>"
        + f'<section class="page">{savings_section(inputs.monthly)}</section>'
        + f'<section class="page">{grid_section(r, inputs.grid_map)}</section>'
        + f"<section>{bands_section(inputs.bands)}</section>"
        + f'<section class="page">{sources_section(r)}</section>'
    )
    return (
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>"
    )


def render_pdf(inputs: CouncilInputs) -> bytes:
    """Return the council report as PDF (WeasyPrint renders :func:`render_html`)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_html(inputs)).write_pdf()
    return pdf
