// The grid map: GeoJSON (WGS 84 lon/lat) projected to an SVG viewport.
// Lines are classed by their highest loading (colour AND width AND dash),
// buses by their voltage band (colour AND size), the transformer is a labelled square.

import { accessibleSvg, dataTable, htmlEl, svgEl } from "./charts.js";

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

/**
 * Equirectangular projection fitted to the box: x = (lon - lon0) cos(lat0),
 * y = lat; good to a fraction of a percent over a quarter of a few hundred metres.
 */
export function projector(features, width, height, pad) {
  const pts = [];
  for (const f of features) {
    const g = f.geometry;
    if (g.type === "Point") pts.push(g.coordinates);
    else if (g.type === "LineString") pts.push(...g.coordinates);
  }
  const lons = pts.map((p) => p[0]);
  const lats = pts.map((p) => p[1]);
  const lat0 = (Math.min(...lats) + Math.max(...lats)) / 2;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const xs = lons.map((l) => l * k);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const minY = Math.min(...lats);
  const maxY = Math.max(...lats);
  const scale = Math.min((width - 2 * pad) / (maxX - minX || 1e-9), (height - 2 * pad) / (maxY - minY || 1e-9));
  const offX = (width - (maxX - minX) * scale) / 2;
  const offY = (height - (maxY - minY) * scale) / 2;
  return ([lon, lat]) => [offX + (lon * k - minX) * scale, height - offY - (lat - minY) * scale];
}

function midpoint(coords) {
  if (coords.length > 2) return coords[Math.floor(coords.length / 2)];
  const a = coords[0];
  const b = coords[coords.length - 1];
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
}

function pathOf(coords, project) {
  return coords
    .map((c, i) => {
      const [x, y] = project(c);
      return `${i ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`;
    })
    .join(" ");
}

/**
 * Draw the map. Returns {figure, summary} DOM nodes.
 * t: translate function, num: (value, digits) -> text.
 */
