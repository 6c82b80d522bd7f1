// The dashboard: reads the planning API with the caller's key and draws the views.
// Plain ES modules, no build step, no third-party code.

import {
  dataTable,
  heatMap,
  horizontalBars,
  htmlEl,
  inlineSvg,
  legend,
  scrollRegion,
  simpleBars,
  stackedBars,
} from "./charts.js";
import { badYearText, figureBand, latestEnsemble, monthBands } from "./bands.js";
import { LOCALES, STRINGS } from "./i18n.js";
import { gridMap } from "./map.js";
import { extrapolatedText, failureText, gridStatus, placeNames, worstLevel } from "./status.js";

const API_ROOT = new URL("../", document.baseURI);
const LANG_STORE = "stadtwerk-dashboard-lang";
const SOURCES = ["pv", "battery", "lighting"];
const PERIODS = ["day", "week", "month"];
/** The comparisons: B1 the headline (docs/definitions.md), B0 the reference, nothing built. */
const BASELINES = ["B1", "B0", "nothing_built"];
/** Annual figures of the comparison table: they carry ``extrapolated_from`` when scaled up. */
const ANNUAL_ROWS = new Set(["annual_savings_eur", "npv_eur", "payback_simple_years"]);
const METRICS = ["cost_eur", "e_import_kwh", "co2_kg"];
const METRIC_UNIT = { cost_eur: "unit_eur", e_import_kwh: "unit_kwh", co2_kg: "unit_kg" };
/** Heat maps of a finished sweep (GET /sweeps/{id}/heatmap.svg?metric=...). */
const SWEEP_METRICS = ["self_sufficiency", "npv_eur"];
/** How often a running sweep is asked for its progress [ms]. */
const SWEEP_POLL_MS = 1500;
/** Rows of the comparison table: key in the API's answer, i18n key, display factor,
 * decimals (null: by the size of the row's values). */
const COMPARE_ROWS = [
  ["self_sufficiency", "cmp_self_sufficiency", 100, 1],
  ["cost_eur", "cmp_cost_eur", 1, null],
  ["e_import_kwh", "cmp_e_import_kwh", 1, null],
  ["co2_kg", "cmp_co2_kg", 1, null],
  ["cost_eur_vs_{baseline}", "cmp_cost_eur_vs", 1, null],
  ["e_import_kwh_vs_{baseline}", "cmp_e_import_kwh_vs", 1, null],
  ["co2_kg_vs_{baseline}", "cmp_co2_kg_vs", 1, null],
  ["capex_eur", "cmp_capex_eur", 1, 0],
  ["annual_savings_eur", "cmp_annual_savings_eur", 1, 0],
  ["npv_eur", "cmp_npv_eur", 1, 0],
  ["payback_simple_years", "cmp_payback_simple_years", 1, 1],
];

const state = {
  lang: "de",
  key: null,
  runs: [],
  scenarios: new Map(),
  runId: null,
  period: "day",
  periodChosen: false,
  baseline: "B1",
  failed: [],
  config: { public: false, public_base: null, tile_url: null, tile_attribution: null },
  connectToken: 0,
  keyInUrl: false,
  metric: "cost_eur",
  compareIds: [],
  sweeps: [],
  sweepId: null,
  sweep: null,
  sweepToken: 0,
  sweepTimer: null,
  data: {},
  loadToken: 0,
  status: null,
  error: null,
};
const cache = new Map();

const $ = (id) => document.getElementById(id);

// -- words and numbers -------------------------------------------------------------

