// The grid map: Leaflet 1.9.4 (vendor/leaflet.js, served with the page) drawing the run's
// GeoJSON (WGS 84) at its coordinates: building outlines, lines classed by their highest
// loading (colour AND width AND dash), connection points by voltage (colour AND size), the
// transformer, the street lights; street names written on the map, so it reads without
// tiles. Map tiles only when the server names a tile URL (ENERGY_DASHBOARD_TILE_URL).

import { dataTable, htmlEl, svgEl } from "./charts.js";

/** Loading class of a line: low < 50 % <= mid < 80 % <= high <= 100 % < over. */
export function loadingClass(pct) {
  if (pct === null || pct === undefined || !Number.isFinite(pct)) return "none";
  if (pct < 50) return "low";
  if (pct < 80) return "mid";
  if (pct <= 100) return "high";
  return "over";
}

/** Voltage class of a bus from its lowest and highest voltage [p.u.]. */
export function voltageClass(vmin, vmax) {
  if (!Number.isFinite(vmin) || !Number.isFinite(vmax)) return "ok";
  const dev = Math.max(Math.abs(1 - vmin), Math.abs(vmax - 1));
  if (dev <= 0.03 + 1e-12) return "ok";
  if (dev <= 0.1 + 1e-12) return "warn";
  return "bad";
}

const BUS_RADIUS = { ok: 3.5, warn: 5.5, bad: 7.5 };
const LINE_WEIGHT = { none: 2, low: 2.5, mid: 4, high: 5.5, over: 7 };

/** The map shown now (removed before the next is drawn). */
let current = null;

/** A part of the grid in words: its readable place (street, address), else its id. */
function placeOf(p, t) {
  if (p.role === "service") return t("map_service", { place: p.place });
  return p.place || p.name;
}

/** Mark a Leaflet layer's element for tests and screen readers: data-* and an SVG title. */
function mark(layer, attrs, title) {
  const el = layer.getElement?.();
  if (!el) return;
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  el.append(svgEl("title", {}, [title]));
}

/** One label per street: at the middle of the middle segment of each feeder. */
function streetLabels(lines) {
  const byStreet = new Map();
  for (const l of lines) {
    if (l.properties.role !== "feeder" || !l.properties.place) continue;
    const street = l.properties.place.split(",")[0];
    if (!byStreet.has(street)) byStreet.set(street, []);
    byStreet.get(street).push(l);
  }
  return [...byStreet.entries()].map(([street, segs]) => {
    const c = segs[Math.floor(segs.length / 2)].geometry.coordinates;
    const a = c[0];
    const b = c[c.length - 1];
    return { street, at: [(a[1] + b[1]) / 2, (a[0] + b[0]) / 2] };
  });
}

function summaryParams(features, t, num) {
  const buses = features.filter((f) => f.properties.element_type === "bus" && !(f.properties.vn_kv > 1));
  const lines = features.filter((f) => f.properties.element_type === "line");
  const trafos = features.filter((f) => f.properties.element_type === "trafo");
  let maxLine = null;
  for (const l of lines) {
    const v = l.properties.max_loading_pct;
    if (Number.isFinite(v) && (maxLine === null || v > maxLine.properties.max_loading_pct)) maxLine = l;
  }
  const vmins = buses.map((b) => b.properties.vm_min_pu).filter(Number.isFinite);
  const vmaxs = buses.map((b) => b.properties.vm_max_pu).filter(Number.isFinite);
  const trafoMax = Math.max(...trafos.map((f) => f.properties.max_loading_pct).filter(Number.isFinite));
  return {
    buses,
    lines,
    trafos,
    params: {
      lines: lines.length,
      buses: buses.length,
      max: maxLine ? num(maxLine.properties.max_loading_pct, 0) : t("not_available"),
      line: maxLine ? `${placeOf(maxLine.properties, t)} (${maxLine.properties.name})` : "",
      vmin: vmins.length ? num(Math.min(...vmins) * 100, 1) : t("not_available"),
      vmax: vmaxs.length ? num(Math.max(...vmaxs) * 100, 1) : t("not_available"),
      trafo: Number.isFinite(trafoMax) ? num(trafoMax, 0) : t("not_available"),
    },
  };
}

/**
 * Draw the grid's layers into a Leaflet map on ``div``; returns the map.
 * parts: {buses, lines, trafos} of the GeoJSON, buildings and lights: their features.
 */
