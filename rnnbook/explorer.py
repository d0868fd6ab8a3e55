"""The live explorer (chapter "Widgets"): feel what ``bptt`` and the hidden size do, in a kernel.

:class:`Explorer` (``explorer()``) has sliders for ``bptt``, the hidden size, the batch size and
the epochs, a model choice, and Train and Stop buttons. A run trains through the book's own
:class:`~rnnbook.learner.Learner` (a :class:`WidgetReporter` drives the progress bar and the
curves), and every run lands in a table, so settings can be compared. A second tab shows how
``bs`` and ``bptt`` cut the stream into batches. It needs a running kernel; the static site
shows the precomputed sweep of :mod:`rnnbook.sweep` instead.

The class only makes the widgets and connects them. What it shows and what it refuses are plain
functions of their inputs, easy to read and to test on their own: ``check_settings`` (the
starting values, at the door), ``loader_problems`` (settings the data cannot be batched with),
``status_html`` (the coloured status line), ``recipe_html``, ``batches_html``,
``runs_table_html`` (the table of runs) and the status messages.
"""

from __future__ import annotations

import html
import threading
import time
import traceback
from collections.abc import Callable

import ipywidgets as widgets

from . import checks
from .data import HumanNumbers, LMLoader, batch_text, load_human_numbers
from .experiments import train
from .facts import SETTINGS
from .learner import History, Reporter
from .plotting import curves_png
from .recipes import RECIPES, get_recipe
from .yardstick import VALID_ROWS

__all__ = ["BPTT_RANGE", "HIDDEN_RANGE", "BATCH_SIZES", "live_models", "WidgetReporter", "Explorer",
           "explorer"]

def _bounds(name: str) -> tuple:
    return SETTINGS[name]["min"], SETTINGS[name]["max"]


BPTT_RANGE = _bounds("bptt")
"""The bounds of the live explorer's ``bptt`` slider (:data:`rnnbook.facts.SETTINGS`, the
browser panel's too)."""
HIDDEN_RANGE = _bounds("hidden")
"""The bounds of the live explorer's hidden-size slider (in steps of 8)."""
BATCH_SIZES = tuple(2**k for k in range(12) if _bounds("bs")[0] <= 2**k <= _bounds("bs")[1])
"""The batch sizes the live explorer offers: the powers of two in the settings' range."""
EPOCHS_RANGE, SEED_RANGE = _bounds("epochs"), _bounds("seed")
"""The bounds of the epochs slider and of the seed."""


def live_models() -> list[str]:
    """The models whose window length is free: every language model that predicts every
    token (not the translators of the chapter "Words to digits").

    (The three-token models of the chapter "Three words in, one word out" read exactly three
    tokens, so a ``bptt`` slider would mean nothing for them.)
    """
    return [k for k, r in RECIPES.items()
            if r.task == "lm" and not getattr(r.make, "predicts_last", False)]


class WidgetReporter(Reporter):
    """A :class:`~rnnbook.learner.Reporter` that drives widgets: the progress bar after
    every batch (at most every ``min_interval`` seconds) and ``on_epoch(history)`` after
    every epoch."""

    def __init__(self, progress: widgets.IntProgress,
                 on_epoch: Callable[[History], None] | None = None,
                 min_interval: float = 0.1):
        checks.instance("progress", progress, widgets.IntProgress, "an IntProgress")
        checks.function("on_epoch", on_epoch, none=True)
        min_interval = checks.non_negative_number("min_interval", min_interval)
        self.progress, self.on_epoch = progress, on_epoch
        self.min_interval = min_interval

    def begin(self, epochs: int, n_batches: int) -> None:
        self.epochs, self.n_batches, self.last = epochs, n_batches, 0.0
        self.progress.max = epochs * n_batches
        self.progress.value = 0
        self.progress.description = f"epoch 1/{epochs}"

    def batch(self, epoch: int, i: int) -> None:
        now = time.perf_counter()
        if now - self.last >= self.min_interval or i + 1 == self.n_batches:
            self.last = now
            self.progress.value = epoch * self.n_batches + i + 1
            self.progress.description = f"epoch {epoch + 1}/{self.epochs}"

    def epoch(self, history: History) -> None:
        if self.on_epoch is not None:
            self.on_epoch(history)

    def end(self, history: History) -> None:
        self.progress.description = "stopped" if history.stopped else "done"


_STYLE = {"description_width": "70px"}
_RUN_COLUMNS = ("run", "model", "bptt", "hidden", "bs", "epochs", "seed", "accuracy", "time", "status")
STATUS_COLOURS = {"info": "#333", "ok": "#1a7f37", "warn": "#9a6700", "error": "#cf222e"}
"""The colour of the explorer's status line for each kind of message."""


