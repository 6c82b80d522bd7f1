// Charts as inline SVG, plus the data tables that are their text alternative.
// No library: each chart is a few rectangles and texts placed by hand.

const SVG_NS = "http://www.w3.org/2000/svg";
let uid = 0;

/** Create an SVG element with attributes and children. */
export function svgEl(name, attrs = {}, children = []) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  }
  for (const child of children) node.append(child);
  return node;
}

/** Create an HTML element with attributes, text or children. */
export function htmlEl(name, attrs = {}, children = []) {
  const node = document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = String(v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children) node.append(child);
  return node;
}

/** An <svg role="img"> with <title> and <desc> naming it for screen readers. */
export function accessibleSvg(width, height, title, desc, cls = "chart") {
  uid += 1;
  const titleId = `svg-title-${uid}`;
  const descId = `svg-desc-${uid}`;
  return svgEl(
    "svg",
    {
      viewBox: `0 0 ${width} ${height}`,
      class: cls,
      role: "img",
      "aria-labelledby": `${titleId} ${descId}`,
    },
    [svgEl("title", { id: titleId }, [title]), svgEl("desc", { id: descId }, [desc])],
  );
}

/**
 * An SVG picture the API drew (text of an ``image/svg+xml`` answer) as an element of this
 * page, so its <title> and <desc> reach screen readers; throws if it is not an SVG.
 */
export function inlineSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (doc.querySelector("parsererror") || root.namespaceURI !== SVG_NS || root.localName !== "svg") {
    throw new Error("the answer is not an SVG picture");
  }
  for (const node of root.querySelectorAll("script, foreignObject")) node.remove();
  return document.importNode(root, true);
}

/** "Nice" axis ticks covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) {
    hi = lo + 1;
  }
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const first = Math.floor(lo / step) * step;
  const ticks = [];
  for (let v = first; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  if (ticks[ticks.length - 1] < hi) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

/**
 * A data table (text alternative of a chart). Cells with numbers carry the raw
 * value in data-value; the text is formatted for the reader.
 * columns: [{label}], rows: [{header, cells: [{value, text}]}]
 */
export function dataTable({ caption, columns, rows, hidden = true, id }) {
  const thead = htmlEl("thead", {}, [
    htmlEl(
      "tr",
      {},
      columns.map((c) => htmlEl("th", { scope: "col", text: c.label })),
    ),
  ]);
  const tbody = htmlEl(
    "tbody",
    {},
    rows.map((r) =>
      htmlEl("tr", { "data-key": r.key }, [
        htmlEl("th", { scope: "row", text: r.header }),
        ...r.cells.map((c) =>
          htmlEl("td", {
            "data-value": Number.isFinite(c.value) ? c.value : null,
            "data-column": c.column,
            text: c.text,
          }),
        ),
      ]),
    ),
  );
  const table = htmlEl("table", { class: "data", id }, [htmlEl("caption", { text: caption }), thead, tbody]);
  if (hidden) return htmlEl("div", { class: "visually-hidden" }, [table]);
  return scrollRegion(table, caption);
}

/**
 * A region that scrolls sideways when ``child`` is wider than the screen; focusable, so it
 * can be scrolled from the keyboard (WCAG 2.1.1), and named.
 */
export function scrollRegion(child, label) {
  return htmlEl("div", { class: "scroll-region", tabindex: "0", role: "region", "aria-label": label }, [child]);
}

/** A legend list: items [{cls, label}] with colour swatches. */
export function legend(items, ariaLabel) {
  return htmlEl(
    "ul",
    { class: "legend", "aria-label": ariaLabel },
    items.map((it) =>
      htmlEl("li", {}, [htmlEl("span", { class: `swatch ${it.cls}`, "aria-hidden": "true" }), it.label]),
    ),
  );
}

const M = { left: 70, right: 16, top: 24, bottom: 56 };

/** Every how many periods a label is written, so labels of 14 px text do not overlap. */
function labelStride(n, width) {
  return Math.max(1, Math.ceil((n * 80) / width));
}

