"""The dashboard on phones and wide screens: layout, text size, WCAG 2.1 AA by axe-core.

At 320x640, 390x844 and 1400x900 (issue 14.5): the page never scrolls
sideways, every chart text is drawn at 14 px or more on the screen (font size
times the SVG's scale), axe-core 4.14.1 (``vendor/axe.min.js``, run with the
WCAG 2.0/2.1 A and AA rules) finds no serious or critical violation, and the
console stays clean. A full-page screenshot of each size is kept in
``test-artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.api.browser.conftest import LiveDashboard, Watched, open_dashboard, sign_in

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
AXE_VERSION = "4.14.1"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: The smallest text a chart may draw on the screen [px] (issue 14.5).
MIN_TEXT_PX = 14.0

#: Rendered size of every visible SVG text of the page: font size x the SVG's scale [px].
RENDERED_TEXT_PX = """() => [...document.querySelectorAll('main svg text')]
    .filter(t => t.getClientRects().length && t.textContent.trim())
    .filter(t => !t.closest('.visually-hidden, [hidden]'))
    .map(t => {
        const m = t.getScreenCTM();
        const scale = Math.hypot(m.a, m.b);
        return [parseFloat(getComputedStyle(t).fontSize) * scale, t.textContent.slice(0, 30)];
    })"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page; its violations (WCAG 2.x A/AA rules)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))  # via the debugger, not subject to the CSP
    assert page.evaluate("axe.version") == AXE_VERSION
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return list(result["violations"])


@pytest.mark.parametrize("width,height", [(320, 640), (390, 844), (1400, 900)])
def test_layout_text_size_and_accessibility(
    browser: Any, live: LiveDashboard, artifacts: Path, width: int, height: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
    try:
        watched = Watched(context.new_page())
        p = open_dashboard(watched, live, f"run={live.overbuilt_run_id}")
        p.wait_for_selector("#sweeps-section[aria-busy='false'] #sweep-figure-npv_eur svg")
        scroll = p.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll[0] <= scroll[1], f"page {scroll[0]} px wide in a {scroll[1]} px window"
        sizes = p.evaluate(RENDERED_TEXT_PX)
        assert len(sizes) > 20  # the charts' texts are there
        small = [s for s in sizes if s[0] < MIN_TEXT_PX - 0.05]
        assert not small, small[:10]
        bad = [v for v in axe_violations(p) if v["impact"] in ("serious", "critical")]
        assert not bad, [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in bad]
        p.screenshot(path=str(artifacts / f"dashboard-{width}x{height}.png"), full_page=True)
        assert watched.problems == []
    finally:
        context.close()


def test_month_is_the_default_period_of_a_long_run(page: Watched, live: LiveDashboard) -> None:
    # the runs list says the first run covers 365 days (the answer changed on its way in)
    p = page.page
    url = re.compile(r"/(public/)?runs\?status=succeeded&limit=200$")  # keyless and keyed

    def a_year(route: Any) -> None:
        body = route.fetch().json()
        for run in body["items"]:
            run["options"] = run["options"] | {"days": 365}
        route.fulfill(json=body)

    p.route(url, a_year)
    asked: list[str] = []
    p.on("request", lambda r: asked.append(r.url) if "/savings" in r.url else None)
    p.goto(f"{live.base_url}/dashboard/?run={live.run_ids[0]}")
    sign_in(p, live.viewer_key)
    p.wait_for_selector("#views[aria-busy='false']")
    assert p.input_value("#period") == "month"
    assert asked and all("period=month" in u for u in asked)
    # a period chosen by hand stays chosen
    p.select_option("#period", "day")
    p.wait_for_function("() => location.search.includes('period=day')")
    assert page.problems == []
