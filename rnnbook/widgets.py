"""Widgets to feel what ``bptt`` and the hidden size do: live in a kernel, precomputed on the site.

Two families, for the two places a reader meets them:

- :class:`Explorer` (``explorer()``) needs a running kernel: sliders for ``bptt``, the hidden
  size, the batch size and the epochs, a model choice, and Train and Stop buttons. A run trains
  through the book's own :class:`~rnnbook.learner.Learner` (a :class:`WidgetReporter` drives the
  progress bar and the curves), and every run lands in a table, so settings can be compared. A
  second tab shows how ``bs`` and ``bptt`` cut the stream into batches.
- :func:`sweep` trains one model over a grid of ``bptt`` values and hidden sizes, and
  :func:`static_explorer` turns its results into widgets that need no kernel: the sliders pick
  one of the precomputed figures in the browser (``jslink`` from ``SelectionSlider.index`` to
  ``Stack.selected_index``), so they still respond on the static site.
"""

from __future__ import annotations

import base64
import html
import io
import struct
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import ipywidgets as widgets
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .data import HumanNumbers, LMLoader, load_human_numbers, show_batch
from .experiments import RECIPES, VALID_ROWS, get_recipe, train
from .learner import History, Reporter, SilentReporter
from .plotting import _smooth, draw_history

__all__ = [
    "BPTT_RANGE",
    "HIDDEN_RANGE",
    "BATCH_SIZES",
    "live_models",
    "batch_text",
    "WidgetReporter",
    "Explorer",
    "explorer",
    "SweepResults",
    "sweep",
    "curves_png",
    "setting_png",
    "heatmap_png",
    "setting_alt",
    "heatmap_alt",
    "static_explorer",
    "static_batches",
]

BPTT_RANGE = (2, 70)
"""The bounds of the live explorer's ``bptt`` slider."""
HIDDEN_RANGE = (8, 256)
"""The bounds of the live explorer's hidden-size slider (in steps of 8)."""
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512)
"""The batch sizes the live explorer offers."""


def live_models() -> list[str]:
    """The models whose window length is free: every recipe that predicts every token.

    (The three-token models of chapter 2 read exactly three tokens, so a ``bptt`` slider would
    mean nothing for them.)
    """
    return [k for k, r in RECIPES.items() if not getattr(r.make, "predicts_last", False)]


def batch_text(data: HumanNumbers, bs: int, bptt: int, n_batches: int = 3, rows: int = 4,
               width: int = 100) -> str:
    """How ``bs`` and ``bptt`` cut the validation stream: the loader, then the first ``rows``
    rows of the first ``n_batches`` batches (``x1``, ``x2``, ...), as in the lesson.

    Raises ``ValueError`` (from :class:`~rnnbook.data.LMLoader`) for settings that make no sense.
    """
    dl = LMLoader(data.valid, bs=bs, bptt=bptt)
    parts = [f"{dl!r}", f"each batch x is {bs} rows x {bptt} tokens; row i of x2 continues row i of x1"]
    for k, (x, _) in enumerate(dl):
        if k == n_batches:
            break
        parts += ["", f"x{k + 1}  ({x.shape[0]} x {x.shape[1]})", show_batch(x, data.vocab, rows, width)]
    return "\n".join(parts)


# --------------------------------------------------------------------------- figures