export function gridMap(geojson, { t, num, width = 760 }) {
  const W = width - 2; // the container's width inside the 1 px border: 1 unit = 1 CSS px
  const H = Math.round(Math.max(300, Math.min(520, W * 0.7)));
  const features = geojson.features || [];
  // the medium-voltage side of the transformer sits under the transformer marker
  const buses = features.filter((f) => f.properties.element_type === "bus" && !(f.properties.vn_kv > 1));
  const lines = features.filter((f) => f.properties.element_type === "line");
  const trafos = features.filter((f) => f.properties.element_type === "trafo");
  const results = Boolean(geojson.metadata && geojson.metadata.results);
  const project = projector(features, W, H, 28);

  let maxLine = null;
  for (const l of lines) {
    const v = l.properties.max_loading_pct;
    if (Number.isFinite(v) && (maxLine === null || v > maxLine.properties.max_loading_pct)) maxLine = l;
  }
  const vmins = buses.map((b) => b.properties.vm_min_pu).filter(Number.isFinite);
  const vmaxs = buses.map((b) => b.properties.vm_max_pu).filter(Number.isFinite);
  const trafoMax = Math.max(...trafos.map((f) => f.properties.max_loading_pct).filter(Number.isFinite));
  const params = {
    lines: lines.length,
    buses: buses.length,
    max: maxLine ? num(maxLine.properties.max_loading_pct, 0) : t("not_available"),
    line: maxLine ? maxLine.properties.name : "",
    vmin: vmins.length ? num(Math.min(...vmins) * 100, 1) : t("not_available"),
    vmax: vmaxs.length ? num(Math.max(...vmaxs) * 100, 1) : t("not_available"),
    trafo: Number.isFinite(trafoMax) ? num(trafoMax, 0) : t("not_available"),
  };
  const svg = accessibleSvg(
    W,
    H,
    t("grid_title", params),
    results ? t("grid_desc", params) : t("grid_desc_plain"),
    "chart map",
  );

  const lineGroup = svgEl("g", { class: "grid-lines" });
  for (const l of lines) {
    const p = l.properties;
    const cls = loadingClass(results ? p.max_loading_pct : null);
    const path = svgEl("path", {
      class: `grid-line load-${cls}`,
      d: pathOf(l.geometry.coordinates, project),
      "data-kind": "line",
      "data-name": p.name,
      "data-loading": Number.isFinite(p.max_loading_pct) ? p.max_loading_pct : null,
    });
    const loading = Number.isFinite(p.max_loading_pct) ? `${num(p.max_loading_pct, 0)} %` : t("load_none");
    path.append(svgEl("title", {}, [`${p.name} (${p.from_bus} – ${p.to_bus}): ${loading}`]));
    lineGroup.append(path);
  }
  svg.append(lineGroup);

  const placed = []; // boxes of the labels and markers drawn so far: [x0, y0, x1, y1]
  const labels = svgEl("g", { class: "grid-labels", "aria-hidden": "true" });
  /** Write ``text`` near (x, y) where it overlaps nothing placed yet; false if no room. */
  const place = (text, x, y, cls) => {
    const w = 8.4 * text.length; // 14 px bold text
    for (const [dx, dy] of [[8, -8], [8, 18], [-8 - w, -8], [-8 - w, 18]]) {
      const box = [x + dx - 2, y + dy - 13, x + dx + w + 2, y + dy + 3];
      if (placed.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) continue;
      placed.push(box);
      labels.append(svgEl("text", { class: cls, x: x + dx, y: y + dy }, [text]));
      return true;
    }
    return false;
  };

  for (const f of trafos) {
    const c = f.geometry.coordinates;
    const [xa, ya] = project(c[0]);
    const [xb, yb] = project(c[c.length - 1]);
    svg.append(svgEl("line", { class: "grid-trafo-link", x1: xa, y1: ya, x2: xb, y2: yb, "aria-hidden": "true" }));
    const sq = svgEl("rect", {
      class: "grid-trafo",
      x: xb - 9,
      y: yb - 9,
      width: 18,
      height: 18,
      "data-kind": "trafo",
    });
    const pct = f.properties.max_loading_pct;
    sq.append(
      svgEl("title", {}, [`${t("trafo")} ${f.properties.name}: ${Number.isFinite(pct) ? `${num(pct, 0)} %` : t("load_none")}`]),
    );
    svg.append(sq);
    placed.push([xb - 11, yb - 11, xb + 11, yb + 11]);
    place(Number.isFinite(pct) ? `${t("trafo")} ${num(pct, 0)} %` : t("trafo"), xb + 6, yb - 6, "trafo-label");
  }

  // the most loaded lines carry their value in words (colour is never the only cue);
  // labels that would overlap are left out (the table and the tooltips have all values)
  const ranked = lines
    .filter((l) => Number.isFinite(l.properties.max_loading_pct))
    .sort((a, b) => b.properties.max_loading_pct - a.properties.max_loading_pct);
  let written = 0;
  for (const l of ranked.slice(0, 12)) {
    if (written >= 3) break;
    const [x, y] = project(midpoint(l.geometry.coordinates));
    if (place(`${num(l.properties.max_loading_pct, 0)} %`, x, y, "line-label")) written += 1;
  }

  const busGroup = svgEl("g", { class: "grid-buses" });
  for (const b of buses) {
    const p = b.properties;
    const cls = voltageClass(p.vm_min_pu, p.vm_max_pu);
    const [x, y] = project(b.geometry.coordinates);
    const dot = svgEl("circle", { class: `grid-bus volt-${cls}`, cx: x, cy: y, r: BUS_RADIUS[cls], "data-kind": "bus" });
    const volt = Number.isFinite(p.vm_min_pu)
      ? `${num(p.vm_min_pu * 100, 1)} – ${num(p.vm_max_pu * 100, 1)} %`
      : t("load_none");
    dot.append(svgEl("title", {}, [`${p.name}: ${volt}`]));
    busGroup.append(dot);
  }
  svg.append(busGroup);
  svg.append(labels);

  const legendLoading = htmlEl("ul", { class: "legend", "aria-label": t("legend_loading") }, [
    htmlEl("li", { text: `${t("legend_loading")}:` }),
    ...["low", "mid", "high", "over"].map((cls) =>
      htmlEl("li", {}, [
        legendLine(cls),
        t(`load_${cls}`),
      ]),
    ),
  ]);
  const legendVolt = htmlEl("ul", { class: "legend", "aria-label": t("legend_voltage") }, [
    htmlEl("li", { text: `${t("legend_voltage")}:` }),
    ...["ok", "warn", "bad"].map((cls) => htmlEl("li", {}, [legendBus(cls), t(`volt_${cls}`)])),
    htmlEl("li", {}, [legendTrafo(), t("trafo")]),
  ]);

  const sorted = [...lines].sort(
    (a, b) => (b.properties.max_loading_pct ?? -1) - (a.properties.max_loading_pct ?? -1),
  );
  const table = dataTable({
    caption: t("grid_table_caption"),
    columns: [{ label: t("col_line") }, { label: t("col_from_to") }, { label: t("col_loading") }, { label: t("col_length") }],
    rows: sorted.map((l) => ({
      key: l.properties.name,
      header: l.properties.name,
      cells: [
        { text: `${l.properties.from_bus} – ${l.properties.to_bus}` },
        {
          value: l.properties.max_loading_pct,
          text: Number.isFinite(l.properties.max_loading_pct) ? num(l.properties.max_loading_pct, 1) : t("not_available"),
        },
        { value: l.properties.length_m, text: Number.isFinite(l.properties.length_m) ? num(l.properties.length_m, 0) : "" },
      ],
    })),
  });

  const notes = [];
  if (!results) notes.push(htmlEl("p", { class: "note", text: t("grid_no_results") }));
  else notes.push(htmlEl("p", { class: "grid-summary", text: t("grid_summary", params) }));
  if (geojson.metadata && geojson.metadata.generated_coordinates) {
    notes.push(htmlEl("p", { class: "note", text: t("grid_generated") }));
  }
  return htmlEl("figure", {}, [...notes, svg, legendLoading, legendVolt, table]);
}

function legendLine(cls) {
  return svgEl("svg", { class: "legend-svg", viewBox: "0 0 48 16", "aria-hidden": "true" }, [
    svgEl("line", { class: `grid-line load-${cls}`, x1: 2, y1: 8, x2: 46, y2: 8 }),
  ]);
}

function legendBus(cls) {
  return svgEl("svg", { class: "legend-svg", viewBox: "0 0 48 16", "aria-hidden": "true" }, [
    svgEl("circle", { class: `grid-bus volt-${cls}`, cx: 24, cy: 8, r: BUS_RADIUS[cls] }),
  ]);
}

function legendTrafo() {
  return svgEl("svg", { class: "legend-svg", viewBox: "0 0 48 16", "aria-hidden": "true" }, [
    svgEl("rect", { class: "grid-trafo", x: 17, y: 1, width: 14, height: 14 }),
  ]);
}
