// What a run says about itself, in words: the grid status of its AC check, the annual
// figures' basis, the failed runs. Pure functions of the API's answers (no DOM).

/**
 * The limits of the run's AC check: the ``limits`` the API reports with the grid summary,
 * else the check's defaults (energy.models.grid.check.Limits: DIN EN 50160 voltage band
 * 90-110 %, loading 100 %, VDE-AR-N 4105 voltage rise 3 % above no load).
 */
export function gridLimits(grid) {
  const given = (grid && typeof grid.limits === "object" && grid.limits) || {};
  const pick = (name, fallback) => (Number.isFinite(given[name]) ? given[name] : fallback);
  return {
    v_min_pu: pick("v_min_pu", 0.9),
    v_max_pu: pick("v_max_pu", 1.1),
    max_loading_pct: pick("max_loading_pct", 100),
    voltage_rise_pct: given.voltage_rise_pct === null ? null : pick("voltage_rise_pct", 3),
  };
}

/**
 * The grid status of a run as sentences: [{key, level, text}], level "ok" | "warn" | "bad".
 *
 * grid: the ``grid`` summary of ``/runs/{id}/results`` (null: no AC check);
 * kpis: its ``kpis`` (peak import of the optimum and of the comparison);
 * baseline: the comparison's name; t, num: words and numbers of the page;
 * record: ``metadata.grid_status`` of the run (energy.grid_status: hosting capacity,
 * import cap), absent for runs stored before it; named: element id -> words ("Teststraße 1"),
 * from the run's grid GeoJSON once it is there.
 */
export function gridStatus(grid, kpis, baseline, { t, num }, record = null, named = new Map()) {
  const name = (id) => (id && named.has(id) ? `${named.get(id)} (${id})` : id || "");
  const cap = capStatus(record, { t, num });
  if (!grid) return [{ key: "none", level: "warn", text: t("gs_not_checked") }, ...cap];
  const lim = gridLimits(grid);
  const out = [];
  const n = Number(grid.violations ?? 0);
  if (grid.clean === false || n > 0) {
    out.push({
      key: "violations",
      level: "bad",
      text: t("gs_violations", {
        n: num(n, 0),
        hours: num(Number(grid.hours_in_violation ?? 0), 0),
        elements: num(Number(grid.elements_in_violation ?? 0), 0),
      }),
    });
  } else {
    out.push({ key: "violations", level: "ok", text: t("gs_clean") });
  }
  const rise = grid.max_voltage_rise_pct;
  if (Number.isFinite(rise) && lim.voltage_rise_pct !== null) {
    const over = rise > lim.voltage_rise_pct + 1e-9;
    out.push({
      key: "voltage_rise",
      level: over ? "bad" : "ok",
      text: t(over ? "gs_rise_over" : "gs_rise_ok", {
        rise: num(rise, 2),
        limit: num(lim.voltage_rise_pct, 0),
        bus: name(grid.max_voltage_rise_bus),
      }),
    });
  }
  if (Number.isFinite(grid.v_min_pu) && Number.isFinite(grid.v_max_pu)) {
    const outside = grid.v_min_pu < lim.v_min_pu - 1e-9 || grid.v_max_pu > lim.v_max_pu + 1e-9;
    out.push({
      key: "voltage_band",
      level: outside ? "bad" : "ok",
      text: t(outside ? "gs_band_over" : "gs_band_ok", {
        vmin: num(100 * grid.v_min_pu, 1),
        vmax: num(100 * grid.v_max_pu, 1),
        lo: num(100 * lim.v_min_pu, 0),
        hi: num(100 * lim.v_max_pu, 0),
      }),
    });
  }
  for (const [key, value, element] of [
    ["line", grid.max_line_loading_pct, grid.max_line],
    ["trafo", grid.max_trafo_loading_pct, grid.max_trafo],
  ]) {
    if (!Number.isFinite(value)) continue;
    const over = value > lim.max_loading_pct + 1e-9;
    const high = value >= 0.8 * lim.max_loading_pct;
    out.push({
      key,
      level: over ? "bad" : high ? "warn" : "ok",
      text: t(`gs_${key}${over ? "_over" : ""}`, {
        pct: num(value, 0),
        limit: num(lim.max_loading_pct, 0),
        name: name(element),
      }),
    });
  }
  if (record && typeof record.hosting_capacity_exceeded === "boolean") {
    const over = record.hosting_capacity_exceeded;
    out.push({ key: "hosting", level: over ? "bad" : "ok", text: t(over ? "gs_hosting_over" : "gs_hosting_ok") });
  }
  const peak = kpis?.optimised?.peak_import_kw;
  const basePeak = kpis?.[baseline]?.peak_import_kw;
  if (Number.isFinite(peak) && Number.isFinite(basePeak) && peak > basePeak * 1.001 + 0.01) {
    out.push({
      key: "peak",
      level: "warn",
      text: t("gs_peak_up", { base: num(basePeak, 0), peak: num(peak, 0), baseline }),
    });
  }
  return [...out, ...cap];
}

/** The run's import cap (``record.peak_import``), when it has one: held or exceeded. */
function capStatus(record, { t, num }) {
  const p = record?.peak_import;
  if (!p || !Number.isFinite(p.import_cap_kw)) return [];
  const over = p.cap_exceeded_steps > 0;
  const params = { cap: num(p.import_cap_kw, 0), steps: num(p.cap_exceeded_steps, 0), most: num(p.cap_excess_max_kw, 1) };
  return [{ key: "import_cap", level: over ? "bad" : "ok", text: t(over ? "gs_cap_over" : "gs_cap_ok", params) }];
}

/** The worst level of a list of status sentences. */
export function worstLevel(items) {
  if (items.some((i) => i.level === "bad")) return "bad";
  if (items.some((i) => i.level === "warn")) return "warn";
  return "ok";
}

/**
 * ``extrapolated_from`` of the API ("7 days (2025-06-02..2025-06-08)") in the page's words;
 * the API's text itself where it has another form.
 */
export function extrapolatedText(from, t) {
  const m = /^(\d+) days? \((.+)\)$/.exec(String(from));
  if (!m) return t("extrapolated_from", { from: String(from) });
  return t("extrapolated_days", { days: m[1], range: m[2] });
}

/** A failed run in one sentence: its error and each cause of its diagnosis. */
export function failureText(run, t) {
  const parts = [run.error || t("failed_no_reason")];
  for (const cause of run.diagnosis || []) parts.push(cause);
  return parts.join(" ");
}

/** Element id -> readable words, from the grid GeoJSON's ``place``/``places`` (api/gridmap.py). */
export function placeNames(geojson, t) {
  const out = new Map();
  for (const f of geojson?.features ?? []) {
    const p = f.properties;
    if (p.element_type === "line" && p.place) {
      out.set(p.name, p.role === "service" ? t("map_service", { place: p.place }) : p.place);
    } else if (p.element_type === "bus" && p.places?.length) {
      out.set(p.name, p.places.join("; "));
    }
  }
  return out;
}
