"""The precomputed sweep (chapter "Widgets"): what ``bptt`` and the hidden size do, on the
static site, with no kernel.

:func:`sweep` trains one model over a grid of ``bptt`` values and hidden sizes, and
:func:`static_explorer` turns its results into widgets that need no kernel: the sliders pick
one of the precomputed figures in the browser (``jslink`` from ``SelectionSlider.index`` to
``Stack.selected_index``), so they still respond on the static site. :func:`static_batches`
does the same for the batch view.
"""

from __future__ import annotations

import base64
import html
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import ipywidgets as widgets
import torch

from . import checks
from .data import HumanNumbers, LMLoader, batch_text, load_human_numbers
from .experiments import train_runs
from .learner import History
from .plotting import curves_png, heatmap_png, smooth
from .recipes import get_recipe
from .yardstick import VALID_ROWS

__all__ = ["SweepResults", "sweep", "setting_png", "setting_heatmap_png", "setting_alt", "heatmap_alt",
           "static_explorer", "static_batches"]


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

    def __post_init__(self) -> None:
        checks.text("model", self.model, empty=False)
        self.bptts = checks.increasing_ints("bptts", self.bptts)
        self.hiddens = checks.increasing_ints("hiddens", self.hiddens)
        checks.positive_int("epochs", self.epochs)
        checks.non_negative_int("seed", self.seed, at_most=checks.MAX_SEED)
        checks.text("device", self.device)
        checks.positive_int("bs", self.bs)
        checks.instance("histories", self.histories, dict, "a dict from (bptt, hidden) to History")
        checks.instance("seconds", self.seconds, dict, "a dict from (bptt, hidden) to seconds")

    def accuracy(self, bptt: int, hidden: int) -> float:
        """Final validation accuracy of one setting."""
        self._setting(bptt, hidden)
        return self.histories[bptt, hidden].accuracy

    def _setting(self, bptt: int, hidden: int) -> None:
        """Refuse a (bptt, hidden) that is not on the grid."""
        checks.one_of("bptt", bptt, self.bptts, what="one of the grid's")
        checks.one_of("hidden", hidden, self.hiddens, what="one of the grid's")
        if (bptt, hidden) not in self.histories:
            raise ValueError(f"bptt={bptt}, hidden={hidden} was not trained in this sweep")

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
        checks.one_of("what", what, ("accuracy", "seconds"))
        cell = (lambda b, h: f"{self.accuracy(b, h):.3f}") if what == "accuracy" else (
            lambda b, h: f"{self.seconds.get((b, h), float('nan')):.1f}")
        lines = ["bptt \\ hidden " + "".join(f"{h:>8}" for h in self.hiddens)]
        lines += [f"{b:>13} " + "".join(f"{cell(b, h):>8}" for h in self.hiddens) for b in self.bptts]
        return "\n".join(lines)

    def loss_max(self) -> float:
        """A common top for the loss axes of all the settings' figures."""
        values = [v for h in self.histories.values() for v in h.column("valid_loss")]
        values += [smooth(h.batch_losses)[min(len(h.batch_losses) - 1, h.batches_per_epoch // 4)]
                   for h in self.histories.values() if h.batch_losses]
        return min(4.0, max(values)) * 1.05 if values else 4.0


def sweep(model: str = "gru2", bptts: Sequence[int] = (5, 10, 20, 40),
          hiddens: Sequence[int] = (16, 32, 64, 128), epochs: int = 4, seed: int = 0,
          data: HumanNumbers | None = None, device=None, threads: int | None = 1,
          progress: Callable[[int, int, History], None] | None = None,
          workers: int = 1) -> SweepResults:
    """Train ``model`` once per (bptt, hidden) of the grid, each for ``epochs`` epochs
    from ``seed``, with :func:`~rnnbook.experiments.train` (the recipe's other settings
    unchanged).

    ``threads`` sets PyTorch's CPU threads during the sweep (restored afterwards;
    ``None`` leaves them alone). The grid's models are too small to gain from a second
    thread, and one thread keeps a busy machine from slowing the sweep down many times
    over (threads that wait for each other while other jobs hold the cores).
    ``progress(bptt, hidden, history)`` is called after each run. ``workers > 1`` trains
    that many settings at once, in worker processes of one thread each
    (:func:`~rnnbook.parallel.run_jobs`); the results are the same.
    """
    recipe = get_recipe(checks.text("model", model))
    bptts = checks.increasing_ints("bptts", bptts)
    hiddens = checks.increasing_ints("hiddens", hiddens, at_most=checks.MAX_UNITS)
    epochs = checks.positive_int("epochs", epochs)
    seed = checks.non_negative_int("seed", seed, at_most=checks.MAX_SEED)
    if data is not None:
        checks.instance("data", data, HumanNumbers, "a HumanNumbers or None")
    device = checks.device("device", device)
    if threads is not None:
        threads = checks.positive_int("threads", threads, at_most=checks.MAX_THREADS)
    checks.function("progress", progress, none=True)
    workers = checks.positive_int("workers", workers)
    data = data if data is not None else load_human_numbers()
    for b in bptts:  # refuse a bad grid before any training
        LMLoader(data.valid, bs=VALID_ROWS, bptt=b)
    results = SweepResults(model, bptts, hiddens, epochs, seed, "", recipe.bs)
    saved_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    settings = {(b, h): recipe.with_(bptt=b, hidden=h, epochs=epochs)
                for b in bptts for h in hiddens}
    grid = list(settings)

    def done(i: int, history: History) -> None:
        b, h = grid[i]
        results.seconds[b, h] = sum(r["time"] for r in history.rows)
        results.histories[b, h] = history
        results.device = history.device
        if progress is not None:
            progress(b, h, history)

    try:
        train_runs([(r, seed) for r in settings.values()], device, workers, data, done)
    finally:
        torch.set_num_threads(saved_threads)
    results.histories = {k: results.histories[k] for k in settings}  # the grid's order
    return results


def _results(results: object) -> SweepResults:
    return checks.instance("results", results, SweepResults, "a SweepResults (what sweep() returns)")


def _caption(results: SweepResults, bptt: int, hidden: int) -> str:
    """Two lines of HTML: the setting and its accuracy, then how it was trained."""
    results._setting(bptt, hidden)
    h = results.histories[bptt, hidden]
    seconds = results.seconds.get((bptt, hidden), 0.0)
    return (f"bptt {bptt}, hidden {hidden}: accuracy {h.accuracy:.1%}<br><small>after {results.epochs} "
            f"epochs, {h.batches_per_epoch} batches per epoch, {seconds:.1f} s</small>")


def setting_png(results: SweepResults, bptt: int, hidden: int, dpi: int = 72) -> bytes:
    """The precomputed figure of one setting: its curves, on axes shared by the whole grid, with
    the accuracy of the other hidden sizes at the same bptt in grey."""
    _results(results)._setting(bptt, hidden)
    others = [results.histories[bptt, h] for h in results.hiddens if h != hidden]
    return curves_png(results.histories[bptt, hidden], others,
                      title=f"{results.model}, bptt {bptt}, hidden {hidden}",
                      epochs=results.epochs, loss_max=results.loss_max(), figsize=(5.3, 2.4), dpi=dpi)


def setting_heatmap_png(results: SweepResults, dpi: int = 72) -> bytes:
    """The final accuracy over the sweep's grid as a heatmap (bptt down, hidden across)."""
    _results(results)
    return heatmap_png(results.grid(), results.bptts, results.hiddens, results.epochs, dpi)


def setting_alt(results: SweepResults, bptt: int, hidden: int) -> str:
    """The alt text of :func:`setting_png`: what its figure shows, in words."""
    _results(results)._setting(bptt, hidden)
    h = results.histories[bptt, hidden]
    valid = h.column("valid_loss")
    end = f", ending at a validation loss of {valid[-1]:.2f}" if valid else ""
    return (f"Training curves of {results.model} with bptt {bptt} and hidden size {hidden} over "
            f"{results.epochs} epochs. Left: training loss per batch (smoothed) and validation "
            f"loss per epoch{end}. Right: validation accuracy per epoch, ending at "
            f"{h.accuracy:.1%}, with the other hidden sizes at bptt {bptt} in light grey.")


def heatmap_alt(results: SweepResults) -> str:
    """The alt text of :func:`setting_heatmap_png`: what its figure shows, in words."""
    _results(results)
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
    _results(results)
    bptt = results.bptts[len(results.bptts) // 2] if bptt is None else bptt
    hidden = results.hiddens[len(results.hiddens) // 2] if hidden is None else hidden
    results._setting(bptt, hidden)
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
    heatmap = _image(setting_heatmap_png(results), heatmap_alt(results), ("rnnbook-heatmap",))
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
    checks.instance("data", data, HumanNumbers, "a HumanNumbers (load_human_numbers())")
    bptts = checks.increasing_ints("bptts", bptts)
    for b in bptts:  # refuse a bad bptt or bs before drawing anything
        LMLoader(data.valid, bs=bs, bptt=b)
    rows, width = checks.positive_int("rows", rows), checks.integer("width", width, 4)
    slider = _selection_slider("bptt", bptts, bptts[len(bptts) // 2])
    pages = [widgets.HTML(f"<pre style='font-size:12px;line-height:1.3'>"
                          f"{html.escape(batch_text(data, bs, b, rows=rows, width=width))}</pre>")
             for b in bptts]
    stack = widgets.Stack(pages, selected_index=slider.index)
    widgets.jslink((slider, "index"), (stack, "selected_index"))
    box = widgets.VBox([slider, stack])
    box.add_class("rnnbook-static-batches")
    return box
