"""The dashboard without a browser: page and files served, nothing external, colours, words.

Also the two read-only views the page needs, ``/runs/{id}/lighting`` and
``/runs/{id}/grid.geojson``: against hand calculations and against the run's
own KPIs and grid summary.
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.gridmap import place_names
from api.jobkinds import default_runner
from api.jobs import Outcome
from api.routers.dashboard import ASSETS, STATIC_DIR, lighting_by_hour, security_headers
from api.settings import Settings
from energy.district import GERA_DISTRICT_FILE, load_district
from energy.errors import InputDataError
from energy.timeindex import make_index
from tests.api.conftest import RecordingExecutor, World, build_app, make_settings

#: External addresses the page may name: licence pages it links to (never loads) and
#: the SVG namespace (an identifier, never fetched).
ALLOWED_URLS = {
    "http://www.w3.org/2000/svg",
    "https://leafletjs.com",  # Leaflet's own attribution link (switched off, never loaded)
    "https://creativecommons.org/licenses/by/4.0/",
    "https://opendatacommons.org/licenses/odbl/1-0/",
}


class _Refs(HTMLParser):
    """Collects the files a page loads (script src, link href, img src)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.i18n: set[str] = set()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img") and a.get("src"):
            self.loads.append(str(a["src"]))
        if tag == "link" and a.get("href"):
            self.loads.append(str(a["href"]))
        if a.get("data-i18n"):
            self.i18n.add(str(a["data-i18n"]))
        if a.get("id"):
            self.ids.add(str(a["id"]))


def _page_refs() -> _Refs:
    refs = _Refs()
    refs.feed((STATIC_DIR / "index.html").read_text(encoding="utf-8"))
    return refs