/** Width of one character of 14 px chart text, a little generous [px]. */
const CHAR_PX = 8.2;

/** ``text`` cut to what fits into ``px`` at 14 px (with an ellipsis); the full text goes in titles. */
function fitLabel(text, px) {
  const room = Math.max(3, Math.floor(px / CHAR_PX));
  return text.length <= room ? text : `${text.slice(0, room - 1)}…`;
}

/** Label column for ``labels``: as wide as the longest needs, within [min, max] [px]. */
function labelWidth(labels, min, max) {
  const longest = Math.max(0, ...labels.map((l) => String(l).length));
  return Math.round(Math.min(max, Math.max(min, longest * CHAR_PX + 16)));
}

/** Bar totals are written where each bar's band has room for a number in 14 px text. */
const TOTAL_MIN_BAND = 44;

/**
 * Stacked bars per period; positive parts stack upwards, negative ones downwards.
 * periods: [{label, parts: {key: value}, total}], series: [{key, label, cls}],
 * fmt: number -> text; width: of the viewBox, the container's in CSS px (text at scale 1).
 */
export function stackedBars({ periods, series, fmt, title, desc, unit, width = 760 }) {
  const W = width;
  const H = 340;
  const svg = accessibleSvg(W, H, title, desc);
  let lo = 0;
  let hi = 0;
  for (const p of periods) {
    let pos = 0;
    let neg = 0;
    for (const s of series) {
      const v = p.parts[s.key] ?? 0;
      if (v >= 0) pos += v;
      else neg += v;
    }
    hi = Math.max(hi, pos, p.total);
    lo = Math.min(lo, neg, p.total);
  }
  const ticks = niceTicks(lo, hi);
  const y0 = ticks[0];
  const y1 = ticks[ticks.length - 1];
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (v) => M.top + plotH - ((v - y0) / (y1 - y0)) * plotH;
  const axis = svgEl("g", { "aria-hidden": "true" });
  for (const t of ticks) {
    axis.append(svgEl("line", { class: "tick", x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }));
    axis.append(svgEl("text", { x: M.left - 6, y: y(t) + 4, "text-anchor": "end" }, [fmt(t)]));
  }
  axis.append(svgEl("text", { x: 4, y: 14 }, [unit]));
  svg.append(axis);
  const band = plotW / Math.max(periods.length, 1);
  const barW = Math.max(2, Math.min(56, band * 0.7));
  const stride = labelStride(periods.length, plotW);
  const bars = svgEl("g", { class: "bars" });
  periods.forEach((p, i) => {
    const x = M.left + i * band + (band - barW) / 2;
    const g = svgEl("g", { class: "bar-group", "data-period": p.label });
    let pos = 0;
    let neg = 0;
    for (const s of series) {
      const v = p.parts[s.key] ?? 0;
      if (v === 0) continue;
      const from = v >= 0 ? pos : neg;
      const to = from + v;
      if (v >= 0) pos = to;
      else neg = to;
      const rect = svgEl("rect", {
        class: `bar ${s.cls}`,
        x,
        width: barW,
        y: Math.min(y(from), y(to)),
        height: Math.max(Math.abs(y(from) - y(to)), 0.5),
        "data-source": s.key,
        "data-value": v,
      });
      rect.append(svgEl("title", {}, [`${p.label}, ${s.label}: ${fmt(v)} ${unit}`]));
      g.append(rect);
    }
    if (periods.length <= 31 && band >= TOTAL_MIN_BAND) {
      const top = p.total >= 0 ? y(Math.max(pos, p.total)) - 5 : y(Math.min(neg, p.total)) + 14;
      g.append(
        svgEl(
          "text",
          { class: "bar-total", x: x + barW / 2, y: top, "text-anchor": "middle", "data-value": p.total },
          [fmt(p.total)],
        ),
      );
    }
    if (i % stride === 0) {
      g.append(
        svgEl("text", { x: x + barW / 2, y: H - M.bottom + 18, "text-anchor": "middle", "aria-hidden": "true" }, [
          p.label,
        ]),
      );
    }
    bars.append(g);
  });
  svg.append(bars);
  svg.append(svgEl("line", { class: "zero-line", x1: M.left, x2: W - M.right, y1: y(0), y2: y(0) }));
  return svg;
}

