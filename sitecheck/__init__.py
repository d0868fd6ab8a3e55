"""The checks of the built site and of the ways into the book, run by ``.ci/run``.

Each module runs as ``python -m sitecheck.NAME`` from the repository's root, and the tests
import them like any package:

- ``links``: every page of the table of contents is built, and its links and assets resolve;
  with ``--browser``, every page loads in headless Chromium without errors;
- ``widgets_page``: the widgets page's kernel-free explorer responds;
- ``playground``: the playground computes in the browser what PyTorch computes;
- ``a11y``: axe-core on every page, light and dark, and the code column's width;
- ``sideways``: no code or output block scrolls sideways at 1280, 1366 and 1920 px;
- ``lighthouse``: Lighthouse on every page, phone and desktop, the site served with gzip;
- ``binder.sh``, ``chapters``, ``lab``: an environment from ``binder/`` alone executes every
  chapter, and the live explorer trains in JupyterLab;
- ``browser``: the local server and the headless Chromium they all use.

``report`` is how each check ends: its problems, one line each, then a count, and the exit code.
"""


def report(name: str, problems: list[str], what: str = "") -> int:
    """Print ``problems`` (one ``PROBLEM:`` line each) and ``name: what, N problem(s)``; the exit
    code: 1 when there is a problem."""
    for p in problems:
        print("  PROBLEM:", p)
    print(f"{name}: {what + ', ' if what else ''}{len(problems)} problem(s)")
    return 1 if problems else 0