function drawLeaflet(L, div, parts, { t, num, results, tileUrl, tileAttribution, geometryNote }) {
  const map = L.map(div, { attributionControl: false, scrollWheelZoom: false, zoomSnap: 0.25 });
  const attribution = L.control.attribution({ prefix: false }).addTo(map);
  if (tileUrl) L.tileLayer(tileUrl, { attribution: tileAttribution || "", maxZoom: 19 }).addTo(map);
  if (geometryNote) attribution.addAttribution(geometryNote);
  const ll = ([lon, lat]) => [lat, lon];
  // the view first (Leaflet projects every layer as it is added)
  const bounds = L.latLngBounds([]);
  for (const f of [...parts.buildings, ...parts.lines, ...parts.buses, ...parts.trafos]) {
    const g = f.geometry;
    const points = g.type === "Point" ? [g.coordinates] : g.type === "Polygon" ? g.coordinates[0] : g.coordinates;
    for (const c of points) bounds.extend(ll(c));
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24] });
  else map.setView([0, 0], 2);
  for (const f of parts.buildings) {
    const p = f.properties;
    const cls = voltageClass(p.vm_min_pu, p.vm_max_pu);
    const title = `${p.place}: ${p.kind}, ${num(p.annual_kwh, 0)} kWh/a, ${num(p.pv_kwp, 0)} kWp`;
    const layer =
      f.geometry.type === "Polygon"
        ? L.polygon(f.geometry.coordinates[0].map(ll), { className: `map-building building-${cls}`, weight: 1.5 })
        : L.circleMarker(ll(f.geometry.coordinates), { className: `map-building building-${cls}`, radius: 9, weight: 1.5 });
    layer.addTo(map).bindTooltip(title);
    mark(layer, { "data-kind": "building", "data-name": p.name }, title);
  }
  for (const l of parts.lines) {
    const p = l.properties;
    const cls = loadingClass(results ? p.max_loading_pct : null);
    const loading = Number.isFinite(p.max_loading_pct) ? `${num(p.max_loading_pct, 0)} %` : t("load_none");
    const title = `${placeOf(p, t)} (${p.name}): ${loading}`;
    const layer = L.polyline(l.geometry.coordinates.map(ll), { className: `grid-line load-${cls}`, weight: LINE_WEIGHT[cls] });
    layer.addTo(map).bindTooltip(title, { sticky: true });
    mark(layer, { "data-kind": "line", "data-name": p.name, "data-loading": p.max_loading_pct }, title);
  }
  for (const f of parts.lights) {
    const p = f.properties;
    const title = t("map_light", { place: p.place, n: p.luminaires, cls: p.design_class });
    const layer = L.circleMarker(ll(f.geometry.coordinates), { className: "map-light", radius: 5, weight: 2 });
    layer.addTo(map).bindTooltip(title);
    mark(layer, { "data-kind": "light", "data-name": p.name }, title);
  }
  for (const b of parts.buses) {
    const p = b.properties;
    const cls = voltageClass(p.vm_min_pu, p.vm_max_pu);
    const volt = Number.isFinite(p.vm_min_pu) ? `${num(p.vm_min_pu * 100, 1)} – ${num(p.vm_max_pu * 100, 1)} %` : t("load_none");
    const title = `${(p.places ?? []).join("; ") || p.name}: ${volt}`;
    const layer = L.circleMarker(ll(b.geometry.coordinates), { className: `grid-bus volt-${cls}`, radius: BUS_RADIUS[cls], weight: 1 });
    layer.addTo(map).bindTooltip(title);
    mark(layer, { "data-kind": "bus", "data-name": p.name }, title);
  }
  for (const f of parts.trafos) {
    const c = f.geometry.coordinates;
    const pct = f.properties.max_loading_pct;
    const text = Number.isFinite(pct) ? `${t("trafo")} ${num(pct, 0)} %` : t("trafo");
    const layer = L.circleMarker(ll(c[c.length - 1]), { className: "grid-trafo", radius: 10, weight: 3 });
    layer.addTo(map).bindTooltip(text, { permanent: true, direction: "right", className: "map-label" });
    mark(layer, { "data-kind": "trafo", "data-name": f.properties.name }, `${text} (${f.properties.name})`);
  }
  for (const { street, at } of streetLabels(parts.lines)) {
    L.tooltip({ permanent: true, direction: "center", className: "street-label", interactive: false })
      .setLatLng(at)
      .setContent(street)
      .addTo(map);
  }
  return map;
}

/**
 * The map section: summary in words, the Leaflet map, legends and the table of lines.
 * t: translate function, num: (value, digits) -> text; tileUrl/tileAttribution: optional tiles.
 */
