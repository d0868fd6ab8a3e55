"""Headless Chromium for the site checks, in one place: a local web server for a built site, the
system's Chromium driven by Playwright, and the faults a page may report. Used by
``sitecheck.links --browser`` and ``sitecheck.widgets_page`` (and through it by the tests).

Playwright is imported only when a browser is opened, so the scripts' other checks need only
the standard library.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
"""The system's Chromium (None when there is none); Playwright's own browsers are never used."""

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# Console messages that are not faults: none. (The theme's "Got invalid theme mode" on a first
# visit is gone since _config.yml gives it a default mode; sitecheck.console checks it.)
BENIGN_CONSOLE: tuple[str, ...] = ()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True  # a request the browser left open does not hold up the exit

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the browser hung up: no matter
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(site: str | Path,
          handler: type[http.server.SimpleHTTPRequestHandler] = _QuietHandler) -> Iterator[str]:
    """Serve the folder ``site`` on 127.0.0.1 (a free port) with ``handler`` (files as they are,
    by default) while the block runs; yields the base URL."""
    handler = functools.partial(handler, directory=str(site))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def open_browser(chromium: str | None = None):
    """Headless Chromium (``chromium``, or the system's) through Playwright; yields the Browser."""
    from playwright.sync_api import sync_playwright

    chromium = chromium or CHROMIUM
    if chromium is None:
        raise RuntimeError("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def watch(page, base: str) -> list[str]:
    """Start recording the faults of ``page``: uncaught JavaScript errors, console errors (but
    BENIGN_CONSOLE) and failed requests to ``base`` (the local server). Returns the list that
    fills up as they happen."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}")
            if m.type == "error" and not m.text.startswith(BENIGN_CONSOLE) else None)
    page.on("requestfailed", lambda r: errors.append(f"failed request: {r.url}")
            if r.url.startswith(base) else None)
    return errors