function t(key, params = {}) {
  const text = STRINGS[state.lang][key] ?? STRINGS.de[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

function num(value, digits = 0) {
  if (!Number.isFinite(value)) return t("not_available");
  return new Intl.NumberFormat(LOCALES[state.lang], {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

/** Digits that suit values of this size: 0 from 100, 1 from 10, else 2. */
function digitsFor(values) {
  const big = Math.max(0, ...values.filter(Number.isFinite).map(Math.abs));
  if (big >= 100) return 0;
  if (big >= 10) return 1;
  return 2;
}

function euro(value) {
  if (!Number.isFinite(value)) return t("not_available");
  return new Intl.NumberFormat(LOCALES[state.lang], {
    style: "currency",
    currency: "EUR",
    maximumFractionDigits: Math.abs(value) >= 100 ? 0 : 2,
  }).format(value);
}

/** The local calendar date of an ISO time with offset, as a UTC Date at midnight. */
function localDate(iso) {
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function dateText(date, opts = { day: "numeric", month: "long", year: "numeric" }) {
  return new Intl.DateTimeFormat(LOCALES[state.lang], { ...opts, timeZone: "UTC" }).format(date);
}

/** ISO week number and its year of a UTC date. */
function isoWeek(date) {
  const d = new Date(date);
  const day = (d.getUTCDay() + 6) % 7; // Monday = 0
  d.setUTCDate(d.getUTCDate() - day + 3); // Thursday of this week
  const year = d.getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const week = 1 + Math.round((d - jan4) / 86400000 / 7 - ((jan4.getUTCDay() + 6) % 7 - 3) / 7);
  return { week, year };
}

/** Start (local date) of the period that contains ``date``. */
function periodStart(date, period) {
  if (period === "week") {
    const d = new Date(date);
    d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
    return d;
  }
  if (period === "month") return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
  return date;
}

function periodText(date, period) {
  if (period === "week") return t("week_label", isoWeek(date));
  if (period === "month") return dateText(date, { month: "long", year: "numeric" });
  return dateText(date, { day: "numeric", month: "short" });
}

// -- the API -------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }
}

function errorText(err) {
  if (!(err instanceof ApiError)) return t("err_other", { status: "", detail: String(err.message || err) });
  if (err.status === 0) return t("err_network");
  if ([401, 403, 404, 409].includes(err.status)) return t(`err_${err.status}`);
  if (err.status === 422) return t("err_422", { detail: err.detail });
  if (err.status >= 500) return t("err_5xx", { status: err.status });
  return t("err_other", { status: err.status, detail: err.detail });
}

/** GET ``url`` with the key; the body as JSON, or as text for another ``accept``. */
async function fetchApi(url, accept = "application/json") {
  let response;
  try {
    // the key travels in a header only (never in a URL); without one, published data only
    const headers = state.key ? { "X-API-Key": state.key, Accept: accept } : { Accept: accept };
    response = await fetch(url, { headers, credentials: "omit" });
  } catch (e) {
    throw new ApiError(0, String(e));
  }
  if (!response.ok) {
    let detail = "";
    try {
      const body = await response.json();
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch {
      detail = response.statusText;
    }
    throw new ApiError(response.status, detail);
  }
  return accept === "application/json" ? response.json() : response.text();
}

/** The URL of an API path (relative) with query parameters. */
function apiUrl(path, params = {}) {
  // with a key the API itself; without one, where published data are read (config.json)
  const root = state.key || !state.config.public_base ? API_ROOT : new URL(state.config.public_base, document.baseURI);
  const url = new URL(path, root);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url;
}

/** GET an endpoint of the API (relative path), cached per key for the session. */
function api(path, params = {}, accept = "application/json") {
  const url = apiUrl(path, params);
  const id = `${accept} ${url}`;
  if (!cache.has(id)) {
    const promise = fetchApi(url, accept);
    cache.set(id, promise);
    promise.catch(() => cache.delete(id));
  }
  return cache.get(id);
}

// -- loading -------------------------------------------------------------------------

/** Show a message in the live region; ``make`` builds its words, again on a language switch. */
function setStatus(make) {
  state.status = make;
  $("status").textContent = make ? make() : "";
}

/** Show an error (role=alert); ``make`` builds its words, again on a language switch. */
function setError(make) {
  state.error = make;
  $("error").textContent = make ? make() : "";
}

/** Show the key field, or (with a working key) only the button that forgets it. */
function showKeyField(show) {
  $("key-field").hidden = !show;
  $("key-active").hidden = show;
  if (show) $("key-form").dataset.ready = "true";
}

async function connect() {
  if (!state.key && !state.config.public) {
    askForKey();
    return;
  }
  const token = ++state.connectToken; // a sign-in meanwhile makes this answer stale
  setError(null);
  setStatus(() => t("loading"));
  try {
    const [runs, scenarios, failed] = await Promise.all([
      api("runs", { status: "succeeded", limit: 200 }),
      api("scenarios", { limit: 200 }),
      api("runs", { status: "failed", limit: 50 }),
    ]);
    if (token !== state.connectToken) return;
    state.runs = runs.items;
    state.failed = failed.items;
    state.scenarios = new Map(scenarios.items.map((s) => [s.id, s]));
  } catch (err) {
    if (token !== state.connectToken) return;
    setStatus(null);
    setError(() => errorText(err));
    $("view-form").hidden = true;
    $("views").hidden = true;
    if (err instanceof ApiError && err.status === 401) {
      if (!state.key) {
        setError(null);
        askForKey();
        return;
      }
      showKeyField(true);
      $("key").focus();
    }
    return;
  }
  showKeyField(!state.key); // without a key (published data) the form stays for signing in
  loadSweeps();
  renderFailed();
  const asked = new URLSearchParams(location.search).get("run");
  const wanted = asked === null ? null : Number(asked);
  const ids = state.runs.map((r) => r.id);
  state.runId = wanted === null ? ids[0] ?? null : ids.includes(wanted) ? wanted : null;
  state.compareIds = defaultComparison();
  fillRunSelect();
  fillCompareChoice();
  $("view-form").hidden = false;
  if (state.runId === null) {
    $("views").hidden = true;
    if (wanted === null) setStatus(() => t("run_none"));
    else await explainMissing(wanted); // never another run in its place
    return;
  }
  await loadRun();
}

/** Say why the run asked for (``?run=``) is not shown: failed with its reason, not done, unknown. */
async function explainMissing(id) {
  setStatus(null);
  let run;
  try {
    run = await fetchApi(apiUrl(`runs/${id}`));
  } catch (err) {
    setError(() => t("run_missing", { id, message: errorText(err) }));
    return;
  }
  if (run.status === "failed") setError(() => t("run_failed", { id, reason: failureText(run, t) }));
  else setError(() => t("run_not_done", { id, status: t(`run_status_${run.status}`) }));
}

/** The failed runs the key may see, each with its reason (GET /runs?status=failed). */
function renderFailed() {
  const section = $("failed-section");
  section.hidden = !state.failed.length;
  $("failed-list").replaceChildren(
    ...state.failed.map((r) =>
      htmlEl("li", { "data-run": r.id }, [
        htmlEl("strong", { text: runLabel(r) }),
        htmlEl("span", { text: ` ${failureText(r, t)}` }),
      ]),
    ),
  );
}

/** The chosen run and the newest run of up to two other scenarios. */
function defaultComparison() {
  const out = state.runId === null ? [] : [state.runId];
  const seen = new Set(out.map((id) => runById(id).scenario_id));
  for (const r of state.runs) {
    if (out.length >= 3) break;
    if (!seen.has(r.scenario_id)) {
      out.push(r.id);
      seen.add(r.scenario_id);
    }
  }
  for (const r of state.runs) {
    if (out.length >= 2) break;
    if (!out.includes(r.id)) out.push(r.id);
  }
  return out;
}

function runById(id) {
  return state.runs.find((r) => r.id === id);
}

async function settle(promise) {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

/** Runs longer than this show months by default (365 daily bars are unreadable) [days]. */
const MONTHS_FROM_DAYS = 60;

/** The period of a run's bars unless one was chosen: month for long runs, else day. */
function defaultPeriod(run) {
  if (state.periodChosen) return state.period;
  return Number(run?.options?.days ?? 0) > MONTHS_FROM_DAYS ? "month" : "day";
}

async function loadRun() {
  const token = ++state.loadToken;
  const run = runById(state.runId);
  state.period = defaultPeriod(run);
  $("period").value = state.period;
  setError(null);
  setStatus(() => t("loading"));
  $("views").hidden = false;
  const id = state.runId;
  const results = settle(api(`runs/${id}/results`));
  const parts = {
    results,
    savings: settle(api(`runs/${id}/savings`, { period: state.period, baseline: state.baseline, format: "json" })),
    schedule: settle(
      api(`runs/${id}/schedule`, {
        aggregate: "day",
        format: "json",
        columns: "p_import_kw,load_kw,lighting_kw",
      }),
    ),
    lighting: settle(api(`runs/${id}/lighting`, { baseline: lightingBaseline() })),
    grid: results.then((r) =>
      settle(
        r.value && r.value.grid
          ? api(`runs/${id}/grid.geojson`)
          : api(`districts/${run.district_id}/grid.geojson`, { version: run.district_version }),
      ),
    ),
    compare: loadCompare(),
    // P10-P90 bands: the newest finished ensemble of the scenario over the run's own days
    ensemble: settle(latestEnsemble(api, run)),
    // a cooperative's members (only asked for where the scenario has a members list)
    members: settle(
      api(`scenarios/${run.scenario_id}/members`).then((list) => (list.members.length ? api(`runs/${id}/members`) : null)),
    ),
  };
  state.data = {};
  $("views").setAttribute("aria-busy", "true");
  for (const [name, , view] of SECTIONS) {
    $(view).replaceChildren(htmlEl(view === "tiles" ? "li" : "p", { class: "note", text: t("loading") }));
    $(`${name}-section`).setAttribute("aria-busy", "true");
  }
  // each view is drawn as soon as its data are there (the grid's AC results may take longer)
  const arrivals = Object.entries(parts).map(([name, promise]) =>
    promise.then((answer) => {
      if (token !== state.loadToken) return; // a newer selection is loading
      state.data[name] = answer;
      renderAll();
    }),
  );
  await Promise.all(arrivals);
  if (token !== state.loadToken) return;
  $("views").setAttribute("aria-busy", "false");
  const failed = Object.values(state.data).filter((d) => d.error);
  setStatus(failed.length ? null : () => t("loaded", { id }));
  if (failed.length === Object.keys(state.data).length) setError(() => errorText(failed[0].error));
}

/** The lighting of the comparison: nothing built lights as B0 does (S0, full power while dark). */
function lightingBaseline() {
  return state.baseline === "nothing_built" ? "B0" : state.baseline;
}

function loadCompare() {
  if (state.compareIds.length < 2) return Promise.resolve({ value: null });
  const ids = [...state.compareIds].sort((a, b) => a - b);
  return settle(api("compare", { runs: ids.join(","), format: "json" }));
}

// -- rendering ----------------------------------------------------------------------

/** The width a chart is drawn at: its container's, so 1 SVG unit is 1 CSS px [px]. */
function chartWidth(container) {
  return Math.round(Math.min(960, Math.max(280, container.clientWidth || 760)));
}

/** Smallest text an SVG may show on the screen [px] (older eyes, issue 14.5). */
const MIN_TEXT_PX = 14;

/**
 * An SVG drawn elsewhere (the API's heat maps) shown large enough that its smallest text is
 * ``MIN_TEXT_PX`` on the screen; wider than the screen, it scrolls in its region.
 */
function readableSvg(svg) {
  const sizes = [...svg.querySelectorAll("[font-size]")]
    .map((n) => parseFloat(n.getAttribute("font-size") ?? ""))
    .filter((v) => v > 0);
  const width = svg.viewBox?.baseVal?.width || parseFloat(svg.getAttribute("width") ?? "");
  if (!sizes.length || !(width > 0)) return svg;
  const zoom = Math.max(1, MIN_TEXT_PX / Math.min(...sizes));
  svg.classList.add("chart-natural");
  svg.removeAttribute("height");
  svg.style.width = `${Math.ceil(width * zoom)}px`;
  return svg;
}

function sectionError(container, err) {
  container.replaceChildren(htmlEl("p", { class: "section-error", text: t("section_failed", { message: errorText(err) }) }));
}

/** The views: section name, the answers each needs, its container, how it is drawn. */
const SECTIONS = [
  ["tiles", ["results", "savings", "ensemble"], "tiles", () => renderTiles()],
  ["savings", ["savings"], "savings-view", () => renderSavings()],
  ["autarky", ["schedule", "ensemble"], "autarky-view", () => renderAutarky()],
  ["lighting", ["lighting", "results", "savings"], "lighting-view", () => renderLighting()],
  ["grid", ["grid", "results"], "grid-view", () => renderGrid()],
  ["compare", ["compare"], "compare-view", () => renderCompare()],
  ["members", ["members"], "members-view", () => renderMembers()],
];

/** Draw every view whose answers have arrived. */
function renderAll() {
  renderFooter();
  for (const [name, needs, , draw] of SECTIONS) {
    const ready = needs.every((n) => state.data[n]);
    if (ready) {
      draw();
      $(`${name}-section`).setAttribute("aria-busy", "false");
    }
  }
}

/**
 * The savings answer as tidy rows of one baseline: {period_start, period, source, metric, value}.
 * Accepts the tidy form (``rows``) and the wide form (``baselines -> [period entries]``).
 */
function tidySavings(body, baseline) {
  if (Array.isArray(body.rows)) {
    return body.rows.filter((r) => !r.baseline || r.baseline === baseline);
  }
  const entries = body.baselines && !Array.isArray(body.baselines) ? body.baselines[baseline] || [] : [];
  const rows = [];
  for (const e of entries) {
    for (const [metric, bySource] of Object.entries(e)) {
      if (bySource === null || typeof bySource !== "object") continue;
      for (const [source, value] of Object.entries(bySource)) {
        rows.push({ period_start: e.period_start, period: e.period, baseline, source, metric, value });
      }
    }
  }
  return rows;
}

/** Periods (in time order) with the parts of each source and the total of one metric. */
function savingsPeriods(rows, metric) {
  const byPeriod = new Map();
  for (const r of rows) {
    if (r.metric !== metric) continue;
    if (!byPeriod.has(r.period)) {
      byPeriod.set(r.period, { key: r.period, start: r.period_start, parts: {}, total: null });
    }
    const p = byPeriod.get(r.period);
    if (r.source === "total") p.total = r.value;
    else p.parts[r.source] = r.value;
  }
  const out = [...byPeriod.values()].sort((a, b) => (a.start < b.start ? -1 : 1));
  for (const p of out) {
    if (p.total === null) p.total = SOURCES.reduce((s, k) => s + (p.parts[k] ?? 0), 0);
    p.label = periodText(localDate(p.start), state.period);
  }
  return out;
}

function runRange() {
  const run = runById(state.runId);
  const meta = state.data.results.value?.metadata?.options ?? run.options;
  const start = localDate(String(meta.start));
  const end = new Date(start);
  end.setUTCDate(end.getUTCDate() + Number(meta.days) - 1);
  return t("range", { from: dateText(start), to: dateText(end) });
}

function tile(label, value, unit, note, key, band = "") {
  return htmlEl("li", { class: "tile", "data-tile": key }, [
    htmlEl("span", { class: "tile-label", text: label }),
    htmlEl("span", { class: "tile-value" }, [value, unit ? htmlEl("span", { class: "tile-unit", text: unit }) : ""]),
    note ? htmlEl("span", { class: "tile-note", text: note }) : "",
    band ? htmlEl("span", { class: "tile-note tile-band", text: band }) : "",
  ]);
}

/** The ensemble of the run (bands.js), or null when there is none or it could not be read. */
function runEnsemble() {
  return state.data.ensemble?.value ?? null;
}

/** A tile's P10-P90 line of an ensemble figure, "" without an ensemble. */
function bandText(figure, fmt, unit) {
  const band = figureBand(runEnsemble(), figure);
  if (!band) return "";
  return t("band_note", { n: band.n, p10: fmt(band.p10), p90: fmt(band.p90), unit });
}

/** A comparison in words: the API's label (``baseline_labels``) in English, its German form. */
function baselineLabel(baseline) {
  const labels = state.data.results?.value?.baseline_labels ?? {};
  if (state.lang === "en" && labels[baseline]) return labels[baseline];
  return t(`baseline_long_${baseline}`);
}

/** Savings over the horizon against the chosen comparison: /savings ``totals.<b>.<metric>.total``. */
function savingsTotal(body, metric) {
  const total = body.totals?.[state.baseline]?.[metric]?.total;
  if (Number.isFinite(total)) return total;
  return tidySavings(body, state.baseline)
    .filter((r) => r.metric === metric && r.source === "total")
    .reduce((s, r) => s + r.value, 0);
}

/** Readable names of the run's grid elements, once its GeoJSON has arrived. */
function gridNames() {
  return placeNames(state.data.grid?.value, t);
}

/** The grid status of a run's AC check as a list of sentences (status.js). */
function statusList(items, attrs) {
  return htmlEl(
    "ul",
    { ...attrs, class: `status-list ${attrs.class ?? ""}`.trim() },
    items.map((i) => htmlEl("li", { class: `status-${i.level}`, "data-status": i.key, text: i.text })),
  );
}

function gridTile(results) {
  const items = gridStatus(results.grid, results.kpis, state.baseline, { t, num }, results.metadata?.grid_status, gridNames());
  const level = worstLevel(items);
  const value = results.grid ? t(`gs_level_${level}`) : t("gs_level_none");
  const node = tile(t("tile_grid"), value, "", "", "grid");
  node.classList.add(`status-${level}`);
  node.append(statusList(items, { class: "tile-note" }));
  return node;
}

function renderTiles() {
  const container = $("tiles");
  const { results, savings } = state.data;
  if (results.error) return sectionError(container, results.error);
  const label = baselineLabel(state.baseline);
  $("tiles-period").textContent = t("tiles_period", { range: runRange(), baseline: label });
  $("tiles-note").textContent = t("tiles_sum_note", { baseline: label });
  const tiles = [];
  if (savings.error) {
    tiles.push(htmlEl("li", { class: "section-error", text: t("section_failed", { message: errorText(savings.error) }) }));
  } else {
    const cost = savingsTotal(savings.value, "cost_eur");
    const kwh = savingsTotal(savings.value, "e_import_kwh");
    const tonnes = savingsTotal(savings.value, "co2_kg") / 1000;
    // the ensemble has the cost saving against B1 and B0 (not against nothing built)
    const costBand = state.baseline === "nothing_built" ? "" : bandText(`saving_vs_${state.baseline}_eur`, euro, "");
    tiles.push(tile(t("tile_cost"), euro(cost), "", "", "cost_eur", costBand.trim()));
    tiles.push(tile(t("tile_energy"), num(kwh, digitsFor([kwh])), t("unit_kwh"), "", "e_import_kwh"));
    tiles.push(tile(t("tile_co2"), num(tonnes, digitsFor([tonnes])), t("unit_t"), "", "co2_t"));
  }
  const { kpis } = results.value;
  const own = kpis.optimised?.self_sufficiency;
  const base = kpis[state.baseline]?.self_sufficiency;
  const points = results.value.savings?.[`vs_${state.baseline}`]?.self_sufficiency_points;
  tiles.push(
    tile(
      t("tile_autarky"),
      num(own * 100, 1),
      t("unit_pct"),
      t("tile_autarky_note", {
        baseline: state.baseline,
        value: num(base * 100, 1),
        points: Number.isFinite(points) ? `${points >= 0 ? "+" : ""}${num(points, 1)}` : t("not_available"),
      }),
      "autarky",
      bandText("self_sufficiency_pct", (v) => num(v, 1), t("unit_pct")),
    ),
  );
  tiles.push(gridTile(results.value));
  container.replaceChildren(...tiles);
  const bad = badYearText(runEnsemble(), t, num);
  $("tiles-bands").textContent = bad;
  $("tiles-bands").hidden = !bad;
}

function renderSavings() {
  const container = $("savings-view");
  const { savings } = state.data;
  if (savings.error) return sectionError(container, savings.error);
  const metric = state.metric;
  const unit = t(METRIC_UNIT[metric]);
  const periods = savingsPeriods(tidySavings(savings.value, state.baseline), metric);
  const digits = digitsFor(periods.flatMap((p) => [p.total, ...Object.values(p.parts)]));
  const fmt = (v) => num(v, digits);
  const total = periods.reduce((s, p) => s + p.total, 0);
  const periodWord = t(`period_${state.period}`);
  const series = SOURCES.map((key) => ({ key, label: t(`source_${key}`), cls: `src-${key}` }));
  const svg = stackedBars({
    width: chartWidth(container),
    periods,
    series,
    fmt,
    unit,
    title: t("savings_chart_title", { unit, period: periodWord }),
    desc: t("savings_chart_desc", { n: periods.length, total: fmt(total), unit }),
  });
  const table = dataTable({
    id: "savings-table",
    caption: t("savings_table_caption", { unit, period: periodWord }),
    columns: [{ label: t("col_period") }, ...series.map((s) => ({ label: s.label })), { label: t("source_total") }],
    rows: periods.map((p) => ({
      key: p.key,
      header: p.label,
      cells: [
        ...SOURCES.map((s) => ({ value: p.parts[s] ?? 0, text: fmt(p.parts[s] ?? 0), column: s })),
        { value: p.total, text: fmt(p.total), column: "total" },
      ],
    })),
  });
  const negative = periods.some((p) => Object.values(p.parts).some((v) => v < 0));
  container.replaceChildren(
    htmlEl("figure", { id: "savings-figure" }, [
      legend(series, t("savings_chart_title", { unit, period: periodWord })),
      svg,
      table,
    ]),
    negative ? htmlEl("p", { class: "note", text: t("negative_note") }) : "",
  );
}

function renderAutarky() {
  const container = $("autarky-view");
  const { schedule } = state.data;
  if (schedule.error) return sectionError(container, schedule.error);
  const groups = new Map();
  for (const row of schedule.value.rows) {
    const start = periodStart(localDate(row.time_local), state.period);
    const key = start.toISOString().slice(0, 10);
    if (!groups.has(key)) groups.set(key, { start, imp: 0, use: 0 });
    const g = groups.get(key);
    g.imp += row.e_import_kwh ?? 0;
    g.use += (row.load_kwh ?? 0) + (row.lighting_kwh ?? 0);
  }
  const items = [...groups.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .filter(([, g]) => g.use > 0)
    .map(([key, g]) => ({ key, label: periodText(g.start, state.period), value: 100 * (1 - g.imp / g.use) }));
  // monthly P10-P90 of the ensemble's members over the same days (bands.js)
  const bands = state.period === "month" ? monthBands(runEnsemble(), "self_sufficiency_pct") : new Map();
  for (const d of items) d.band = bands.get(d.key.slice(0, 7)) ?? null;
  const banded = items.some((d) => d.band);
  const fmt = (v) => num(v, 1);
  const periodWord = t(`period_${state.period}`);
  const values = items.map((d) => d.value);
  const svg = simpleBars({
    width: chartWidth(container),
    items,
    fmt,
    unit: "%",
    cls: "src-autarky",
    yMax: 100,
    title: t("autarky_chart_title", { period: periodWord }),
    desc: t("autarky_chart_desc", { n: items.length, min: fmt(Math.min(...values)), max: fmt(Math.max(...values)) }),
  });
  const table = dataTable({
    id: "autarky-table",
    caption: t("autarky_table_caption", { period: periodWord }),
    columns: [
      { label: t("col_period") },
      { label: t("col_autarky") },
      ...(banded ? [{ label: t("col_band_p10") }, { label: t("col_band_p90") }] : []),
    ],
    rows: items.map((d) => ({
      key: d.key,
      header: d.label,
      cells: [
        { value: d.value, text: fmt(d.value) },
        ...(banded
          ? ["p10", "p90"].map((q) => ({ value: d.band?.[q] ?? null, text: d.band ? fmt(d.band[q]) : "–" }))
          : []),
      ],
    })),
  });
  const ensemble = runEnsemble();
  const note = banded
    ? htmlEl("p", {
        class: "note",
        id: "autarky-band-note",
        text: t("band_chart_note", { n: ensemble.summary.figures.self_sufficiency_pct.n, id: ensemble.id }),
      })
    : "";
  container.replaceChildren(htmlEl("figure", {}, [svg, table]), note);
}

/** Hours of the day in night order (noon to noon), keeping those with any lighting. */
function nightHours(groups) {
  const order = [...Array(24).keys()].map((h) => (h + 12) % 24);
  return order.filter((h) => groups.some((g) => g.e_kwh_by_hour[h] > 0 || g.e_baseline_kwh_by_hour[h] > 0));
}

/**
 * The lighting saving in its two parts (docs/definitions.md): the traffic-adaptive class rule
 * and what optimisation adds on top, in kWh (/results ``savings.vs_<b>``) and EUR (/savings).
 */
function lightingParts() {
  const kwh = state.data.results.value?.savings?.[`vs_${state.baseline}`] ?? {};
  const rule = kwh.e_lighting_class_rule_kwh;
  const opt = kwh.e_lighting_optimisation_kwh;
  if (!Number.isFinite(rule) || !Number.isFinite(opt)) return "";
  const eur = state.data.savings.value?.totals?.[state.baseline]?.cost_eur ?? {};
  const d = digitsFor([rule, opt]);
  const money = (v) => (Number.isFinite(v) ? ` (${euro(v)})` : "");
  const parts = [
    t("lighting_rule", { baseline: state.baseline, kwh: num(rule, d), eur: money(eur.lighting_class_rule) }),
    Math.abs(opt) < 1e-6
      ? t("lighting_opt_zero")
      : t("lighting_opt_adds", { kwh: num(opt, d), eur: money(eur.lighting_optimisation) }),
  ];
  return htmlEl("p", { id: "lighting-parts", class: "lighting-parts", text: parts.join(" ") });
}

function renderLighting() {
  const container = $("lighting-view");
  const { lighting } = state.data;
  if (lighting.error) return sectionError(container, lighting.error);
  const groups = lighting.value.groups;
  if (!groups.length) {
    container.replaceChildren(htmlEl("p", { text: t("no_lighting") }));
    return;
  }
  const hours = nightHours(groups);
  const values = groups.map((g) => hours.map((h) => g.e_kwh_by_hour[h]));
  const digits = digitsFor(values.flat()) === 0 ? 0 : 1;
  const fmt = (v) => num(v, digits);
  const hourText = (h) => t("hour_label", { h });
  const max = Math.max(0, ...values.flat());
  const road = (g) => g.road ?? g.group; // a group as people know it: its road
  const { svg } = heatMap({
    rows: groups.map(road),
    columns: hours.map(String),
    values,
    fmt,
    title: t("lighting_heat_title"),
    desc: t("lighting_heat_desc", {
      groups: groups.length,
      first: hourText(hours[0] ?? 0),
      last: hourText(hours[hours.length - 1] ?? 0),
      max: fmt(max),
    }),
  });
  const steps = [0, 1, 2, 3, 4].map((s) => ({
    cls: `heat-${s}`,
    label: s === 0 ? "0" : `${fmt(((s - 1) / 4) * max)} – ${fmt((s / 4) * max)}`,
  }));
  const heatTable = dataTable({
    id: "lighting-heat-table",
    caption: t("lighting_heat_caption"),
    columns: [{ label: t("col_group") }, ...hours.map((h) => ({ label: hourText(h) }))],
    rows: groups.map((g, i) => ({
      key: g.group,
      header: road(g),
      cells: values[i].map((v, j) => ({ value: v, text: fmt(v), column: String(hours[j]) })),
    })),
  });
  container.replaceChildren(
    htmlEl("p", { text: t("lighting_intro", { days: lighting.value.days }) }),
    lightingParts(),
    htmlEl("figure", {}, [
      scrollRegion(svg, t("lighting_heat_title")),
      htmlEl("p", { class: "note", text: t("heat_legend") }),
      legend(steps, t("heat_legend")),
      heatTable,
    ]),
    htmlEl("h3", { text: t("lighting_saved_heading") }),
    lightingSaved(groups, road, chartWidth(container)),
  );
}

/** The energy each lighting group saved against the comparison: bars and their table. */
function lightingSaved(groups, road, width) {
  const saved = groups.map((g) => ({ label: road(g), value: g.e_saved_kwh }));
  const savedDigits = digitsFor(saved.map((d) => d.value));
  const savedFmt = (v) => num(v, savedDigits);
  const totalSaved = saved.reduce((s, d) => s + d.value, 0);
  const baselineWord = t(`baseline_${state.baseline}`);
  const savedSvg = horizontalBars({
    width,
    items: saved,
    fmt: (v) => `${savedFmt(v)} kWh`,
    cls: "src-lighting",
    title: t("lighting_saved_title", { baseline: lightingBaseline() === state.baseline ? baselineWord : t("baseline_B0") }),
    desc: t("lighting_saved_desc", { groups: groups.length, total: savedFmt(totalSaved) }),
  });
  const savedTable = dataTable({
    id: "lighting-saved-table",
    caption: t("lighting_saved_caption"),
    columns: [{ label: t("col_group") }, { label: t("col_used") }, { label: t("col_baseline_used") }, { label: t("col_saved") }],
    rows: groups.map((g) => ({
      key: g.group,
      header: road(g),
      cells: [
        { value: g.e_kwh, text: savedFmt(g.e_kwh), column: "used" },
        { value: g.e_baseline_kwh, text: savedFmt(g.e_baseline_kwh), column: "baseline" },
        { value: g.e_saved_kwh, text: savedFmt(g.e_saved_kwh), column: "saved" },
      ],
    })),
  });
  return htmlEl("figure", {}, [savedSvg, savedTable]);
}

function renderGrid() {
  const container = $("grid-view");
  const { grid } = state.data;
  const results = state.data.results.value;
  const words = results
    ? statusList(gridStatus(results.grid, results.kpis, state.baseline, { t, num }, results.metadata?.grid_status, gridNames()), { id: "grid-status" })
    : "";
  if (grid.error) {
    sectionError(container, grid.error);
    container.prepend(words);
    return;
  }
  const { figure, draw } = gridMap(grid.value, {
    t,
    num,
    tileUrl: state.config.tile_url,
    tileAttribution: state.config.tile_attribution,
  });
  container.replaceChildren(words, figure);
  draw();
}

function fillCompareChoice() {
  const box = $("compare-choice");
  const legendNode = box.querySelector("legend");
  const items = state.runs.slice(0, 12).map((r) => {
    const input = htmlEl("input", {
      type: "checkbox",
      name: "compare",
      value: r.id,
      id: `compare-${r.id}`,
      checked: state.compareIds.includes(r.id),
    });
    input.addEventListener("change", onCompareChange);
    return htmlEl("label", { for: `compare-${r.id}` }, [input, runLabel(r)]);
  });
  box.replaceChildren(legendNode, ...items);
}

async function onCompareChange() {
  state.compareIds = [...document.querySelectorAll("#compare-choice input:checked")].map((i) => Number(i.value));
  state.data.compare = await loadCompare();
  renderCompare();
}

/** Value of a comparison row for column ``name`` in the answer of ``GET /compare``. */
function compareValue(row, name, index) {
  if (!row) return null;
  if (row.values && !Array.isArray(row.values)) return row.values[name];
  if (Array.isArray(row.values)) return row.values[index];
  return row[name];
}

function renderCompare() {
  const container = $("compare-view");
  const { compare } = state.data;
  if (state.compareIds.length < 2) {
    container.replaceChildren(htmlEl("p", { class: "note", text: t("compare_need_two") }));
    return;
  }
  if (!compare || !compare.value) {
    if (compare && compare.error) sectionError(container, compare.error);
    return;
  }
  const body = compare.value;
  const names = body.scenarios || body.columns;
  if (!Array.isArray(body.rows) || !Array.isArray(names)) {
    container.replaceChildren(htmlEl("p", { class: "section-error", text: t("compare_unexpected") }));
    return;
  }
  const byKey = new Map(body.rows.map((r) => [r.key, r]));
  const rows = [];
  for (const [pattern, label, factor, digits] of COMPARE_ROWS) {
    const key = pattern.replace("{baseline}", state.baseline);
    const row = byKey.get(key);
    if (!row) continue;
    const values = names.map((name, i) => {
      const raw = compareValue(row, name, i);
      return Number.isFinite(raw) ? raw * factor : null;
    });
    const shown = digits ?? digitsFor(values.filter((v) => v !== null));
    // an annual figure scaled up from a short horizon says so next to the number
    const flag = (i) => {
      const from = ANNUAL_ROWS.has(key) ? body.economics?.[names[i]]?.extrapolated_from : null;
      return from ? ` (${extrapolatedText(from, t)})` : "";
    };
    rows.push({
      key,
      header: t(label, { baseline: state.baseline }),
      cells: values.map((value, i) => ({
        value,
        text: value === null ? t("not_available") : `${num(value, shown)}${flag(i)}`,
        column: String(names[i]),
      })),
    });
  }
  const estimate = byKey.get("annual_savings_is_estimate");
  const isEstimate = estimate && names.some((n, i) => compareValue(estimate, n, i));
  container.replaceChildren(
    dataTable({
      id: "compare-table",
      hidden: false,
      caption: t("compare_caption"),
      columns: [{ label: t("compare_indicator") }, ...names.map((n) => ({ label: String(n) }))],
      rows,
    }),
    isEstimate ? htmlEl("p", { class: "note", text: t("cmp_estimate") }) : "",
  );
}

/** The file name of a path the API reports ("data/weather/x.dat" -> "x.dat"). */
function fileName(path) {
  return String(path).split(/[\\/]/).pop();
}

/**
 * The data that went into the run, one line each: the API's ``data_sources`` records
 * (attribution, licences, file), else its ``data_licences`` lines, else, for the files the
 * package ships (data/datapackage.json), their attribution; an unknown file is named as such.
 */
function dataSourceLines(results) {
  const meta = results?.metadata ?? {};
  const records = results?.data_sources ?? meta.data_sources;
  if (Array.isArray(records) && records.length) {
    return records.map((r) =>
      r.licences?.length
        ? t("footer_data_source", { attribution: r.attribution ?? r.title ?? "", licences: r.licences.join(", "), role: r.role, file: fileName(r.file ?? "") })
        : t("footer_data_unknown", { role: r.role, file: fileName(r.file ?? "") }),
    );
  }
  const lines = [...(results?.data_licences ?? meta.data_licences ?? []), ...(state.data.grid?.value?.metadata?.data_licences ?? [])];
  if (lines.length) return [...new Set(lines.map(String))];
  const shipped = { weather: [/^data\/weather\/TRY/, "footer_weather"], day_ahead: [/^data\/prices\/smard/, "footer_prices"] };
  return Object.entries(meta.data_files ?? {}).map(([role, record]) => {
    const [pattern, key] = shipped[role] ?? [];
    return pattern && pattern.test(String(record?.path ?? "")) ? t(key) : t("footer_data_unknown", { role, file: fileName(record?.path ?? "") });
  });
}

/** The cooperative's members: each one's share of the run's whole-system economics. */
function renderMembers() {
  const { members } = state.data;
  const section = $("members-section");
  section.hidden = !members.error && !members.value;
  if (members.error) return sectionError($("members-view"), members.error);
  if (!members.value) return;
  const body = members.value;
  const flag = body.extrapolated_from ? ` (${extrapolatedText(body.extrapolated_from, t)})` : "";
  const money = (v) => (Number.isFinite(v) ? euro(v) : t("not_available"));
  const years = (v) => (Number.isFinite(v) ? num(v, 1) : t("member_not_repaid"));
  const cells = (m) => [
    { value: m.share_frac, text: `${num(100 * m.share_frac, 1)} %`, column: "share" },
    { value: m.investment_eur, text: money(m.investment_eur), column: "investment" },
    { value: m.annual_return_eur, text: `${money(m.annual_return_eur)}${flag}`, column: "annual_return" },
    { value: m.npv_eur, text: money(m.npv_eur), column: "npv" },
    { value: m.payback_simple_years, text: years(m.payback_simple_years), column: "payback" },
    { value: m.energy_kwh_per_year, text: num(m.energy_kwh_per_year, 0), column: "energy" },
  ];
  const columns = ["member", "share", "investment", "annual_return", "npv", "payback", "energy"];
  const project = body.project;
  const total = { ...body.total, share_frac: 1, payback_simple_years: body.members[0]?.payback_simple_years };
  const table = dataTable({
    id: "members-table",
    hidden: false,
    caption: t("members_caption"),
    columns: columns.map((c) => ({ label: t(`member_col_${c}`) })),
    rows: [
      ...body.members.map((m) => ({ key: m.member, header: m.member, cells: cells(m) })),
      { key: "total", header: t("members_total"), cells: cells(total) },
    ],
  });
  $("members-view").replaceChildren(
    table,
    htmlEl("p", {
      id: "members-check",
      class: "note",
      text: t("members_adds_up", {
        n: body.members.length,
        total: money(body.total.annual_return_eur),
        project: money(project.annual_savings_eur),
        opex: money(project.opex_eur_per_year),
        basis: body.annual_basis === "full year" ? t("members_full_year") : flag.trim(),
      }),
    }),
  );
}

function renderFooter() {
  const results = state.data.results?.value;
  const licence = results?.licence ?? "CC-BY-4.0";
  const attribution = results?.attribution ?? "Digitales Stadtwerk Gera";
  const links = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
  };
  $("attr-results").replaceChildren(
    `${t("footer_results", { attribution })} `,
    htmlEl("a", { href: links[licence] ?? links["CC-BY-4.0"], rel: "license", text: licence }),
  );
  const weather = results?.metadata?.data_files?.weather?.path;
  $("attr-weather").hidden = !results;
  $("attr-weather").textContent = weather ? t("footer_weather_used", { file: fileName(weather) }) : t("footer_weather_none");
  const lines = results ? dataSourceLines(results) : [];
  $("attr-data").replaceChildren(...lines.map((text) => htmlEl("li", { text })));
  const gridLicence = state.data.grid?.value?.metadata?.licence;
  const odbl = lines.some((d) => /odbl/i.test(d)) || /odbl/i.test(gridLicence ?? "");
  const odblItem = $("attr-odbl");
  odblItem.hidden = !odbl;
  odblItem.replaceChildren(
    `${t("footer_odbl")} `,
    htmlEl("a", { href: links["ODbL-1.0"], rel: "license", text: "ODbL-1.0" }),
  );
  const source = results?.metadata?.source;
  $("attr-source").hidden = !source;
  $("attr-source").textContent = source ? t("footer_source", { source }) : "";
}

// -- sweeps ----------------------------------------------------------------------------

/** The sweeps the key may read (newest first), the select filled, one of them shown. */
async function loadSweeps() {
  const token = ++state.sweepToken;
  let page;
  try {
    page = await fetchApi(apiUrl("sweeps", { limit: 200 }));
  } catch (err) {
    if (token !== state.sweepToken) return;
    $("sweeps-section").hidden = false;
    sectionError($("sweep-view"), err);
    $("sweeps-section").setAttribute("aria-busy", "false");
    return;
  }
  if (token !== state.sweepToken) return;
  state.sweeps = page.items;
  $("sweeps-section").hidden = !state.sweeps.length;
  if (!state.sweeps.length) {
    $("sweeps-section").setAttribute("aria-busy", "false");
    return;
  }
  const wanted = Number(new URLSearchParams(location.search).get("sweep"));
  const ids = state.sweeps.map((s) => s.id);
  const done = state.sweeps.find((s) => s.status === "succeeded");
  state.sweepId = ids.includes(wanted) ? wanted : (done ?? state.sweeps[0]).id;
  fillSweepSelect();
  await loadSweep();
}

function sweepLabel(s) {
  const scenario = state.scenarios.get(s.scenario_id);
  const points = Object.values(s.grid).reduce((n, values) => n * values.length, 1);
  return t("sweep_option", {
    id: s.id,
    scenario: scenario ? scenario.name : `#${s.scenario_id}`,
    points,
    status: t(`sweep_status_${s.status}`),
  });
}

function fillSweepSelect() {
  const select = $("sweep");
  select.replaceChildren(...state.sweeps.map((s) => htmlEl("option", { value: s.id, text: sweepLabel(s) })));
  select.value = String(state.sweepId);
}

/** Read the chosen sweep afresh; while it runs, show its progress and ask again. */
async function loadSweep() {
  const token = ++state.sweepToken;
  clearTimeout(state.sweepTimer);
  const id = state.sweepId;
  const section = $("sweeps-section");
  section.setAttribute("aria-busy", "true");
  if (state.sweep?.id !== id) {
    state.sweep = null;
    $("sweep-progress").textContent = t("loading");
    $("sweep-view").replaceChildren();
  }
  let sweep;
  try {
    sweep = await fetchApi(apiUrl(`sweeps/${id}`));
  } catch (err) {
    if (token !== state.sweepToken) return;
    $("sweep-progress").textContent = "";
    sectionError($("sweep-view"), err);
    section.setAttribute("aria-busy", "false");
    return;
  }
  if (token !== state.sweepToken) return;
  state.sweep = sweep;
  const listed = state.sweeps.find((s) => s.id === id);
  if (listed && listed.status !== sweep.status) {
    listed.status = sweep.status;
    fillSweepSelect();
  }
  if (sweep.status === "queued" || sweep.status === "running") {
    renderSweepProgress();
    state.sweepTimer = setTimeout(() => {
      if (token === state.sweepToken) loadSweep();
    }, SWEEP_POLL_MS);
    return; // still busy
  }
  await renderSweep();
  if (token === state.sweepToken) section.setAttribute("aria-busy", "false");
}

/** The local days a sweep's points calculate, in words. */
function sweepRange(options) {
  const start = localDate(String(options.start));
  const days = Number(options.days ?? 1);
  const end = new Date(start);
  end.setUTCDate(end.getUTCDate() + days - 1);
  return days > 1 ? t("range", { from: dateText(start), to: dateText(end) }) : dateText(start);
}

function renderSweepProgress() {
  const s = state.sweep;
  $("sweep-progress").textContent = t("sweep_progress", {
    done: s.points_done,
    total: s.points_total,
    pct: num(100 * s.progress_frac, 0),
  });
  $("sweep-view").replaceChildren(htmlEl("p", { class: "note", text: t("sweep_wait") }));
}

/** A grid point in words: "20 kWp more PV and 40 kWh more battery" (or nothing added). */
function pointText(point, parameters) {
  const parts = parameters
    .filter((p) => point[p] > 0)
    .map((p) => t(`sweep_param_${p}`, { value: num(point[p], Number.isInteger(point[p]) ? 0 : 1) }));
  return parts.length ? parts.join(t("sweep_and")) : t("sweep_nothing_added");
}

/** The best points by NPV and by self-sufficiency, in sentences. */
function sweepBest(summary) {
  const byNpv = summary.best_by_npv;
  const byAuto = summary.best_by_self_sufficiency;
  const pct = (v) => num(100 * v, 1);
  const npvWords = t("sweep_best_npv", {
    npv: euro(byNpv.npv_eur),
    point: pointText(byNpv, summary.parameters),
    capex: euro(byNpv.capex_eur),
    autarky: pct(byNpv.self_sufficiency),
  });
  const lines = [
    htmlEl("li", { "data-best": "npv_eur", text: npvWords }),
    htmlEl("li", {
      "data-best": "self_sufficiency",
      text: t("sweep_best_autarky", {
        autarky: pct(byAuto.self_sufficiency),
        point: pointText(byAuto, summary.parameters),
        npv: euro(byAuto.npv_eur),
      }),
    }),
  ];
  if (!(byNpv.npv_eur > 0)) lines.push(htmlEl("li", { text: t("sweep_none_pays") }));
  return htmlEl("ul", { class: "sweep-best" }, lines);
}

/** The hidden table beside a heat map: rows and columns as in the picture, raw values. */
function sweepTable(summary, metric) {
  const heat = summary.heatmaps[metric];
  const fmt = metric === "npv_eur" ? (v) => num(v, 0) : (v) => num(100 * v, 1);
  const param = (p, v) => t(`sweep_axis_${p}`, { value: num(v, Number.isInteger(v) ? 0 : 1) });
  const single = summary.parameters.length === 1;
  const columns = single ? [t(`sweep_metric_${metric}`)] : heat.columns.values.map((v) => param(heat.columns.parameter, v));
  return dataTable({
    id: `sweep-table-${metric}`,
    caption: t(`sweep_table_${metric}`),
    columns: [{ label: t(`sweep_param_name_${heat.rows.parameter}`) }, ...columns.map((label) => ({ label }))],
    rows: heat.rows.values.map((rv, i) => ({
      key: String(rv),
      header: param(heat.rows.parameter, rv),
      cells: heat.values[i].map((v, j) => ({
        value: v,
        text: v === null ? t("not_available") : fmt(v),
        column: String(single ? j : heat.columns.values[j]),
      })),
    })),
  });
}

async function renderSweep() {
  const s = state.sweep;
  const view = $("sweep-view");
  if (!s) return;
  if (s.status === "queued" || s.status === "running") return renderSweepProgress();
  if (s.status !== "succeeded") {
    $("sweep-progress").textContent = "";
    const failed = s.counts.failed ?? 0;
    view.replaceChildren(
      htmlEl("p", { class: "section-error", text: t(`sweep_ended_${s.status}`, { failed, total: s.points_total }) }),
    );
    return;
  }
  $("sweep-progress").textContent = s.options?.start
    ? t("sweep_done", { total: s.points_total, range: sweepRange(s.options) })
    : t("sweep_done_plain", { total: s.points_total });
  const token = state.sweepToken;
  const lang = state.lang;
  const pictures = await Promise.all(
    SWEEP_METRICS.map((metric) => settle(api(`sweeps/${s.id}/heatmap.svg`, { metric, lang }, "image/svg+xml"))),
  );
  if (token !== state.sweepToken || lang !== state.lang) return; // another sweep or language meanwhile
  const figures = SWEEP_METRICS.map((metric, k) => {
    const picture = pictures[k];
    let body;
    try {
      if (picture.error) throw picture.error;
      body = scrollRegion(readableSvg(inlineSvg(picture.value)), t(`sweep_metric_${metric}`));
    } catch (err) {
      body = htmlEl("p", { class: "section-error", text: t("section_failed", { message: errorText(err) }) });
    }
    return htmlEl("figure", { id: `sweep-figure-${metric}`, class: "sweep-figure", "data-metric": metric }, [
      body,
      sweepTable(s.summary, metric),
    ]);
  });
  const estimate = s.summary.points.some((p) => p.annual_savings_is_estimate);
  view.replaceChildren(
    sweepBest(s.summary),
    estimate ? htmlEl("p", { class: "note", text: t("sweep_estimate") }) : "",
    htmlEl("div", { class: "sweep-maps" }, figures),
  );
}

function stopSweeps() {
  state.sweepToken += 1;
  clearTimeout(state.sweepTimer);
  state.sweeps = [];
  state.sweep = null;
  $("sweeps-section").hidden = true;
}

// -- controls ------------------------------------------------------------------------

function runLabel(r) {
  const scenario = state.scenarios.get(r.scenario_id);
  const options = r.options || {};
  return t("run_option", {
    id: r.id,
    scenario: scenario ? scenario.name : `#${r.scenario_id}`,
    start: options.start ? dateText(localDate(String(options.start)), { day: "numeric", month: "short", year: "numeric" }) : "",
    days: options.days ?? "",
  });
}

function fillRunSelect() {
  const select = $("run");
  if (!state.runs.length) {
    select.replaceChildren(htmlEl("option", { value: "", text: t("run_none") }));
    return;
  }
  const options = state.runs.map((r) => htmlEl("option", { value: r.id, text: runLabel(r) }));
  if (state.runId === null) options.unshift(htmlEl("option", { value: "", text: t("run_choose") }));
  select.replaceChildren(...options);
  select.value = state.runId === null ? "" : String(state.runId);
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  const toggle = $("lang-toggle");
  toggle.textContent = t("lang_toggle");
  toggle.lang = state.lang === "de" ? "en" : "de";
  toggle.setAttribute("aria-label", t("lang_toggle_label"));
  $("baseline-explain").textContent = t(`explain_${state.baseline}`);
  setStatus(state.status);
  setError(state.error);
  if (state.runs.length) {
    fillRunSelect();
    fillCompareChoice();
  }
  if (state.failed.length) renderFailed();
  renderAll();
  if (state.sweeps.length) {
    fillSweepSelect();
    renderSweep();
  }
}

function remember() {
  const params = new URLSearchParams(location.search);
  params.delete("key");
  if (state.runId !== null) params.set("run", state.runId);
  if (state.sweepId !== null) params.set("sweep", state.sweepId);
  if (state.periodChosen) params.set("period", state.period);
  else params.delete("period");
  params.set("baseline", state.baseline);
  params.set("lang", state.lang);
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

function bind() {
  // charts are drawn at their container's width: again when it changes (a phone turned)
  let lastWidth = window.innerWidth;
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(renderAll, 200);
  });
  $("lang-toggle").addEventListener("click", () => {
    state.lang = state.lang === "de" ? "en" : "de";
    sessionStorage.setItem(LANG_STORE, state.lang);
    applyLanguage();
    remember();
  });
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("key").value.trim();
    state.key = key || null; // page memory only: gone with the page, never stored or in a URL
    cache.clear();
    // a load still running for the page before the key is stale: it must neither draw
    // nor mark the views ready while the key's own answers are on their way
    state.loadToken += 1;
    // what is shown now is being replaced: busy until the key's answers are drawn
    for (const id of ["views", "sweeps-section"]) $(id).setAttribute("aria-busy", "true");
    $("key").value = "";
    connect();
  });
  $("key-forget").addEventListener("click", () => {
    state.key = null;
    cache.clear();
    state.loadToken += 1; // nothing still loading for the old key is drawn
    state.runs = [];
    state.data = {};
    stopSweeps();
    $("view-form").hidden = true;
    $("views").hidden = true;
    setStatus(null);
    setError(null);
    askForKey();
    $("key").focus();
    if (state.config.public) connect(); // published data stay readable without a key
  });
  $("run").addEventListener("change", () => {
    if (!$("run").value) return;
    state.runId = Number($("run").value);
    setError(null);
    if (!state.compareIds.includes(state.runId)) {
      state.compareIds = [state.runId, ...state.compareIds].slice(0, 3);
      fillCompareChoice();
    }
    remember();
    loadRun();
  });
  $("period").addEventListener("change", () => {
    state.period = $("period").value;
    state.periodChosen = true;
    remember();
    loadRun();
  });
  $("baseline").addEventListener("change", () => {
    state.baseline = $("baseline").value;
    $("baseline-explain").textContent = t(`explain_${state.baseline}`);
    remember();
    loadRun();
  });
  $("sweep").addEventListener("change", () => {
    state.sweepId = Number($("sweep").value);
    remember();
    loadSweep();
  });
  $("metric").addEventListener("change", () => {
    state.metric = $("metric").value;
    renderSavings();
  });
}

function init() {
  const params = new URLSearchParams(location.search);
  const lang = params.get("lang") || sessionStorage.getItem(LANG_STORE);
  if (lang in STRINGS) state.lang = lang;
  if (PERIODS.includes(params.get("period"))) {
    state.period = params.get("period");
    state.periodChosen = true;
  }
  if (BASELINES.includes(params.get("baseline"))) state.baseline = params.get("baseline");
  if (METRICS.includes(params.get("metric"))) state.metric = params.get("metric");
  $("period").value = state.period;
  $("baseline").value = state.baseline;
  $("metric").value = state.metric;
  // a key in the address is never used (it would sit in logs and histories): dropped, and said so
  state.keyInUrl = params.has("key");
  if (state.keyInUrl) {
    params.delete("key");
    history.replaceState(null, "", `${location.pathname}${params.size ? `?${params}` : ""}`);
  }
  $("key-notice").hidden = !state.keyInUrl;
  bind();
  applyLanguage();
  loadConfig().then(connect);
}

/** The page's settings from the server (GET /dashboard/config.json): public read, map tiles. */
async function loadConfig() {
  try {
    const response = await fetch("config.json", { credentials: "omit" });
    if (response.ok) state.config = { ...state.config, ...(await response.json()) };
  } catch {
    // without it: no public read, no map tiles (the defaults)
  }
}

/** Show the key form with why it is needed. */
function askForKey() {
  showKeyField(true);
  setStatus(() => t("need_key"));
}

init();