def _png(fig: Figure, dpi: int = 80) -> bytes:
    buf = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def curves_png(history: History | None, others: Sequence[History] = (), title: str = "",
               epochs: int | None = None, loss_max: float | None = None,
               figsize: tuple[float, float] = (6.6, 2.5), dpi: int = 80) -> bytes:
    """The curves of one run as PNG bytes: training loss (smoothed, per batch) and validation
    loss per epoch on the left, validation accuracy per epoch on the right.

    ``others`` are drawn in light grey on the accuracy panel, for comparison. Fixed ``epochs``
    and ``loss_max`` give every figure of a set the same axes. Uses matplotlib's object API (no
    pyplot), so it is safe to call from a training thread.
    """
    fig = Figure(figsize=figsize)
    ax_loss, ax_acc = fig.subplots(1, 2)
    for h in others:
        if h.rows:
            ax_acc.plot([r["epoch"] + 1 for r in h.rows], h.column("accuracy"), "-", color="0.8", lw=1)
    if history is not None:
        draw_history(ax_loss, ax_acc, history, train={"color": "C0", "lw": 1, "label": "train"},
                     valid={"color": "C1", "label": "valid"}, accuracy={"color": "C2", "lw": 2})
    if epochs is not None:
        for ax in (ax_loss, ax_acc):
            ax.set_xlim(0, epochs + 0.2)
    if loss_max is not None:
        ax_loss.set_ylim(0, loss_max)
    ax_loss.set(xlabel="epoch", title="loss")
    ax_acc.set(xlabel="epoch", title="validation accuracy", ylim=(0, 1.03))
    if history is not None and history.batch_losses:
        ax_loss.legend(fontsize=7, loc="upper right")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        ax.title.set_fontsize(9)
        ax.xaxis.label.set_fontsize(8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return _png(fig, dpi)


# --------------------------------------------------------------------------- the live explorer

class WidgetReporter(Reporter):
    """A :class:`~rnnbook.learner.Reporter` that drives widgets: the progress bar after
    every batch (at most every ``min_interval`` seconds) and ``on_epoch(history)`` after
    every epoch."""

    def __init__(self, progress: widgets.IntProgress,
                 on_epoch: Callable[[History], None] | None = None,
                 min_interval: float = 0.1):
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
        self.data = data if data is not None else load_human_numbers()
        self.device = device
        self.runs: list[dict] = []
        self.history: History | None = None
        self.histories: list[History] = []
        self.message = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = False
        self._current: dict = {}

        models = live_models()
        self.model = widgets.Dropdown(options=[(f"{k}: {RECIPES[k].title}", k) for k in models],
                                      value=model, description="model", style=_STYLE,
                                      layout=widgets.Layout(width="330px"))
        self.bptt = widgets.IntSlider(value=bptt, min=BPTT_RANGE[0], max=BPTT_RANGE[1],
                                      description="bptt", style=_STYLE, continuous_update=False)
        self.hidden = widgets.IntSlider(value=hidden, min=HIDDEN_RANGE[0], max=HIDDEN_RANGE[1], step=8,
                                        description="hidden", style=_STYLE, continuous_update=False)
        self.bs = widgets.Dropdown(options=list(BATCH_SIZES), value=bs, description="bs", style=_STYLE,
                                   layout=widgets.Layout(width="180px"))
        self.epochs = widgets.IntSlider(value=epochs, min=1, max=30, description="epochs", style=_STYLE,
                                        continuous_update=False)
        self.seed = widgets.BoundedIntText(value=seed, min=0, max=10**6, description="seed", style=_STYLE,
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

        self.train_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())
        for w in (self.model, self.bptt, self.hidden, self.bs, self.epochs, self.seed):
            w.observe(self._changed, names="value")

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
        self._changed()
        self._show_table()

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
        s = self.settings()
        out = []
        for name, stream, bs in (("training", self.data.train, s["bs"]),
                                 ("validation", self.data.valid, VALID_ROWS)):
            try:
                LMLoader(stream, bs=bs, bptt=s["bptt"])
            except ValueError as e:
                out.append(f"{name} stream: {e}")
        return out

    @property
    def running(self) -> bool:
        """Whether a run is in progress."""
        return self._busy

    def _say(self, text: str, kind: str = "info") -> None:
        self.message = text
        color = {"info": "#333", "ok": "#1a7f37", "warn": "#9a6700", "error": "#cf222e"}[kind]
        self.status.value = (f'<div class="rnnbook-status rnnbook-{kind}" style="color:{color};'
                             f'white-space:pre-wrap">{html.escape(text)}</div>')

    def _changed(self, change=None) -> None:
        r = get_recipe(self.model.value)
        self.recipe_info.value = (f"<small>{html.escape(r.title)}: peak learning rate {r.lr:g}, "
                                  f"weight decay {r.wd:g}, one cycle; the book trains it for "
                                  f"{r.epochs} epochs with bptt {r.bptt}, hidden {r.hidden}.</small>")
        s = self.settings()
        try:
            text = batch_text(self.data, s["bs"], s["bptt"])
        except ValueError as e:
            text = f"refused: {e}"
        self.batches.value = f"<pre style='font-size:12px;line-height:1.3'>{html.escape(text)}</pre>"
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
        self._say(f"Training {settings['model']} (bptt {settings['bptt']}, hidden {settings['hidden']}, "
                  f"bs {settings['bs']}, {settings['epochs']} epochs)...")
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
            reporter = WidgetReporter(self.progress, self._epoch_done)
            _, history = train(s["model"], seed=s["seed"], data=self.data, device=self.device,
                               reporter=reporter, should_stop=self._stop.is_set,
                               bptt=s["bptt"], hidden=s["hidden"], bs=s["bs"], epochs=s["epochs"])
            row["time"] = time.perf_counter() - start
            self.history = history
            row["accuracy"] = history.accuracy if history.rows else None
            row["status"] = "stopped" if history.stopped else "done"
            self.runs.append(row)
            self._draw(history)
            self.histories.append(history)
            if history.stopped:
                self._say(f"Stopped after {len(history.rows)} complete epoch(s) of {s['epochs']}.", "warn")
            else:
                epochs = f"{s['epochs']} epoch" + ("s" if s["epochs"] != 1 else "")
                self._say(f"Done: accuracy {history.accuracy:.1%} after {epochs} "
                          f"in {row['time']:.1f} s on {history.device}.", "ok")
        except Exception as e:  # shown in the widget; the explorer stays usable
            row["time"] = time.perf_counter() - start
            row["status"], row["error"] = "error", f"{type(e).__name__}: {e}"
            if row not in self.runs:
                self.runs.append(row)
            last = traceback.extract_tb(e.__traceback__)[-1]
            self._say(f"The run failed: {row['error']}\n(at {last.filename}:{last.lineno})", "error")
        finally:
            self._show_table()
            self._finish()
        return row

    def _finish(self) -> None:
        self._busy = False
        self.stop_button.disabled = True
        self.train_button.disabled = bool(self.problems())

    def _show_table(self) -> None:
        # aligned the same in every front end: text columns left, numbers right
        styles = [f' style="padding:2px 8px; text-align:{"left" if c in ("model", "status") else "right"}"'
                  for c in _RUN_COLUMNS]
        head = "".join(f"<th{st}>{c}</th>" for st, c in zip(styles, _RUN_COLUMNS, strict=True))
        body = []
        for r in reversed(self.runs):
            acc = "" if r["accuracy"] is None else f"{r['accuracy']:.3f}"
            cells = [r["run"], r["model"], r["bptt"], r["hidden"], r["bs"], r["epochs"], r["seed"], acc,
                     f"{r['time']:.1f}s", r["status"]]
            title = f' title="{html.escape(r["error"])}"' if "error" in r else ""
            body.append(f"<tr{title}>" + "".join(f"<td{st}>{html.escape(str(c))}</td>"
                                                 for st, c in zip(styles, cells, strict=True)) + "</tr>")
        if not body:
            body = [f'<tr><td colspan="{len(_RUN_COLUMNS)}"><i>no runs yet</i></td></tr>']
        self.table.value = (f'<table class="rnnbook-runs" style="font-size:12px"><thead><tr>{head}</tr>'
                            f"</thead><tbody>{''.join(body)}</tbody></table>")


def explorer(data: HumanNumbers | None = None, device=None, **settings) -> Explorer:
    """A live :class:`Explorer` (needs a running kernel); display it by making it a cell's
    last expression. ``settings`` (``model``, ``bptt``, ``hidden``, ``bs``, ``epochs``,
    ``seed``) set the starting values."""
    return Explorer(data=data, device=device, **settings)


# --------------------------------------------------------------------------- precomputed sweep

@dataclass
class SweepResults:
    """The runs of a :func:`sweep`: one :class:`~rnnbook.learner.History` per (bptt, hidden)."""

    model: str
    bptts: tuple[int, ...]
    hiddens: tuple[int, ...]
    epochs: int
    seed: int
    device: str
    bs: int = 64
    histories: dict[tuple[int, int], History] = field(default_factory=dict)
    seconds: dict[tuple[int, int], float] = field(default_factory=dict)

    def accuracy(self, bptt: int, hidden: int) -> float:
        """Final validation accuracy of one setting."""
        return self.histories[bptt, hidden].accuracy

    def grid(self) -> list[list[float]]:
        """Final accuracies, one row per bptt value, one column per hidden size."""
        return [[self.accuracy(b, h) for h in self.hiddens] for b in self.bptts]

    @property
    def total_seconds(self) -> float:
        """Wall-clock seconds of all the runs together."""
        return sum(self.seconds.values())

    def best(self) -> tuple[int, int, float]:
        """The (bptt, hidden, accuracy) of the most accurate setting."""
        b, h = max(self.histories, key=lambda k: self.histories[k].accuracy)
        return b, h, self.accuracy(b, h)

    def table(self, what: str = "accuracy") -> str:
        """The grid as text, one row per bptt value: final ``"accuracy"`` or ``"seconds"`` per run."""
        if what not in ("accuracy", "seconds"):
            raise ValueError(f"what must be 'accuracy' or 'seconds', got {what!r}")
        cell = (lambda b, h: f"{self.accuracy(b, h):.3f}") if what == "accuracy" else (
            lambda b, h: f"{self.seconds.get((b, h), float('nan')):.1f}")
        lines = ["bptt \\ hidden " + "".join(f"{h:>8}" for h in self.hiddens)]
        lines += [f"{b:>13} " + "".join(f"{cell(b, h):>8}" for h in self.hiddens) for b in self.bptts]
        return "\n".join(lines)

    def loss_max(self) -> float:
        """A common top for the loss axes of all the settings' figures."""
        values = [v for h in self.histories.values() for v in h.column("valid_loss")]
        values += [_smooth(h.batch_losses)[min(len(h.batch_losses) - 1, h.batches_per_epoch // 4)]
                   for h in self.histories.values() if h.batch_losses]
        return min(4.0, max(values)) * 1.05 if values else 4.0


def _check_grid(name: str, values: Sequence[int]) -> tuple[int, ...]:
    values = tuple(values)
    if not values or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values):
        raise ValueError(f"{name} must be a non-empty list of positive ints, got {values!r}")
    if len(set(values)) != len(values) or list(values) != sorted(values):
        raise ValueError(f"{name} must be increasing, without repeats, got {values!r}")
    return values


def sweep(model: str = "gru2", bptts: Sequence[int] = (5, 10, 20, 40),
          hiddens: Sequence[int] = (16, 32, 64, 128), epochs: int = 4, seed: int = 0,
          data: HumanNumbers | None = None, device=None, threads: int | None = 1,
          progress: Callable[[int, int, History], None] | None = None) -> SweepResults:
    """Train ``model`` once per (bptt, hidden) of the grid, each for ``epochs`` epochs
    from ``seed``, with :func:`~rnnbook.experiments.train` (the recipe's other settings
    unchanged).

    ``threads`` sets PyTorch's CPU threads during the sweep (restored afterwards;
    ``None`` leaves them alone). The grid's models are too small to gain from a second
    thread, and one thread keeps a busy machine from slowing the sweep down many times
    over (threads that wait for each other while other jobs hold the cores).
    ``progress(bptt, hidden, history)`` is called after each run.
    """
    recipe = get_recipe(model)
    bptts, hiddens = _check_grid("bptts", bptts), _check_grid("hiddens", hiddens)
    data = data if data is not None else load_human_numbers()
    for b in bptts:  # refuse a bad grid before any training
        LMLoader(data.valid, bs=VALID_ROWS, bptt=b)
    results = SweepResults(model, bptts, hiddens, epochs, seed, "", recipe.bs)
    saved_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        for b in bptts:
            for h in hiddens:
                start = time.perf_counter()
                learn, history = train(recipe, seed=seed, data=data, device=device,
                                       reporter=SilentReporter(), bptt=b, hidden=h,
                                       epochs=epochs)
                results.seconds[b, h] = time.perf_counter() - start
                results.histories[b, h] = history
                results.device = str(learn.device)
                if progress is not None:
                    progress(b, h, history)
    finally:
        torch.set_num_threads(saved_threads)
    return results


def _caption(results: SweepResults, bptt: int, hidden: int) -> str:
    """Two lines of HTML: the setting and its accuracy, then how it was trained."""
    h = results.histories[bptt, hidden]
    seconds = results.seconds.get((bptt, hidden), 0.0)
    return (f"bptt {bptt}, hidden {hidden}: accuracy {h.accuracy:.1%}<br><small>after {results.epochs} "
            f"epochs, {h.batches_per_epoch} batches per epoch, {seconds:.1f} s</small>")


def setting_png(results: SweepResults, bptt: int, hidden: int, dpi: int = 72) -> bytes:
    """The precomputed figure of one setting: its curves, on axes shared by the whole grid, with
    the accuracy of the other hidden sizes at the same bptt in grey."""
    others = [results.histories[bptt, h] for h in results.hiddens if h != hidden]
    return curves_png(results.histories[bptt, hidden], others,
                      title=f"{results.model}, bptt {bptt}, hidden {hidden}",
                      epochs=results.epochs, loss_max=results.loss_max(), figsize=(5.3, 2.4), dpi=dpi)


def heatmap_png(results: SweepResults, dpi: int = 72) -> bytes:
    """Final accuracy over the grid as a heatmap (bptt down, hidden across), as PNG bytes."""
    grid = results.grid()
    fig = Figure(figsize=(3.0, 2.6))
    ax = fig.subplots()
    im = ax.imshow(grid, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for i, row in enumerate(grid):
        for j, acc in enumerate(row):
            ax.text(j, i, f"{acc:.2f}", ha="center", va="center", fontsize=8,
                    color="black" if acc > 0.6 else "white")
    ax.set_xticks(range(len(results.hiddens)), [str(h) for h in results.hiddens], fontsize=8)
    ax.set_yticks(range(len(results.bptts)), [str(b) for b in results.bptts], fontsize=8)
    ax.set_xlabel("hidden size", fontsize=8)
    ax.set_ylabel("bptt", fontsize=8)
    ax.set_title(f"accuracy after {results.epochs} epochs", fontsize=9)
    cbar = fig.colorbar(im, ax=ax, fraction=0.05)
    cbar.ax.tick_params(labelsize=7)
    fig.tight_layout()
    return _png(fig, dpi)


def setting_alt(results: SweepResults, bptt: int, hidden: int) -> str:
    """The alt text of :func:`setting_png`: what its figure shows, in words."""
    h = results.histories[bptt, hidden]
    valid = h.column("valid_loss")
    end = f", ending at a validation loss of {valid[-1]:.2f}" if valid else ""
    return (f"Training curves of {results.model} with bptt {bptt} and hidden size {hidden} over "
            f"{results.epochs} epochs. Left: training loss per batch (smoothed) and validation "
            f"loss per epoch{end}. Right: validation accuracy per epoch, ending at "
            f"{h.accuracy:.1%}, with the other hidden sizes at bptt {bptt} in light grey.")


def heatmap_alt(results: SweepResults) -> str:
    """The alt text of :func:`heatmap_png`: what its figure shows, in words."""
    grid = results.grid()
    (lo, lo_b, lo_h), (hi, hi_b, hi_h) = (
        f((acc, b, h) for b, row in zip(results.bptts, grid, strict=True)
          for h, acc in zip(results.hiddens, row, strict=True)) for f in (min, max))
    return (f"Heatmap of the final validation accuracy after {results.epochs} epochs, bptt "
            f"{', '.join(map(str, results.bptts))} down, hidden size "
            f"{', '.join(map(str, results.hiddens))} across. Lowest {lo:.1%} (bptt {lo_b}, hidden "
            f"{lo_h}), highest {hi:.1%} (bptt {hi_b}, hidden {hi_h}).")


def _image(png: bytes, alt: str, classes: Sequence[str] = ()) -> widgets.HTML:
    """A PNG with alt text, shown at its own size: an ``<img>`` in an HTML widget (the Image
    widget has no alt text, so a screen reader would meet a nameless image)."""
    width, height = struct.unpack(">II", png[16:24])
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    img = (f'<img src="{src}" alt="{html.escape(alt)}" width="{width}" height="{height}" '
           f'class="{" ".join(classes)}">')
    return widgets.HTML(img, layout=widgets.Layout(width=f"{width}px", height=f"{height}px", flex="none"))


def _selection_slider(name: str, values: Sequence[int], value: int) -> widgets.SelectionSlider:
    return widgets.SelectionSlider(options=[(str(v), v) for v in values], value=value, description=name,
                                   continuous_update=True, style={"description_width": "50px"},
                                   layout=widgets.Layout(width="270px"))


def static_explorer(results: SweepResults, bptt: int | None = None, hidden: int | None = None
                    ) -> widgets.Widget:
    """Widgets that show the precomputed results of a :func:`sweep` and need no kernel.

    Two ``SelectionSlider`` s (bptt, hidden) pick one figure: an outer ``Stack`` holds one inner
    ``Stack`` per bptt value, each inner ``Stack`` one figure per hidden size; ``jslink`` ties
    the bptt slider's ``index`` to the outer ``selected_index`` and the hidden slider's to every
    inner one, so the browser does the picking. A heatmap of the final accuracies sits beside it.
    The returned box's ``links`` attribute lists the ``jslink`` s.
    """
    bptt = results.bptts[len(results.bptts) // 2] if bptt is None else bptt
    hidden = results.hiddens[len(results.hiddens) // 2] if hidden is None else hidden
    bptt_slider = _selection_slider("bptt", results.bptts, bptt)
    hidden_slider = _selection_slider("hidden", results.hiddens, hidden)
    inner_stacks, links = [], []
    for b in results.bptts:
        pages = []
        for h in results.hiddens:
            caption = widgets.HTML(f'<span class="rnnbook-setting">{_caption(results, b, h)}</span>')
            image = _image(setting_png(results, b, h), setting_alt(results, b, h),
                           ("rnnbook-figure", f"rnnbook-bptt-{b}-hidden-{h}"))
            pages.append(widgets.VBox([caption, image]))
        inner = widgets.Stack(pages, selected_index=hidden_slider.index)
        links.append(widgets.jslink((hidden_slider, "index"), (inner, "selected_index")))
        inner_stacks.append(inner)
    outer = widgets.Stack(inner_stacks, selected_index=bptt_slider.index)
    links.append(widgets.jslink((bptt_slider, "index"), (outer, "selected_index")))
    heatmap = _image(heatmap_png(results), heatmap_alt(results), ("rnnbook-heatmap",))
    note = widgets.HTML(
        f"<small>Precomputed when this page was built: {html.escape(results.model)}, "
        f"{len(results.bptts)} x {len(results.hiddens)} settings, {results.epochs} epochs each, "
        f"seed {results.seed}, bs {results.bs}, on {html.escape(results.device)}. The sliders only "
        f"choose among these runs.</small>")
    figures = widgets.HBox([outer, heatmap],
                           layout=widgets.Layout(flex_flow="row wrap", align_items="flex-end"))
    # the sliders wrap, one under the other, on a screen too narrow for both side by side
    sliders = widgets.HBox([bptt_slider, hidden_slider], layout=widgets.Layout(flex_flow="row wrap"))
    box = widgets.VBox([sliders, figures, note])
    box.add_class("rnnbook-static-explorer")
    box.links = links  # the browser-side links, for scripts that want to check them
    return box


def static_batches(data: HumanNumbers, bptts: Sequence[int] = (3, 5, 10, 20, 70), bs: int = 64,
                   rows: int = 4, width: int = 76) -> widgets.Widget:
    """The batch view without a kernel: a bptt slider over ``bptts`` choosing among precomputed
    texts of :func:`batch_text` (a ``Stack`` of ``<pre>`` blocks, linked in the browser)."""
    bptts = _check_grid("bptts", bptts)
    slider = _selection_slider("bptt", bptts, bptts[len(bptts) // 2])
    pages = [widgets.HTML(f"<pre style='font-size:12px;line-height:1.3'>"
                          f"{html.escape(batch_text(data, bs, b, rows=rows, width=width))}</pre>")
             for b in bptts]
    stack = widgets.Stack(pages, selected_index=slider.index)
    widgets.jslink((slider, "index"), (stack, "selected_index"))
    box = widgets.VBox([slider, stack])
    box.add_class("rnnbook-static-batches")
    return box