/**
 * Plain bars of one series (e.g. self-sufficiency in %), with value labels; an item with a
 * ``band`` ({p10, p90}) gets a whisker from P10 to P90 (an ensemble's range, bands.js).
 */
export function simpleBars({ items, fmt, title, desc, unit, cls, yMax, width = 760 }) {
  const W = width;
  const H = 300;
  const svg = accessibleSvg(W, H, title, desc);
  const hi = Math.max(yMax ?? 0, ...items.map((d) => Math.max(d.value, d.band?.p90 ?? -Infinity)));
  const ticks = niceTicks(0, hi);
  const y1 = ticks[ticks.length - 1];
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (v) => M.top + plotH - (v / y1) * plotH;
  const axis = svgEl("g", { "aria-hidden": "true" });
  for (const t of ticks) {
    axis.append(svgEl("line", { class: "tick", x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }));
    axis.append(svgEl("text", { x: M.left - 6, y: y(t) + 4, "text-anchor": "end" }, [fmt(t)]));
  }
  axis.append(svgEl("text", { x: 4, y: 14 }, [unit]));
  svg.append(axis);
  const band = plotW / Math.max(items.length, 1);
  const barW = Math.max(2, Math.min(56, band * 0.7));
  const stride = labelStride(items.length, plotW);
  items.forEach((d, i) => {
    const x = M.left + i * band + (band - barW) / 2;
    const g = svgEl("g", { class: "bar-group", "data-period": d.label });
    const rect = svgEl("rect", {
      class: `bar ${cls}`,
      x,
      width: barW,
      y: y(Math.max(d.value, 0)),
      height: Math.max(Math.abs(y(0) - y(d.value)), 0.5),
      "data-value": d.value,
    });
    rect.append(svgEl("title", {}, [`${d.label}: ${fmt(d.value)} ${unit}`]));
    g.append(rect);
    if (d.band) g.append(whisker(x + barW / 2, barW / 3, y(d.band.p10), y(d.band.p90), `P10-P90: ${fmt(d.band.p10)} - ${fmt(d.band.p90)} ${unit}`));
    if (items.length <= 31 && band >= TOTAL_MIN_BAND) {
      const top = Math.max(d.value, d.band?.p90 ?? 0, 0);
      g.append(
        svgEl("text", { class: "bar-total", x: x + barW / 2, y: y(top) - 5, "text-anchor": "middle" }, [fmt(d.value)]),
      );
    }
    if (i % stride === 0) {
      g.append(
        svgEl("text", { x: x + barW / 2, y: H - M.bottom + 18, "text-anchor": "middle", "aria-hidden": "true" }, [
          d.label,
        ]),
      );
    }
    svg.append(g);
  });
  svg.append(svgEl("line", { class: "zero-line", x1: M.left, x2: W - M.right, y1: y(0), y2: y(0) }));
  return svg;
}

/** A vertical whisker at ``x`` from ``yLo`` to ``yHi`` [SVG px] with caps ``half`` wide. */
function whisker(x, half, yLo, yHi, label) {
  const g = svgEl("g", { class: "band", "data-band": label });
  g.append(svgEl("line", { x1: x, x2: x, y1: yLo, y2: yHi }));
  for (const yy of [yLo, yHi]) g.append(svgEl("line", { x1: x - half, x2: x + half, y1: yy, y2: yy }));
  g.append(svgEl("title", {}, [label]));
  return g;
}

