"""Check, in headless Chromium, that the built widgets page responds without a kernel.

Usage: ``python scripts/check_widgets_page.py [HTML_DIR]`` (default ``_build/html``): serves
HTML_DIR on 127.0.0.1, opens ``book/widgets.html`` and, for the static explorer, presses
ArrowRight on the bptt and the hidden slider and checks that the caption and the figure on show
follow (the figure's ``rnnbook-bptt-B-hidden-H`` class names its setting) and that no widget
failed to render. Exits 1 with a message when something is wrong. Needs Chromium; the
DevTools client is tornado's websocket (installed with Jupyter). ``tests/test_widgets_browser.py``
uses the same helpers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.server
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(html_dir: str | Path):
    """Serve ``html_dir`` on 127.0.0.1 (a free port); yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(html_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Browser:
    """Headless Chromium, driven through the DevTools protocol over a websocket (tornado's client)."""

    def __init__(self, tmp: Path):
        self.profile = tmp / "profile"
        if CHROMIUM is None:
            raise RuntimeError("Chromium is not installed")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             "--window-size=1200,1600", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.time() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("Chromium did not start its DevTools server")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t["type"] == "page")
        self.loop = asyncio.new_event_loop()
        self.next_id = 0
        self.console: list[str] = []
        from tornado.websocket import websocket_connect

        async def connect():
            return await websocket_connect(page["webSocketDebuggerUrl"], max_message_size=64 * 2**20)

        self.ws = self.loop.run_until_complete(connect())

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        msg_id = self.next_id
        self.ws.write_message(json.dumps({"id": msg_id, "method": method, "params": params}))

        async def reply():
            while True:
                raw = await asyncio.wait_for(self.ws.read_message(), 60)
                if raw is None:
                    raise RuntimeError("the DevTools connection closed")
                msg = json.loads(raw)
                if msg.get("method") == "Runtime.exceptionThrown":
                    self.console.append(json.dumps(msg["params"]["exceptionDetails"])[:500])
                if msg.get("id") == msg_id:
                    return msg

        msg = self.loop.run_until_complete(reply())
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error']}")
        return msg["result"]

    def js(self, expression: str):
        """Evaluate ``expression`` (awaiting a promise) and return its value."""
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for: {expression}\nerrors: {self.console}")

    def key(self, key: str, code: int) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                      windowsVirtualKeyCode=code, nativeVirtualKeyCode=code)

    def close(self) -> None:
        self.ws.close()
        self.loop.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# What the page shows: the visible caption, and the visible figure's bytes.
VISIBLE = """
(async () => {
  const root = document.querySelector('.rnnbook-static-explorer');
  const shown = el => el.offsetParent !== null && el.getBoundingClientRect().width > 0;
  const captions = [...root.querySelectorAll('.rnnbook-setting')].filter(shown);
  const images = [...root.querySelectorAll('img.rnnbook-figure')].filter(shown);
  const sliders = [...root.querySelectorAll('.widget-readout')].map(r => r.textContent.trim());
  const settings = images.map(i => [...i.classList].find(c => c.startsWith('rnnbook-bptt-')));
  const errors = root.querySelectorAll('.jupyter-widgets-error-widget').length;
  const heatmaps = [...root.querySelectorAll('img.rnnbook-heatmap')].filter(shown).length;
  const out = {captions: captions.map(c => c.textContent), settings, sliders, errors, heatmaps};
  if (images.length === 1) {
    const buf = await (await fetch(images[0].src)).arrayBuffer();
    let s = ''; new Uint8Array(buf).forEach(b => s += String.fromCharCode(b));
    out.png = btoa(s);
  }
  return out;
})()
"""

RENDERED = ("(() => { const r = document.querySelector('.rnnbook-static-explorer');"
            " return !!r && r.querySelectorAll('.noUi-handle').length === 2"
            " && [...r.querySelectorAll('.rnnbook-setting')].some(c => c.offsetParent !== null); })()")


def press_right(browser: Browser, slider: int) -> None:
    """Focus the handle of slider ``slider`` (0: bptt, 1: hidden) and press ArrowRight."""
    assert browser.js(f"(() => {{ const h = document.querySelectorAll('.rnnbook-static-explorer "
                      f".noUi-handle')[{slider}]; h.focus(); return document.activeElement === h; }})()")
    browser.key("ArrowRight", 39)



def readouts(browser: Browser) -> list[str]:
    return browser.js("[...document.querySelectorAll('.rnnbook-static-explorer .widget-readout')]"
                      ".map(r => r.textContent.trim())")


