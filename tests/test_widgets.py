"""The live explorer driven headless, and the pieces of the static (precomputed) explorer."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import time

import ipywidgets as widgets
import pytest

import rnnbook.explorer
import rnnbook.sweep as rs
from rnnbook import train
from rnnbook.data import HumanNumbers
from rnnbook.explorer import Explorer
from rnnbook.learner import History, SilentReporter
from rnnbook.sweep import SweepResults, static_explorer, sweep

TINY = {"model": "gru2", "bptt": 35, "hidden": 8, "epochs": 1, "bs": 64}


@pytest.fixture
def ex(data):
    return Explorer(data=data, device="cpu")


def _set(ex: Explorer, **values) -> None:
    for name, value in values.items():
        getattr(ex, name).value = value


def test_the_controls_cover_the_ranges_and_clamp_the_rest(ex):
    assert ex.bptt.min <= 2 and ex.bptt.max >= 70
    assert ex.hidden.min <= 8 and ex.hidden.max >= 256
    models = [v for _, v in ex.model.options]
    assert {"stateful", "gru2"} <= set(models) and "fc3" not in models  # fc3 reads exactly 3 tokens
    ex.bptt.value, ex.hidden.value, ex.epochs.value = 1000, 1, 0
    assert (ex.bptt.value, ex.hidden.value, ex.epochs.value) == (ex.bptt.max, ex.hidden.min, 1)
    with pytest.raises(Exception):  # noqa: B017 (traitlets' TraitError)
        ex.bs.value = 7


def test_train_records_the_run_and_redraws_the_curves(ex, data):
    _set(ex, **TINY)
    before = ex.curves.value
    row = ex.run(block=True)
    assert row is not None and ex.runs == [row]
    assert {k: row[k] for k in TINY} == TINY and row["status"] == "done" and row["seed"] == 0
    assert 0 < row["accuracy"] <= 1 and row["time"] > 0
    assert bytes(ex.curves.value) != bytes(before) and bytes(ex.curves.value).startswith(b"\x89PNG")
    assert ex.progress.value == ex.progress.max == ex.history.batches_per_epoch
    assert "Done: accuracy" in ex.message and "after 1 epoch in" in ex.message
    assert f">{row['accuracy']:.3f}</td>" in ex.table.value
    assert not ex.train_button.disabled and ex.stop_button.disabled
    # one code path: the explorer's run is experiments.train's run with the same settings
    _, ref = train("gru2", seed=0, data=data, device="cpu", reporter=SilentReporter(),
                   bptt=35, hidden=8, epochs=1, bs=64)
    assert ex.history.batch_losses == ref.batch_losses and ex.history.accuracy == ref.accuracy
    # a second run with other settings lands in the table too
    _set(ex, bptt=40, seed=1)
    second = ex.run(block=True)
    assert [r["bptt"] for r in ex.runs] == [35, 40] and second["seed"] == 1
    assert ex.history.batch_losses != ref.batch_losses


def test_nonsense_is_refused_with_a_message(data):
    # a short training text: 512 rows of it are 25 tokens long (the validation text is always
    # cut into 64 rows, long enough for any bptt the slider offers)
    short = HumanNumbers(data.train[:12_801], data.valid, data.vocab)
    ex = Explorer(data=short, device="cpu")
    _set(ex, **TINY)
    assert ex.problems() == [] and not ex.train_button.disabled
    ex.bs.value, ex.bptt.value = 512, 70
    assert ex.train_button.disabled
    assert "bptt must be at most 25" in ex.message and "bptt must be at most 25" in ex.status.value
    assert ex.run(block=True) is None and ex.runs == []
    assert "refused" in ex.batches.value
    ex.bptt.value = 25
    assert not ex.train_button.disabled and "Ready" in ex.message


def test_the_batch_view_follows_bs_and_bptt(ex, data):
    _set(ex, bs=64, bptt=7)
    text = ex.batches.value
    assert "bptt=7" in text and "x1  (64 x 7)" in text and "x3  (64 x 7)" in text
    first_row = data.vocab.textify(data.valid[:7])
    assert first_row in text
    ex.bs.value = 8
    assert "bs=8" in ex.batches.value and "x1  (8 x 7)" in ex.batches.value


def test_a_failing_run_shows_its_error_and_the_explorer_stays_usable(ex, monkeypatch):
    _set(ex, **TINY)

    def broken(*args, **kwargs):
        raise RuntimeError("CUDA out of memory (simulated)")

    monkeypatch.setattr(rnnbook.explorer, "train", broken)
    row = ex.run(block=True)
    assert row["status"] == "error" and "CUDA out of memory (simulated)" in row["error"]
    assert "The run failed: RuntimeError: CUDA out of memory (simulated)" in ex.message
    assert "rnnbook-error" in ex.status.value and "error" in ex.table.value
    assert not ex.running and not ex.train_button.disabled and ex.stop_button.disabled
    monkeypatch.undo()
    again = ex.run(block=True)
    assert again["status"] == "done" and [r["status"] for r in ex.runs] == ["error", "done"]


def test_train_and_stop_buttons_run_in_the_background(ex):
    _set(ex, model="gru2", bptt=35, hidden=8, epochs=30)
    ex.train_button.click()
    assert ex.running and ex.train_button.disabled and not ex.stop_button.disabled
    assert ex.run(block=True) is None and "in progress" in ex.message  # no second run at once
    deadline = time.time() + 60
    while ex.progress.value < 3 and time.time() < deadline:
        time.sleep(0.01)
    ex.stop_button.click()
    ex.wait(60)
    assert not ex.running
    (row,) = ex.runs
    assert row["status"] == "stopped" and row["epochs"] == 30
    assert ex.history.stopped and len(ex.history.rows) < 30
    assert "Stopped after" in ex.message and not ex.train_button.disabled


def _fake(bptts=(5, 20), hiddens=(16, 64)) -> SweepResults:
    res = SweepResults("gru2", bptts, hiddens, epochs=2, seed=0, device="cpu")
    for i, b in enumerate(bptts):
        for j, h in enumerate(hiddens):
            acc = 0.4 + 0.1 * i + 0.05 * j
            rows = [{"epoch": e, "train_loss": 2 - e, "valid_loss": 2.5 - e, "accuracy": acc * (e + 1) / 2,
                     "time": 0.1} for e in range(2)]
            losses = [2.5 - 0.1 * k - 0.01 * i for k in range(8)]
            res.histories[b, h] = History(rows=rows, batch_losses=losses, batches_per_epoch=4)
            res.seconds[b, h] = 1.0
    return res


def _img(value: str) -> dict:
    """The PNG bytes, alt text and class of the one ``<img>`` in an HTML widget's value."""
    m = re.fullmatch(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)" width="\d+" '
                     r'height="\d+" class="([^"]*)">', value)
    assert m, f"not an image with alt text: {value[:80]}"
    return {"png": base64.b64decode(m.group(1)), "alt": m.group(2), "class": m.group(3)}