# --- the explorer's pure parts: the settings at the door, what it shows --------------------------

def check_settings(data: HumanNumbers | None, device, model: str, bptt: int, hidden: int, bs: int,
                   epochs: int, seed: int):
    """Refuse (``ValueError`` or ``TypeError`` naming the setting) starting values the
    :class:`Explorer`'s controls cannot hold; returns the device, resolved."""
    if data is not None:
        checks.instance("data", data, HumanNumbers, "a HumanNumbers or None")
    device = checks.device("device", device)
    checks.one_of("model", model, live_models(), what="a model whose window length is free:")
    checks.integer("bptt", bptt, *BPTT_RANGE)
    checks.integer("hidden", hidden, *HIDDEN_RANGE)
    if hidden % 8:
        raise ValueError(f"hidden must be a multiple of 8 (the slider's step), got {hidden!r}")
    checks.one_of("bs", bs, BATCH_SIZES)
    checks.integer("epochs", epochs, *EPOCHS_RANGE)
    checks.integer("seed", seed, *SEED_RANGE)
    return device


def loader_problems(data: HumanNumbers, bs: int, bptt: int) -> list[str]:
    """Why ``bs`` and ``bptt`` cannot cut ``data``'s streams into batches (empty when they can):
    the training stream in rows of ``bs``, the validation stream in ``VALID_ROWS`` rows."""
    out = []
    for name, stream, rows in (("training", data.train, bs), ("validation", data.valid, VALID_ROWS)):
        try:
            LMLoader(stream, bs=rows, bptt=bptt)
        except ValueError as e:
            out.append(f"{name} stream: {e}")
    return out


def status_html(text: str, kind: str = "info") -> str:
    """The status line: ``text``, escaped, in the colour of ``kind`` (a key of
    :data:`STATUS_COLOURS`), line breaks kept."""
    return (f'<div class="rnnbook-status rnnbook-{kind}" style="color:{STATUS_COLOURS[kind]};'
            f'white-space:pre-wrap">{html.escape(text)}</div>')


def recipe_html(model: str) -> str:
    """One line on ``model``'s recipe: its title, learning rate, weight decay and the book's
    settings for it."""
    r = get_recipe(model)
    return (f"<small>{html.escape(r.title)}: peak learning rate {r.lr:g}, "
            f"weight decay {r.wd:g}, one cycle; the book trains it for "
            f"{r.epochs} epochs with bptt {r.bptt}, hidden {r.hidden}.</small>")


def batches_html(data: HumanNumbers, bs: int, bptt: int) -> str:
    """The first rows of the first batches ``bs`` and ``bptt`` cut from the validation stream
    (:func:`~rnnbook.data.batch_text`), or why they cannot."""
    try:
        text = batch_text(data, bs, bptt)
    except ValueError as e:
        text = f"refused: {e}"
    return f"<pre style='font-size:12px;line-height:1.3'>{html.escape(text)}</pre>"


def runs_table_html(runs: list[dict]) -> str:
    """The table of runs: one row per run (a dict with the keys of the columns, and ``error``
    when it failed: the row's tooltip), newest first; text columns left, numbers right, every
    cell escaped."""
    # aligned the same in every front end: text columns left, numbers right
    styles = [f' style="padding:2px 8px; text-align:{"left" if c in ("model", "status") else "right"}"'
              for c in _RUN_COLUMNS]
    head = "".join(f"<th{st}>{c}</th>" for st, c in zip(styles, _RUN_COLUMNS, strict=True))
    body = []
    for r in reversed(runs):
        acc = "" if r["accuracy"] is None else f"{r['accuracy']:.3f}"
        cells = [r["run"], r["model"], r["bptt"], r["hidden"], r["bs"], r["epochs"], r["seed"], acc,
                 f"{r['time']:.1f}s", r["status"]]
        title = f' title="{html.escape(r["error"])}"' if "error" in r else ""
        body.append(f"<tr{title}>" + "".join(f"<td{st}>{html.escape(str(c))}</td>"
                                             for st, c in zip(styles, cells, strict=True)) + "</tr>")
    if not body:
        body = [f'<tr><td colspan="{len(_RUN_COLUMNS)}"><i>no runs yet</i></td></tr>']
    return (f'<table class="rnnbook-runs" style="font-size:12px"><thead><tr>{head}</tr>'
            f"</thead><tbody>{''.join(body)}</tbody></table>")


def training_message(s: dict) -> str:
    """The status line while a run with the settings ``s`` trains."""
    return (f"Training {s['model']} (bptt {s['bptt']}, hidden {s['hidden']}, "
            f"bs {s['bs']}, {s['epochs']} epochs)...")