def test_page_is_served_with_a_same_origin_policy(client: TestClient) -> None:
    r = client.get("/dashboard?key=esk_abc_secret&run=3&lang=en", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == "/dashboard/?run=3&lang=en"  # a key is never echoed
    r = client.get("/dashboard/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "img-src 'self' data:;" in csp  # no tile server unless configured
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert '<html lang="de">' in r.text
    for landmark in ("<header", "<main", "<footer", 'role="status"', 'role="alert"'):
        assert landmark in r.text


def test_config_names_the_api_for_keyless_reads_and_no_tiles_by_default(
    client: TestClient,
) -> None:
    r = client.get("/dashboard/config.json")
    assert r.status_code == 200
    # the API answers reads without a key (published data only), so the page reads it directly
    assert client.get("/runs").status_code == 200
    assert r.json() == {
        "public": True,
        "public_base": "../",
        "tile_url": None,
        "tile_attribution": "",
    }
    assert r.headers["cache-control"] == "no-store"


def test_published_runs_are_readable_without_a_key_private_ones_are_not(
    world: World, executor: RecordingExecutor
) -> None:
    c = world.client
    district = world.create_district(visibility="published")
    shown = world.start_run(world.create_scenario(district, visibility="published"))
    hidden = world.start_run(world.create_scenario(district))  # private to its organisation
    private_district = world.create_district()
    hidden_too = world.start_run(world.create_scenario(private_district))
    assert executor.drain() == [Outcome.succeeded] * 3
    r = c.get(f"/runs/{shown}/results")
    assert r.status_code == 200, r.text
    assert r.json()["run_id"] == shown
    assert c.get(f"/runs/{shown}/schedule", params={"format": "json"}).status_code == 200
    for run_id in (hidden, hidden_too):
        assert c.get(f"/runs/{run_id}").status_code == 404
        assert c.get(f"/runs/{run_id}/results").status_code == 404
    listed = {r["id"] for r in c.get("/runs").json()["items"]}
    assert listed == {shown}
    assert c.get(f"/districts/{private_district}").status_code == 404
    # read-only: nothing is created, changed or started without a key
    r = c.post("/scenarios", json={"name": "x", "district_id": district})
    assert r.status_code == 401
    assert c.post(f"/runs/{shown}/cancel").status_code == 401
    assert c.get(f"/runs/{shown}").json()["status"] == "succeeded"


def test_a_tile_server_joins_img_src_only() -> None:
    settings = Settings(dashboard_tile_url="https://tile.example.org/{z}/{x}/{y}.png")
    csp = security_headers(settings)["Content-Security-Policy"]
    assert "img-src 'self' data: https://tile.example.org;" in csp
    assert "connect-src 'self';" in csp and "script-src 'self';" in csp
    for bad in ("http://tile.example.org/{z}/{x}/{y}.png", "https://x.org/tiles.png"):
        with pytest.raises(ValueError, match="dashboard_tile_url"):
            Settings(dashboard_tile_url=bad)


def test_a_configured_tile_server_reaches_the_page(engine: Any, executor: Any) -> None:
    url = "https://tile.example.org/{z}/{x}/{y}.png"
    settings = make_settings().model_copy(
        update={"dashboard_tile_url": url, "dashboard_tile_attribution": "© Example tiles"}
    )
    with TestClient(build_app(engine, settings, executor)) as c:
        config = c.get("/dashboard/config.json").json()
        assert (config["tile_url"], config["tile_attribution"]) == (url, "© Example tiles")
        csp = c.get("/dashboard/").headers["content-security-policy"]
        assert "img-src 'self' data: https://tile.example.org;" in csp


def test_the_page_never_keeps_a_key_in_storage_or_the_address() -> None:
    script = (STATIC_DIR / "dashboard.js").read_text(encoding="utf-8")
    assert "sessionStorage.setItem(KEY" not in script and "localStorage" not in script
    assert 'searchParams.set("key"' not in script and 'params.set("key"' not in script
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    # the key form posts (no query string) if the script ever fails to take it over
    assert '<form id="key-form" class="controls" method="post"' in html


def test_every_file_the_page_loads_is_served(client: TestClient) -> None:
    refs = _page_refs()
    imports = set()
    for path in STATIC_DIR.glob("*.js"):
        imports |= set(re.findall(r'from "\./([\w.-]+)"', path.read_text(encoding="utf-8")))
    wanted = set(refs.loads) | imports
    assert {"dashboard.js", "dashboard.css", "favicon.svg", "i18n.js"} <= wanted
    assert {"vendor/leaflet.js", "vendor/leaflet.css"} <= wanted
    types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for name in sorted(wanted):
        assert not name.startswith(("/", ".")) and name in ASSETS, name  # from the allow-list
        r = client.get(f"/dashboard/{name}")
        assert r.status_code == 200, name
        assert r.headers["content-type"].startswith(types[name[name.rfind(".") :]]), name
    # only files of the folder, never a path the client names
    for bad in ("missing.js", "..%2Fmain.py", "%2E%2E%2Fauth.py", "vendor/README.md"):
        assert client.get(f"/dashboard/{bad}").status_code == 404, bad
    assert client.get("/dashboard/vendor/leaflet-LICENSE.txt").status_code == 200


def test_vendored_files_are_the_recorded_ones() -> None:
    """Each vendored file has the version and SHA-256 its README records (and a licence)."""
    readme = (STATIC_DIR / "vendor" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([\w.-]+)` \|.*\| ([\d.]+) \|.*\| ([0-9a-f]{64}) \|$", readme, re.M)
    assert {name for name, _, _ in rows} == {"leaflet.js", "leaflet.css"}
    for name, version, digest in rows:
        data = (STATIC_DIR / "vendor" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
        assert version == "1.9.4"
    assert b"Leaflet 1.9.4" in (STATIC_DIR / "vendor" / "leaflet.js").read_bytes()[:200]
    assert "BSD 2-Clause" in (STATIC_DIR / "vendor" / "leaflet-LICENSE.txt").read_text()


def test_no_external_resources() -> None:
    for path in ASSETS.values():
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".css":  # addresses in comments are references, never loaded
            text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        urls = set(re.findall(r"""(?:https?:)?//[^\s"'`)<>]+""", text))
        urls = {u for u in urls if not u.startswith("//") or "." in u.split("/")[2]}
        assert urls <= ALLOWED_URLS, (path.name, urls - ALLOWED_URLS)
        assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", text), path.name
    for name in _page_refs().loads:
        assert not re.match(r"(https?:)?//", name), name


# -- colours: WCAG 2.1 contrast ---------------------------------------------------------------


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour ``#rrggbb``.

    L = 0.2126 R + 0.7152 G + 0.0722 B with each channel linearised:
    c/12.92 if c <= 0.04045 else ((c + 0.055)/1.055)^2.4
    (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance).
    """
    h = hex_colour.lstrip("#")
    channels = [int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio (L1 + 0.05) / (L2 + 0.05), L1 the lighter."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_against_published_values() -> None:
    # black on white is the maximum 21:1 (WCAG 2.1, definition of contrast ratio)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0, abs=1e-9)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0, abs=1e-12)
    # #767676 is the lightest grey passing AA on white (4.54:1), #777777 fails (4.48:1)
    # (WebAIM contrast checker, https://webaim.org/resources/contrastchecker/)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.005)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.005)


def _palette() -> dict[str, str]:
    css = (STATIC_DIR / "dashboard.css").read_text(encoding="utf-8")
    root = css[css.index(":root") : css.index("}", css.index(":root"))]
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", root))


def test_palette_meets_wcag_aa() -> None:
    p = _palette()
    # text (WCAG 1.4.3, 4.5:1): body and muted text on the page and on the grey panels,
    # links, error text on its panel, the value written in each heat-map step
    text_pairs = [
        (fg, bg) for fg in ("text", "muted", "accent", "error") for bg in ("bg", "surface")
    ]
    text_pairs += [("error", "error-bg")]
    text_pairs += [(f"heat-text-{i}", f"heat-{i}") for i in range(5)]
    for fg, bg in text_pairs:
        assert contrast_ratio(p[fg], p[bg]) >= 4.5, (fg, bg, contrast_ratio(p[fg], p[bg]))
    # graphics (WCAG 1.4.11, 3:1): bars, lines, markers, focus ring and borders on the page
    graphics = ["focus", "border", "c-pv", "c-battery", "c-lighting", "c-autarky", "trafo", "light"]
    graphics += [f"load-{k}" for k in ("low", "mid", "high", "over", "none")]
    graphics += [f"volt-{k}" for k in ("ok", "warn", "bad")]
    for name in graphics:
        for bg in ("bg", "surface"):
            ratio = contrast_ratio(p[name], p[bg])
            assert ratio >= 3.0, (name, bg, ratio)


# -- words ---------------------------------------------------------------------------------


def _strings() -> dict[str, set[str]]:
    text = (STATIC_DIR / "i18n.js").read_text(encoding="utf-8")
    blocks = re.split(r"^  (de|en): \{$", text, flags=re.M)
    return {
        blocks[i]: set(re.findall(r"^    (\w+):", blocks[i + 1], flags=re.M))
        for i in range(1, len(blocks), 2)
    }


def test_every_word_exists_in_german_and_english() -> None:
    strings = _strings()
    assert set(strings) == {"de", "en"}
    assert strings["de"] == strings["en"], strings["de"] ^ strings["en"]
    used = set(_page_refs().i18n)
    for path in STATIC_DIR.glob("*.js"):
        used |= set(re.findall(r'\bt\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
    assert used, "no words found"
    assert used <= strings["de"], used - strings["de"]


def test_every_element_the_script_reads_exists() -> None:
    ids = _page_refs().ids
    script = (STATIC_DIR / "dashboard.js").read_text(encoding="utf-8")
    wanted = set(re.findall(r'\$\("([\w-]+)"\)', script))
    assert wanted <= ids, wanted - ids


# -- lighting by hour ------------------------------------------------------------------------


def _lighting_schedule(resolution: str, on_kw: float) -> pd.DataFrame:
    index = make_index("2025-06-02", 2, resolution)
    local_hour = index.tz_convert("Europe/Berlin").hour
    p_kw = np.where(local_hour == 22, on_kw, 0.0) + np.where(local_hour == 3, on_kw / 2, 0.0)
    return pd.DataFrame({"lighting_kw:G1": p_kw, "lighting_kw": p_kw}, index=index)


@pytest.mark.parametrize("resolution", ["1h", "15min"])
def test_lighting_by_hour_hand_calculation(resolution: str) -> None:
    # 2 kW from 22:00 to 23:00 local and 1 kW from 03:00 to 04:00 on two days, against a
    # baseline at twice the power: hour 22 holds 2 kW x 1 h x 2 days = 4 kWh (baseline 8),
    # hour 3 holds 1 x 1 x 2 = 2 kWh (baseline 4); 6 kWh used, 12 in the baseline, 6 saved;
    # in any step length, since the power is constant within each hour.
    out = lighting_by_hour(
        _lighting_schedule(resolution, 2.0), _lighting_schedule(resolution, 4.0), "Europe/Berlin"
    )
    assert [g["group"] for g in out] == ["G1"]
    g = out[0]
    assert g["e_kwh_by_hour"][22] == pytest.approx(4.0, abs=1e-9)
    assert g["e_kwh_by_hour"][3] == pytest.approx(2.0, abs=1e-9)
    assert g["e_baseline_kwh_by_hour"][22] == pytest.approx(8.0, abs=1e-9)
    assert sum(g["e_kwh_by_hour"]) == pytest.approx(6.0, abs=1e-9)
    assert (g["e_kwh"], g["e_baseline_kwh"], g["e_saved_kwh"]) == pytest.approx((6, 12, 6))
    # in UTC the 22:00 local hour of June (CEST, UTC+2) is 20:00: nothing may land there
    assert g["e_kwh_by_hour"][20] == 0.0


def test_lighting_by_hour_refuses_another_index() -> None:
    a = _lighting_schedule("1h", 2.0)
    with pytest.raises(InputDataError, match="baseline"):
        lighting_by_hour(a, a.iloc[:-1], "Europe/Berlin")


def test_lighting_and_grid_views_of_a_real_run(world: World, executor: RecordingExecutor) -> None:
    c, h = world.client, world.h("viewer_b")
    executor.runner = default_runner
    district_id = world.create_district(visibility="published")
    sid = world.create_scenario(
        district_id,
        visibility="published",
        options={"start": "2025-06-02", "days": 1, "resolution": "1h", "ac_check": True},
    )
    run_id = world.start_run(sid)
    assert executor.drain() == [Outcome.succeeded]
    results = c.get(f"/runs/{run_id}/results", headers=h).json()
    # lighting: the hourly sums add up to the KPIs the run computed from whole schedules
    for baseline in ("B0", "B1"):
        r = c.get(f"/runs/{run_id}/lighting", params={"baseline": baseline}, headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["licence"] == "CC-BY-4.0" and r.headers["x-licence"] == "CC-BY-4.0"
        (group,) = body["groups"]
        assert group["group"] == "L1" and group["road"] == "Teststrasse"
        assert sum(group["e_kwh_by_hour"]) == pytest.approx(
            results["kpis"]["optimised"]["e_lighting_kwh"], rel=1e-6
        )
        assert group["e_baseline_kwh"] == pytest.approx(
            results["kpis"][baseline]["e_lighting_kwh"], rel=1e-6
        )
        assert group["e_saved_kwh"] == pytest.approx(
            results["savings"][f"vs_{baseline}"]["e_lighting_kwh"], rel=1e-6, abs=1e-9
        )
    # B0 burns at full power while dark: 10 luminaires x 40 W = 0.4 kW at most, so no
    # hour holds more than 0.4 kWh on one day
    b0 = c.get(f"/runs/{run_id}/lighting", headers=h).json()["groups"][0]
    assert max(b0["e_baseline_kwh_by_hour"]) <= 0.4 + 1e-9
    # grid: the recomputed AC results reproduce the run's own check
    r = c.get(f"/runs/{run_id}/grid.geojson", headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    collection = r.json()
    lines = [f for f in collection["features"] if f["properties"]["element_type"] == "line"]
    plain = c.get(f"/districts/{district_id}/grid.geojson", headers=h).json()
    assert len(lines) == sum(f["properties"]["element_type"] == "line" for f in plain["features"])
    assert max(f["properties"]["max_loading_pct"] for f in lines) == pytest.approx(
        results["grid"]["max_line_loading_pct"], rel=1e-6
    )
    buses = [f for f in collection["features"] if f["properties"]["element_type"] == "bus"]
    assert min(f["properties"]["vm_min_pu"] for f in buses) == pytest.approx(
        results["grid"]["v_min_pu"], abs=1e-6
    )
    assert collection["metadata"]["run_id"] == run_id
    # every building and light group of the district is on the map, at its connection's bus
    extra = {
        k: [f for f in collection["features"] if f["properties"]["element_type"] == k]
        for k in ("building", "light")
    }
    assert sorted(f["properties"]["name"] for f in extra["building"]) == ["B1", "B2"]
    assert [f["properties"]["name"] for f in extra["light"]] == ["L1"]
    bus_at = {n: f["geometry"] for f in buses for n in f["properties"]["nodes"]}
    for f in extra["building"]:
        assert f["geometry"] == bus_at[f["properties"]["name"]]
        assert f["properties"]["footprint"] is False
    # a run the caller may not see stays hidden
    private = world.create_scenario(district_id, options={"start": "2025-06-02", "days": 1})
    hidden_run = world.start_run(private)
    assert c.get(f"/runs/{hidden_run}/lighting", headers=h).status_code == 404


def test_place_names_of_the_gera_district() -> None:
    gera = load_district(GERA_DISTRICT_FILE)
    places = place_names(gera)
    assert places["feeder"]["F1"] == "Ringstraße West"
    assert places["building"]["MF05"] == "Ringstraße 9"
    assert places["building"]["CO03"] == "Hairdresser"  # "Hairdresser, ground floor of MF07"
    assert places["light"]["L-RING-W"] == "Ringstraße, west section (main road)"
    assert set(places["building"]) == {b.id for b in gera.buildings}