def shown(browser: Browser) -> dict:
    """The static explorer's visible caption(s), figure setting(s), readouts and errors."""
    state = browser.js(VISIBLE)
    problems = []
    if state["errors"]:
        problems.append(f"{state['errors']} widget(s) failed to render")
    if state["heatmaps"] != 1:
        problems.append(f"{state['heatmaps']} heatmaps on show, expected 1")
    if len(state["captions"]) != 1 or len(state["settings"]) != 1:
        problems.append(f"expected one caption and one figure on show, got {state['captions']}, "
                        f"{state['settings']}")
    if problems:
        raise AssertionError("; ".join(problems))
    return state


def check_follows(state: dict) -> tuple[int, int]:
    """The (bptt, hidden) on show; the caption, the figure and the sliders must agree."""
    m = re.match(r"bptt (\d+), hidden (\d+):", state["captions"][0])
    if not m:
        raise AssertionError(f"unexpected caption {state['captions'][0]!r}")
    b, h = m.group(1), m.group(2)
    if state["settings"] != [f"rnnbook-bptt-{b}-hidden-{h}"] or state["sliders"][:2] != [b, h]:
        raise AssertionError(f"the figure {state['settings']} or the sliders {state['sliders']} do not "
                             f"match the caption {state['captions'][0]!r}")
    return int(b), int(h)


def move(browser: Browser, slider: int) -> None:
    """Press ArrowRight on slider ``slider`` (0: bptt, 1: hidden) and wait for its readout to change."""
    before = readouts(browser)[slider]
    press_right(browser, slider)
    browser.wait_for(f"(() => document.querySelectorAll('.rnnbook-static-explorer .widget-readout')"
                     f"[{slider}].textContent.trim() !== {json.dumps(before)})()", timeout=10)


BATCHES = """
(() => {
  const root = document.querySelector('.rnnbook-static-batches');
  if (!root) return null;
  const texts = [...root.querySelectorAll('pre')].filter(p => p.offsetParent !== null)
                  .map(p => p.textContent);
  return {readout: root.querySelector('.widget-readout').textContent.trim(), texts};
})()
"""


def check_batches(browser: Browser) -> list[int] | None:
    """If the page has a static batch view: press ArrowRight on its slider and check that the
    text on show is the one for the new bptt. Returns the bptt values seen (None: no such view)."""
    seen = []
    for step in range(2):
        state = browser.js(BATCHES)
        if state is None:
            return None
        if len(state["texts"]) != 1:
            raise AssertionError(f"expected one batch text on show, got {len(state['texts'])}")
        m = re.match(r"LMLoader\(bs=\d+, bptt=(\d+),", state["texts"][0])
        if not m or m.group(1) != state["readout"]:
            raise AssertionError(f"the batch text {state['texts'][0][:60]!r} does not match the slider "
                                 f"({state['readout']})")
        seen.append(int(m.group(1)))
        if step == 0:
            focused = browser.js("(() => { const h = document.querySelector("
                                 "'.rnnbook-static-batches .noUi-handle');"
                                 " h.focus(); return document.activeElement === h; })()")
            if not focused:
                raise AssertionError("could not focus the batch view's slider")
            browser.key("ArrowRight", 39)
            browser.wait_for("(() => document.querySelector('.rnnbook-static-batches .widget-readout')"
                             f".textContent.trim() !== '{seen[0]}')()", timeout=10)
    if seen[1] <= seen[0]:
        raise AssertionError(f"the batch view did not move on: {seen}")
    return seen


def check_page(url: str) -> list[tuple[int, int]]:
    """Open ``url``, move both sliders, check the figure follows; returns the settings seen."""
    with tempfile.TemporaryDirectory() as tmp:
        browser = Browser(Path(tmp))
        try:
            browser.send("Runtime.enable")
            browser.send("Page.enable")
            browser.send("Page.navigate", url=url)
            browser.wait_for(RENDERED)
            seen = [check_follows(shown(browser))]
            for slider in (0, 1):
                move(browser, slider)
                seen.append(check_follows(shown(browser)))
            if seen[1][0] == seen[0][0] or seen[2][1] == seen[1][1]:
                raise AssertionError(f"a slider moved but the setting on show did not: {seen}")
            batches = check_batches(browser)
            if batches is not None:
                print(f"batch view OK: bptt {batches[0]} -> {batches[1]}")
            return seen
        finally:
            browser.close()


def main(argv: list[str]) -> int:
    html_dir = Path(argv[1] if len(argv) > 1 else "_build/html")
    page = html_dir / "book" / "widgets.html"
    if not page.is_file():
        print(f"no {page}: build the book first", file=sys.stderr)
        return 1
    with serve(html_dir) as base:
        try:
            seen = check_page(f"{base}/book/widgets.html")
        except (AssertionError, RuntimeError) as e:
            print(f"widgets page check FAILED: {e}", file=sys.stderr)
            return 1
    path = " -> ".join(f"bptt {b}, hidden {h}" for b, h in seen)
    print(f"widgets page OK: the sliders moved through {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