/** Horizontal bars with the value written at the end of each bar. */
export function horizontalBars({ items, fmt, title, desc, cls, width = 760 }) {
  const rowH = 28;
  const W = width;
  const labelW = labelWidth(items.map((d) => d.label), 60, Math.round(W * 0.45));
  const H = items.length * rowH + 16;
  const svg = accessibleSvg(W, H, title, desc);
  const lo = Math.min(0, ...items.map((d) => d.value));
  const hi = Math.max(0, ...items.map((d) => d.value));
  const span = hi - lo || 1;
  const plotW = W - labelW - 100;
  const x = (v) => labelW + ((v - lo) / span) * plotW;
  items.forEach((d, i) => {
    const top = 8 + i * rowH;
    const g = svgEl("g", { class: "bar-group", "data-key": d.label });
    g.append(svgEl("text", { x: labelW - 8, y: top + 17, "text-anchor": "end" }, [fitLabel(d.label, labelW - 12)]));
    const rect = svgEl("rect", {
      class: `bar ${cls}`,
      x: Math.min(x(0), x(d.value)),
      y: top + 3,
      width: Math.max(Math.abs(x(d.value) - x(0)), 0.5),
      height: rowH - 8,
      "data-value": d.value,
    });
    rect.append(svgEl("title", {}, [`${d.label}: ${fmt(d.value)}`]));
    g.append(rect);
    g.append(svgEl("text", { class: "bar-total", x: Math.max(x(0), x(d.value)) + 6, y: top + 17 }, [fmt(d.value)]));
    svg.append(g);
  });
  svg.append(svgEl("line", { class: "zero-line", x1: x(0), x2: x(0), y1: 4, y2: H - 4 }));
  return svg;
}

/** Heat-map step (0..4) of a value, in equal steps of the largest value. */
export function heatStep(value, max) {
  if (!(max > 0) || !(value > 0)) return 0;
  return Math.min(4, 1 + Math.floor((value / max) * 4 - 1e-9));
}

/**
 * Heat map: rows x columns of values, each cell coloured by step and labelled with its value.
 * Drawn at its natural size (class ``chart-natural``: 1 unit = 1 CSS px), to sit in a
 * scrolling region on narrow screens rather than shrink its text.
 */
export function heatMap({ rows, columns, values, fmt, title, desc }) {
  const labelW = labelWidth(rows, 60, 320);
  const cellW = Math.max(42, Math.min(52, (760 - labelW) / Math.max(columns.length, 1)));
  const cellH = 30;
  const W = labelW + cellW * columns.length + 8;
  const H = 28 + cellH * rows.length + 8;
  const svg = accessibleSvg(W, H, title, desc, "chart chart-natural");
  svg.style.width = `${W}px`;
  const max = Math.max(0, ...values.flat());
  columns.forEach((c, j) => {
    svg.append(
      svgEl("text", { x: labelW + j * cellW + cellW / 2, y: 18, "text-anchor": "middle", "aria-hidden": "true" }, [
        c,
      ]),
    );
  });
  rows.forEach((r, i) => {
    const top = 28 + i * cellH;
    svg.append(
      svgEl("text", { x: labelW - 8, y: top + cellH / 2 + 4, "text-anchor": "end", "aria-hidden": "true" }, [
        fitLabel(String(r), labelW - 12),
      ]),
    );
    columns.forEach((c, j) => {
      const v = values[i][j];
      const step = heatStep(v, max);
      const cell = svgEl("rect", {
        class: `heat-cell heat-${step}`,
        x: labelW + j * cellW,
        y: top,
        width: cellW,
        height: cellH,
        "data-value": v,
      });
      cell.append(svgEl("title", {}, [`${r}, ${c}: ${fmt(v)} kWh`]));
      svg.append(cell);
      if (cellW >= 40) {
        svg.append(
          svgEl(
            "text",
            {
              class: `heat-text-${step}`,
              x: labelW + j * cellW + cellW / 2,
              y: top + cellH / 2 + 4,
              "text-anchor": "middle",
              "aria-hidden": "true",
            },
            [fmt(v)],
          ),
        );
      }
    });
  });
  return { svg, max };
}
