// Ranges, not points: P10-P90 bands of a run's figures from the newest finished ensemble of
// its scenario (GET /ensembles, GET /ensembles/{id}; energy.studies.ensemble) and the bad
// year in words. An ensemble counts only if it ran the same district and changes (spec_hash)
// over the same days (start, days, resolution) as the run; otherwise the run has no bands.

/** Options an ensemble must share with a run to give its bands. */
const SAME_HORIZON = ["start", "days", "resolution"];

/**
 * The newest finished ensemble of ``run``'s scenario over the run's own spec and days, or null.
 * ``api(path, params)`` is the dashboard's reader (it resolves to the answer's JSON).
 */
export async function latestEnsemble(api, run) {
  const page = await api("ensembles", { scenario_id: run.scenario_id, limit: 20 });
  const options = run.options ?? {};
  const match = page.items.find(
    (e) =>
      e.status === "succeeded" &&
      e.spec_hash === run.spec_hash &&
      SAME_HORIZON.every((k) => String(e.options?.[k]) === String(options[k])),
  );
  return match ? api(`ensembles/${match.id}`) : null;
}

/** ``{p10, p90, n, unit}`` of one figure of an ensemble's summary, or null without values. */
export function figureBand(ensemble, figure) {
  const d = ensemble?.summary?.figures?.[figure];
  if (!d || !d.n || !Number.isFinite(d.p10) || !Number.isFinite(d.p90)) return null;
  return { p10: d.p10, p90: d.p90, n: d.n, unit: d.unit };
}

/** Month (``YYYY-MM``) -> ``{p10, p50, p90}`` of one monthly figure of an ensemble. */
export function monthBands(ensemble, figure) {
  const out = new Map();
  for (const row of ensemble?.summary?.monthly_bands ?? []) {
    if (row.figure === figure && Number.isFinite(row.p10) && Number.isFinite(row.p90)) {
      out.set(row.month, { p10: row.p10, p50: row.p50, p90: row.p90 });
    }
  }
  return out;
}

/** A member's name (``TRY 2045 extreme summer, prices 2024``) in the page's language. */
export function memberText(label, t) {
  return String(label)
    .replace("mean year", t("member_mean_year"))
    .replace("extreme summer", t("member_extreme_summer"))
    .replace("extreme winter", t("member_extreme_winter"))
    .replace("prices as the horizon", t("member_prices_horizon"))
    .replace("prices", t("member_prices"));
}

/**
 * The bad year of self-sufficiency in words: the worst member, its value against the median
 * (P50) and the P10-P90 band, the members counted and the failed ones named; "" without one.
 */
export function badYearText(ensemble, t, num) {
  const s = ensemble?.summary;
  const d = s?.figures?.self_sufficiency_pct;
  if (!s || !d || !d.n) return "";
  const failed = (s.failed ?? []).map((f) => memberText(f.member, t));
  const counted = t("band_counted", { id: ensemble.id, n: d.n, total: s.members_total });
  const failures = failed.length ? ` ${t("band_failed", { names: failed.join("; ") })}` : "";
  if (!d.worst_member) return `${t("band_no_bad_year", { value: num(d.min, 1) })} ${counted}${failures}`;
  const text = t("band_bad_year", {
    member: memberText(d.worst_member, t),
    worst: num(d.min, 1),
    p50: num(d.p50, 1),
    p10: num(d.p10, 1),
    p90: num(d.p90, 1),
  });
  return `${text} ${counted}${failures}`;
}