def _descendants(w):
    yield w
    for child in getattr(w, "children", ()):
        yield from _descendants(child)


def test_static_explorer_links_the_sliders_to_stacks_of_precomputed_figures():
    res = _fake()
    box = static_explorer(res, bptt=20, hidden=16)
    found = list(_descendants(box))
    sliders = {s.description: s for s in found if isinstance(s, widgets.SelectionSlider)}
    assert sliders["bptt"].options == (("5", 5), ("20", 20)) and sliders["bptt"].value == 20
    assert sliders["hidden"].index == 0
    stacks = [s for s in found if isinstance(s, widgets.Stack)]
    outer = next(s for s in stacks if all(isinstance(c, widgets.Stack) for c in s.children))
    assert len(outer.children) == 2 and outer.selected_index == 1
    for b, inner in zip(res.bptts, outer.children, strict=True):
        assert len(inner.children) == 2 and inner.selected_index == 0
        for h, page in zip(res.hiddens, inner.children, strict=True):
            caption, image = page.children
            assert caption.value.startswith(f'<span class="rnnbook-setting">bptt {b}, hidden {h}:')
            img = _img(image.value)
            assert img["png"] == rs.setting_png(res, b, h)
            assert img["class"] == f"rnnbook-figure rnnbook-bptt-{b}-hidden-{h}"
            assert img["alt"] == html.escape(rs.setting_alt(res, b, h))
            assert f"bptt {b} and hidden size {h}" in img["alt"]
            assert f"ending at {res.accuracy(b, h):.1%}" in img["alt"]
    # the links live in the browser: bptt -> outer stack, hidden -> every inner stack
    pairs = {(id(lk.source[0]), lk.source[1], id(lk.target[0]), lk.target[1]) for lk in box.links}
    assert len(box.links) == 1 + len(res.bptts)
    assert (id(sliders["bptt"]), "index", id(outer), "selected_index") in pairs
    for inner in outer.children:
        assert (id(sliders["hidden"]), "index", id(inner), "selected_index") in pairs
    figures = {hashlib.sha256(rs.setting_png(res, b, h)).hexdigest() for b in res.bptts for h in res.hiddens}
    assert len(figures) == 4  # each setting has its own figure
    images = [_img(w.value) for w in found if isinstance(w, widgets.HTML) and "<img " in w.value]
    assert len(images) == 4 + 1  # the four settings and the heatmap
    assert sum(len(i["png"]) for i in images[:4]) < 4 * 40_000, "the embedded figures should stay small"
    heatmap = images[-1]
    assert heatmap["class"] == "rnnbook-heatmap" and heatmap["png"] == rs.setting_heatmap_png(res)
    assert "Lowest 40.0% (bptt 5, hidden 16), highest 55.0% (bptt 20, hidden 64)" in heatmap["alt"]
    assert "seed 0" in found[-1].value and "2 epochs" in found[-1].value


