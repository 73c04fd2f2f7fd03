"""Page budgets (issue 10): each page's own weight and its render time in headless Chromium.

    python -m bench.pages SITE_DIR [--json OUT]

Own weight = the HTML plus every script, stylesheet and data file it loads from the site,
except the one shared `assets/plotly.min.js` (budget 300 KB). Render time = from the start of
navigation until the load event and every plotly chart on the first screen drawn, at 375 px
(budget 1.5 s), the best of three loads (the first warms the disk cache); "all drawn" adds
the charts below the first screen, which the page draws after load without scrolling. Reported, never asserted: pages over
budget are marked in the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

CHROMIUM = "/usr/bin/chromium"
SHARED = "assets/plotly.min.js"
BUDGET_KB, BUDGET_S = 300, 1.5
# The reader's wait: every chart on the first screen drawn (assets/site.js draws the ones
# below it after the load event, one per frame); "all drawn" is when the last one is.
CHARTS = "[...document.querySelectorAll('.plotly-graph-div')]"
FIRST_SCREEN_DRAWN = (
    f"() => {CHARTS}.filter(el => el.getBoundingClientRect().top <= innerHeight).every(el => el.querySelector('.main-svg'))"
)
ALL_DRAWN = f"() => {CHARTS}.every(el => el.querySelector('.main-svg'))"


def measure(site: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        # the Chinese pages and their English twins (en/): each reader gets one of them
        for html in sorted(site.glob("*.html")) + sorted(site.glob("en/*.html")):
            ctx = browser.new_context(viewport={"width": 375, "height": 812})
            page = ctx.new_page()
            loaded: set[str] = set()
            page.on("requestfinished", lambda r, seen=loaded: seen.add(r.url))
            times, all_times = [], []
            for _ in range(3):
                loaded.clear()
                started = time.perf_counter()
                page.goto(html.as_uri(), wait_until="load")
                page.wait_for_function(FIRST_SCREEN_DRAWN, timeout=30_000)
                times.append(time.perf_counter() - started)
                page.wait_for_function(ALL_DRAWN, timeout=30_000)
                all_times.append(time.perf_counter() - started)
            files = {Path(unquote(urlparse(u).path)) for u in loaded if u.startswith("file://")}
            own = sum(f.stat().st_size for f in files | {html} if f.is_file() and f.relative_to(site).as_posix() != SHARED)
            rows.append(
                {
                    "page": html.relative_to(site).as_posix(),
                    "own_kb": round(own / 1024, 1),
                    "render_s": round(min(times), 3),
                    "all_drawn_s": round(min(all_times), 3),
                    "files": sorted(f.relative_to(site).as_posix() for f in files if f.is_relative_to(site)),
                }
            )
            ctx.close()
        browser.close()
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'page':18} {'own KB':>8} {'render s':>9} {'all drawn s':>12}  (budgets {BUDGET_KB} KB, {BUDGET_S} s at 375 px)"]
    for r in rows:
        flags = ("  OVER WEIGHT" if r["own_kb"] > BUDGET_KB else "") + ("  SLOW" if r["render_s"] > BUDGET_S else "")
        lines.append(f"{r['page']:18} {r['own_kb']:8.1f} {r['render_s']:9.2f} {r['all_drawn_s']:12.2f}{flags}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n\n")[0])
    ap.add_argument("site", type=Path)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    rows = measure(a.site.resolve())
    print(table(rows))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