def finished_message(history: History, epochs: int, seconds: float) -> tuple[str, str]:
    """The status line (text and kind) after a run of ``epochs`` epochs: stopped or done."""
    if history.stopped:
        return f"Stopped after {len(history.rows)} complete epoch(s) of {epochs}.", "warn"
    n = f"{epochs} epoch" + ("s" if epochs != 1 else "")
    return (f"Done: accuracy {history.accuracy:.1%} after {n} "
            f"in {seconds:.1f} s on {history.device}.", "ok")


def failure_message(error: Exception) -> str:
    """The status line after a run that raised ``error``: the error and where it was raised."""
    last = traceback.extract_tb(error.__traceback__)[-1]
    return f"The run failed: {type(error).__name__}: {error}\n(at {last.filename}:{last.lineno})"


# --- the explorer: widgets, connected ------------------------------------------------------------

class Explorer:
    """The live explorer: pick a model, ``bptt``, hidden size, batch size and epochs; train;
    compare the runs. Display it in a notebook cell (``explorer()`` makes and returns one).

    Training goes through :func:`~rnnbook.experiments.train`, with the recipe's learning rate
    and schedule.
    The Train button trains in a background thread, so the Stop button is heard;
    ``run(block=True)`` trains in the calling thread (for scripts and tests).

    Attributes a script may read: ``runs`` (one dict per run: the columns of the table),
    ``history`` (the last run's :class:`~rnnbook.learner.History`), ``message`` (the text of
    the status line) and the widgets themselves (``model``, ``bptt``, ``hidden``, ``bs``,
    ``epochs``, ``seed``, ``train_button``, ``stop_button``, ``progress``, ``curves``, ...).
    """

    def __init__(self, data: HumanNumbers | None = None, device=None, model: str = "gru2",
                 bptt: int = 20, hidden: int = 64, bs: int = 64, epochs: int = 3, seed: int = 0):
        self.device = check_settings(data, device, model, bptt, hidden, bs, epochs, seed)
        self.data = data if data is not None else load_human_numbers()
        self.runs: list[dict] = []
        self.history: History | None = None
        self.histories: list[History] = []
        self.message = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = False
        self._current: dict = {}
        self._make_widgets(model, bptt, hidden, bs, epochs, seed)
        self.train_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())
        for w in (self.model, self.bptt, self.hidden, self.bs, self.epochs, self.seed):
            w.observe(self._changed, names="value")
        self._changed()
        self.table.value = runs_table_html(self.runs)

    def _make_widgets(self, model: str, bptt: int, hidden: int, bs: int, epochs: int, seed: int) -> None:
        self.model = widgets.Dropdown(options=[(f"{k}: {RECIPES[k].title}", k) for k in live_models()],
                                      value=model, description="model", style=_STYLE,
                                      layout=widgets.Layout(width="330px"))
        self.bptt = widgets.IntSlider(value=bptt, min=BPTT_RANGE[0], max=BPTT_RANGE[1],
                                      description="bptt", style=_STYLE, continuous_update=False)
        self.hidden = widgets.IntSlider(value=hidden, min=HIDDEN_RANGE[0], max=HIDDEN_RANGE[1], step=8,
                                        description="hidden", style=_STYLE, continuous_update=False)
        self.bs = widgets.Dropdown(options=list(BATCH_SIZES), value=bs, description="bs", style=_STYLE,
                                   layout=widgets.Layout(width="180px"))
        self.epochs = widgets.IntSlider(value=epochs, min=EPOCHS_RANGE[0], max=EPOCHS_RANGE[1],
                                        description="epochs", style=_STYLE, continuous_update=False)
        self.seed = widgets.BoundedIntText(value=seed, min=SEED_RANGE[0], max=SEED_RANGE[1],
                                           description="seed", style=_STYLE,
                                           layout=widgets.Layout(width="180px"))
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="warning", icon="stop",
                                          disabled=True)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="", style=_STYLE)
        self.status = widgets.HTML()
        self.recipe_info = widgets.HTML()
        self.curves = widgets.Image(format="png", value=curves_png(None))
        self.table = widgets.HTML()
        self.batches = widgets.HTML()
        controls = widgets.VBox([
            widgets.HBox([self.model, self.bs, self.seed]),
            widgets.HBox([self.bptt, self.hidden, self.epochs]),
            self.recipe_info,
            widgets.HBox([self.train_button, self.stop_button, self.progress]),
            self.status,
        ])
        train_tab = widgets.VBox([controls, self.curves, self.table])
        batches_tab = widgets.VBox([
            widgets.HTML("How the chosen <code>bs</code> and <code>bptt</code> cut the validation "
                         "stream into batches (the first rows of x1, x2, x3):"),
            self.batches])
        self.widget = widgets.Tab(children=[train_tab, batches_tab], titles=("Train", "Batches"))

    # --- display
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # --- state
    def settings(self) -> dict:
        """The settings a run would use now."""
        return {"model": self.model.value, "bptt": self.bptt.value, "hidden": self.hidden.value,
                "bs": self.bs.value, "epochs": self.epochs.value, "seed": self.seed.value}

    def problems(self) -> list[str]:
        """Why the current settings cannot be trained (empty when they can)."""
        return loader_problems(self.data, self.bs.value, self.bptt.value)

    @property
    def running(self) -> bool:
        """Whether a run is in progress."""
        return self._busy

    def _say(self, text: str, kind: str = "info") -> None:
        self.message = text
        self.status.value = status_html(text, kind)

    def _changed(self, change=None) -> None:
        self.recipe_info.value = recipe_html(self.model.value)
        self.batches.value = batches_html(self.data, self.bs.value, self.bptt.value)
        if self._busy:
            return
        problems = self.problems()
        self.train_button.disabled = bool(problems)
        if problems:
            self._say("Cannot train with these settings: " + "; ".join(problems), "warn")
        elif change is not None or not self.message:
            self._say("Ready: press Train.")

    # --- running
    def run(self, block: bool = False) -> dict | None:
        """Train with the current settings. Refuses (with a message, returning ``None``) when
        the settings make no sense or a run is in progress. With ``block=True`` trains here
        and returns the run's row of the table; otherwise trains in a background thread."""
        checks.boolean("block", block)
        if self._busy:
            self._say("A run is in progress: wait for it, or press Stop.", "warn")
            return None
        problems = self.problems()
        if problems:
            self._say("Cannot train with these settings: " + "; ".join(problems), "warn")
            return None
        settings = self.settings()
        self._stop.clear()
        self._busy = True
        self.train_button.disabled, self.stop_button.disabled = True, False
        self._say(training_message(settings))
        if block:
            return self._run(settings)
        self._thread = threading.Thread(target=self._run, args=(settings,), daemon=True)
        self._thread.start()
        return None

    def stop(self) -> None:
        """Ask the run in progress to stop after its current batch."""
        if self._busy:
            self._stop.set()
            self._say("Stopping after this batch...", "warn")

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background run to finish."""
        if timeout is not None:
            timeout = checks.non_negative_number("timeout", timeout)
        if self._thread is not None:
            self._thread.join(timeout)

    def _epoch_done(self, history: History) -> None:
        self.history = history
        self._draw(history)

    def _draw(self, history: History | None) -> None:
        s = self._current
        title = f"{s['model']}, bptt {s['bptt']}, hidden {s['hidden']}, bs {s['bs']}"
        self.curves.value = curves_png(history, self.histories[-5:], title=title, epochs=s["epochs"])

    def _run(self, s: dict) -> dict:
        self._current = s
        start = time.perf_counter()
        row = {"run": len(self.runs) + 1, **s, "accuracy": None, "time": 0.0, "status": "error"}
        try:
            self._draw(None)
            _, history = train(s["model"], seed=s["seed"], data=self.data, device=self.device,
                               reporter=WidgetReporter(self.progress, self._epoch_done),
                               should_stop=self._stop.is_set,
                               bptt=s["bptt"], hidden=s["hidden"], bs=s["bs"], epochs=s["epochs"])
            row["time"] = time.perf_counter() - start
            self.history = history
            row["accuracy"] = history.accuracy if history.rows else None
            row["status"] = "stopped" if history.stopped else "done"
            self.runs.append(row)
            self._draw(history)
            self.histories.append(history)
            self._say(*finished_message(history, s["epochs"], row["time"]))
        except Exception as e:  # shown in the widget; the explorer stays usable
            row["time"] = time.perf_counter() - start
            row["status"], row["error"] = "error", f"{type(e).__name__}: {e}"
            if row not in self.runs:
                self.runs.append(row)
            self._say(failure_message(e), "error")
        finally:
            self.table.value = runs_table_html(self.runs)
            self._busy = False
            self.stop_button.disabled = True
            self.train_button.disabled = bool(self.problems())
        return row


def explorer(data: HumanNumbers | None = None, device=None, **settings) -> Explorer:
    """A live :class:`Explorer` (needs a running kernel); display it by making it a cell's
    last expression. ``settings`` (``model``, ``bptt``, ``hidden``, ``bs``, ``epochs``,
    ``seed``) set the starting values."""
    checks.settings("explorer setting", settings, ("model", "bptt", "hidden", "bs", "epochs", "seed"))
    return Explorer(data=data, device=device, **settings)