def test_sweep_trains_every_setting_with_experiments_train(data):
    res = sweep("gru2", bptts=(35, 70), hiddens=(8,), epochs=1, seed=0, data=data, device="cpu")
    assert set(res.histories) == {(35, 8), (70, 8)} and res.device == "cpu"
    assert len(res.grid()) == 2 and len(res.grid()[0]) == 1 and res.total_seconds > 0
    _, ref = train("gru2", seed=0, data=data, device="cpu", reporter=SilentReporter(),
                   bptt=70, hidden=8, epochs=1)
    assert res.histories[70, 8].batch_losses == ref.batch_losses
    assert res.best()[2] == max(res.accuracy(35, 8), res.accuracy(70, 8))
    with pytest.raises(ValueError, match="bptt must be at most"):
        sweep("gru2", bptts=(20, 500), hiddens=(8,), epochs=1, data=data)
    with pytest.raises(ValueError, match="increasing"):
        sweep("gru2", bptts=(20, 10), hiddens=(8,), epochs=1, data=data)


# --- the explorer's pure parts --------------------------------------------------------------------

def _row(run, **over):
    row = {"run": run, "model": "gru2", "bptt": 20, "hidden": 64, "bs": 64, "epochs": 3, "seed": 0,
           "accuracy": 0.81234, "time": 12.34, "status": "done"}
    return {**row, **over}


def _cells(tr: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", tr)


def test_runs_table_html_is_a_table_of_the_runs_newest_first():
    from rnnbook.explorer import runs_table_html

    empty = runs_table_html([])
    assert empty.startswith('<table class="rnnbook-runs"') and empty.endswith("</table>")
    assert re.findall(r"<th[^>]*>(\w+)</th>", empty) == [
        "run", "model", "bptt", "hidden", "bs", "epochs", "seed", "accuracy", "time", "status"]
    assert '<td colspan="10"><i>no runs yet</i></td>' in empty
    runs = [_row(1), _row(2, bptt=40, accuracy=None, time=0.05, status="stopped"), _row(3, seed=7)]
    table = runs_table_html(runs)
    assert "no runs yet" not in table
    rows = re.findall(r"<tr[^>]*>.*?</tr>", table.split("<tbody>")[1])
    assert [_cells(r)[0] for r in rows] == ["3", "2", "1"]  # newest first
    assert _cells(rows[1]) == ["2", "gru2", "40", "64", "64", "3", "0", "", "0.1s", "stopped"]
    assert _cells(rows[2])[7:9] == ["0.812", "12.3s"]
    # text columns left, numbers right
    assert re.search(r'<td style="[^"]*text-align:left">gru2</td>', rows[0])
    assert re.search(r'<td style="[^"]*text-align:right">3</td>', rows[0])
    assert runs == [_row(1), _row(2, bptt=40, accuracy=None, time=0.05, status="stopped"), _row(3, seed=7)]


def test_runs_table_html_escapes_what_it_is_given():
    from rnnbook.explorer import runs_table_html

    run = _row(1, model="<b>x</b>&", status="error", error='RuntimeError: "<oops>" & more')
    table = runs_table_html([run])
    assert "<b>" not in table and "&lt;b&gt;x&lt;/b&gt;&amp;" in table
    (tr,) = re.findall(r"<tr title=[^>]*>", table)
    assert tr == '<tr title="RuntimeError: &quot;&lt;oops&gt;&quot; &amp; more">'
    assert 'title=' not in runs_table_html([_row(1)])


def test_the_status_line_is_coloured_by_kind_and_escaped():
    from rnnbook.explorer import STATUS_COLOURS, status_html

    for kind, colour in STATUS_COLOURS.items():
        out = status_html("a < b\nnext", kind)
        assert out == (f'<div class="rnnbook-status rnnbook-{kind}" style="color:{colour};'
                       'white-space:pre-wrap">a &lt; b\nnext</div>')
    assert len(set(STATUS_COLOURS.values())) == len(STATUS_COLOURS)
    with pytest.raises(KeyError):
        status_html("x", "loud")


def test_check_settings_refuses_at_the_door(data):
    from rnnbook.explorer import check_settings

    ok = dict(model="gru2", bptt=20, hidden=64, bs=64, epochs=3, seed=0)
    assert str(check_settings(data, "cpu", **ok)) == "cpu"
    for name, value, message in [("hidden", 12, "multiple of 8"), ("bptt", 71, "bptt"),
                                 ("model", "fc3", "model"), ("bs", 7, "bs")]:
        with pytest.raises(ValueError, match=message):
            check_settings(data, "cpu", **{**ok, name: value})
