"""Headless Chromium and a local web server for the browser tests (one copy for every file)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium, never a downloaded browser
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve a built site on 127.0.0.1; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def watch(page, problems: list[str], foreign: list[str]) -> None:
    """Refuse (and record) every request that leaves 127.0.0.1 or the local files; record
    console errors, page errors, failed requests and HTTP errors."""
    from urllib.parse import urlparse

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", None):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: None if _navigated_away(r) else problems.append(f"request failed ({r.failure}): {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)


def _navigated_away(request) -> bool:
    """The browser's own favicon fetch, cancelled because the test clicked to another page
    before it finished (net::ERR_ABORTED): no request of the page's, and no missing file (a
    missing file is an HTTP 404, recorded above). Seen once in a language-switch test."""
    return request.failure == "net::ERR_ABORTED" and request.url.endswith("/favicon.svg")


# Every chart drawn: assets/site.js draws those below the first screen after the load event.
ALL_CHARTS_DRAWN = "() => [...document.querySelectorAll('.plotly-graph-div')].every(el => el.querySelector('.main-svg'))"


def wait_for_charts(page, timeout: int = 20_000) -> None:
    page.wait_for_function(ALL_CHARTS_DRAWN, timeout=timeout)
