"""The build report's runs table on a phone: book/_static/layout.css lays each run out as a
block, picking the cells by their place in the extension's columns, so the two must agree."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import load_file

ROOT = Path(__file__).resolve().parents[1]
rnnbook_ext = load_file(ROOT / "book" / "_ext" / "rnnbook_ext.py")
CSS = (ROOT / "book" / "_static" / "layout.css").read_text()


def _rule(selector: str) -> str:
    m = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    assert m, f"no rule for {selector} in layout.css"
    return m.group(1)


def test_the_runs_table_is_classed_for_the_phone_layout():
    table = rnnbook_ext._table([["gates", "gru2", "bs 64, bptt 20", "0", "6.6", "trained"]])
    assert "rnnbook-runs" in table["classes"]
    assert len(list(table.findall(lambda n: n.tagname == "entry"))) == 2 * len(rnnbook_ext._RUN_COLUMNS)


def test_the_phone_layout_labels_the_columns_it_means():
    columns = rnnbook_ext._RUN_COLUMNS
    assert "flex-basis: 100%" in _rule(f"table.rnnbook-runs td:nth-child({columns.index('settings') + 1})")
    seed = _rule(f"table.rnnbook-runs td:nth-child({columns.index('seed') + 1}) p::before")
    assert 'content: "seed "' in seed
    seconds = _rule(f"table.rnnbook-runs td:nth-child({columns.index('seconds') + 1}) p::after")
    assert 'content: " s"' in seconds