export function gridMap(geojson, { t, num, tileUrl = null, tileAttribution = "" }) {
  if (current) {
    current.remove();
    current = null;
  }
  const features = geojson.features || [];
  const results = Boolean(geojson.metadata && geojson.metadata.results);
  const { buses, lines, trafos, params } = summaryParams(features, t, num);
  const buildings = features.filter((f) => f.properties.element_type === "building");
  const lights = features.filter((f) => f.properties.element_type === "light");
  const meta = geojson.metadata || {};
  const geometryNote = meta.geometry_source ? `${meta.geometry_source} (${meta.geometry_licence})` : "";
  const div = htmlEl("div", {
    id: "grid-leaflet",
    class: "grid-leaflet",
    role: "region",
    "aria-label": `${t("grid_title", params)}. ${results ? t("grid_desc", params) : t("grid_desc_plain")}`,
  });
  const notes = [];
  if (!results) notes.push(htmlEl("p", { class: "note", text: t("grid_no_results") }));
  else notes.push(htmlEl("p", { class: "grid-summary", text: t("grid_summary", params) }));
  if (meta.generated_coordinates) notes.push(htmlEl("p", { class: "note", text: t("grid_generated") }));
  if (!buildings.some((b) => b.properties.footprint)) notes.push(htmlEl("p", { class: "note", text: t("map_no_footprints") }));
  const figure = htmlEl("figure", { class: "grid-figure" }, [...notes, div, legends(t), linesTable(lines, t, num)]);
  const L = window.L;
  if (!L) {
    div.replaceChildren(htmlEl("p", { class: "section-error", text: t("map_unavailable") }));
    return { figure, draw: () => {} };
  }
  const draw = () => {
    current = drawLeaflet(L, div, { buses, lines, trafos, buildings, lights }, { t, num, results, tileUrl, tileAttribution, geometryNote });
  };
  return { figure, draw }; // draw once the figure is in the page (Leaflet measures its box)
}

function legends(t) {
  const loading = htmlEl("ul", { class: "legend", "aria-label": t("legend_loading") }, [
    htmlEl("li", { text: `${t("legend_loading")}:` }),
    ...["low", "mid", "high", "over"].map((cls) => htmlEl("li", {}, [legendLine(cls), t(`load_${cls}`)])),
  ]);
  const volt = htmlEl("ul", { class: "legend", "aria-label": t("legend_voltage") }, [
    htmlEl("li", { text: `${t("legend_voltage")}:` }),
    ...["ok", "warn", "bad"].map((cls) => htmlEl("li", {}, [legendDot(`grid-bus volt-${cls}`, BUS_RADIUS[cls]), t(`volt_${cls}`)])),
    htmlEl("li", {}, [legendDot("grid-trafo", 6), t("trafo")]),
    htmlEl("li", {}, [legendDot("map-light", 5), t("map_lights")]),
    htmlEl("li", {}, [legendDot("map-building", 7), t("map_buildings")]),
  ]);
  return htmlEl("div", { class: "map-legends" }, [loading, volt]);
}

function linesTable(lines, t, num) {
  const sorted = [...lines].sort((a, b) => (b.properties.max_loading_pct ?? -1) - (a.properties.max_loading_pct ?? -1));
  return dataTable({
    caption: t("grid_table_caption"),
    columns: [{ label: t("col_line") }, { label: t("col_place") }, { label: t("col_from_to") }, { label: t("col_loading") }, { label: t("col_length") }],
    rows: sorted.map((l) => {
      const p = l.properties;
      return {
        key: p.name,
        header: p.name,
        cells: [
          { text: placeOf(p, t) },
          { text: `${p.from_bus} – ${p.to_bus}` },
          { value: p.max_loading_pct, text: Number.isFinite(p.max_loading_pct) ? num(p.max_loading_pct, 1) : t("not_available") },
          { value: p.length_m, text: Number.isFinite(p.length_m) ? num(p.length_m, 0) : "" },
        ],
      };
    }),
  });
}

function legendLine(cls) {
  return svgEl("svg", { class: "legend-svg", viewBox: "0 0 48 16", "aria-hidden": "true" }, [
    svgEl("line", { class: `grid-line load-${cls}`, x1: 2, y1: 8, x2: 46, y2: 8, "stroke-width": LINE_WEIGHT[cls] }),
  ]);
}

function legendDot(cls, r) {
  return svgEl("svg", { class: "legend-svg", viewBox: "0 0 48 16", "aria-hidden": "true" }, [
    svgEl("circle", { class: cls, cx: 24, cy: 8, r }),
  ]);
}
