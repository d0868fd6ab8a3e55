"""Plots of training runs: in a notebook (:func:`plot_history`, :func:`plot_histories`) and as
PNG bytes for widgets and the static site (:func:`curves_png`, :func:`heatmap_png`, drawn with
matplotlib's object API, no pyplot, so they are safe in a training thread)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import checks
from .learner import History

__all__ = ["smooth", "draw_history", "plot_history", "plot_histories", "png_bytes", "curves_png",
           "heatmap_png", "MAX_DPI"]

MAX_DPI = 600
"""The largest resolution a figure is drawn at, in dots per inch."""


def _history(name: str, value: object) -> History:
    return checks.instance(name, value, History, "a History (what train() or fit_one_cycle() returns)")


def smooth(values: Sequence[float], beta: float = 0.9) -> list[float]:
    """Exponential moving average with bias correction, as fastai smooths its loss (chapter
    "The data" plots the first curves with it)."""
    beta = checks.number("beta", beta, 0.0, 1.0, open_high=True)
    values = checks.iterable("values", values, "a list of numbers")
    values = [checks.number(f"values[{i}]", v) for i, v in enumerate(values)]
    out, avg = [], 0.0
    for i, v in enumerate(values, start=1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta**i))
    return out


def draw_history(ax_loss, ax_acc, history: History, train: dict, valid: dict, accuracy: dict) -> None:
    """Draw one run on two axes: the training loss of every batch (smoothed) and the validation
    loss of every epoch on ``ax_loss``, the validation accuracy of every epoch on ``ax_acc``.
    ``train``, ``valid`` and ``accuracy`` are matplotlib line options for the three curves."""
    checks.instance("ax_loss", ax_loss, Axes, "a matplotlib Axes")
    checks.instance("ax_acc", ax_acc, Axes, "a matplotlib Axes")
    _history("history", history)
    for name, options in (("train", train), ("valid", valid), ("accuracy", accuracy)):
        checks.instance(name, options, dict, "a dict of matplotlib line options")
    if history.batch_losses:
        steps = [(j + 1) / history.batches_per_epoch for j in range(len(history.batch_losses))]
        ax_loss.plot(steps, smooth(history.batch_losses), **train)
    epochs = [r["epoch"] + 1 for r in history.rows]
    ax_loss.plot(epochs, history.column("valid_loss"), "o-", ms=3, **valid)
    ax_acc.plot(epochs, history.column("accuracy"), "o-", ms=3, **accuracy)


def plot_history(history: History, title: str = "", figsize: tuple[float, float] = (9, 3.2)) -> Figure:
    """Two panels: training loss per batch (smoothed) with validation loss per epoch, and
    validation accuracy per epoch."""
    _history("history", history)
    checks.text("title", title)
    return plot_histories({title or "run": history}, figsize=figsize, legend=bool(title))


def plot_histories(histories: dict[str, History], figsize: tuple[float, float] = (9, 3.2),
                   legend: bool = True) -> Figure:
    """Several runs on the same two panels, one colour per run, labelled by the dict's keys."""
    checks.instance("histories", histories, dict, "a dict from label to History")
    if not histories:
        raise ValueError("histories must hold at least one History, got {}")
    for label, h in histories.items():
        checks.text("histories' keys", label)
        _history(f"histories[{label!r}]", h)
    figsize, legend = checks.figsize("figsize", figsize), checks.boolean("legend", legend)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=figsize)
    for i, (label, h) in enumerate(histories.items()):
        color = f"C{i}"
        if not h.batch_losses:
            continue
        prefix = f"{label} " if legend else ""
        draw_history(ax_loss, ax_acc, h,
                     train={"color": color, "alpha": 0.6, "lw": 1, "label": prefix + "train"},
                     valid={"color": color, "label": prefix + "valid"},
                     accuracy={"color": color, "label": label})
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy", title="accuracy", ylim=(0, 1.03))
    ax_loss.legend(fontsize=8)
    if legend:
        ax_acc.legend(fontsize=8)
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def png_bytes(fig: Figure, dpi: int = 80) -> bytes:
    """``fig`` as PNG bytes."""
    checks.instance("fig", fig, Figure, "a matplotlib Figure")
    dpi = checks.positive_int("dpi", dpi, at_most=MAX_DPI)
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
    if history is not None:
        _history("history", history)
    others = checks.iterable("others", others, "a list of History")
    others = [_history(f"others[{i}]", h) for i, h in enumerate(others)]
    checks.text("title", title)
    if epochs is not None:
        checks.positive_int("epochs", epochs)
    if loss_max is not None:
        checks.positive_number("loss_max", loss_max)
    figsize, dpi = checks.figsize("figsize", figsize), checks.positive_int("dpi", dpi, at_most=MAX_DPI)
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
    return png_bytes(fig, dpi)


def heatmap_png(grid: Sequence[Sequence[float]], bptts: Sequence[int], hiddens: Sequence[int],
                epochs: int, dpi: int = 72) -> bytes:
    """Final accuracies (one row per bptt value, one column per hidden size) as a heatmap,
    bptt down and hidden across, as PNG bytes (chapter "Widgets")."""
    bptts, hiddens = checks.increasing_ints("bptts", bptts), checks.increasing_ints("hiddens", hiddens)
    if isinstance(grid, (str, bytes)) or not isinstance(grid, Sequence) or len(grid) != len(bptts):
        checks.refuse("grid", grid, f"a list of {len(bptts)} rows (one per bptt) of {len(hiddens)} "
                      "accuracies", wrong_type=not isinstance(grid, Sequence) or isinstance(grid, str))
    for i, row in enumerate(grid):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or len(row) != len(hiddens):
            checks.refuse(f"grid[{i}]", row, f"a list of {len(hiddens)} accuracies (one per hidden size)",
                          wrong_type=not isinstance(row, Sequence) or isinstance(row, str))
        for j, acc in enumerate(row):
            checks.number(f"grid[{i}][{j}]", acc, 0.0, 1.0)
    epochs, dpi = checks.positive_int("epochs", epochs), checks.positive_int("dpi", dpi, at_most=MAX_DPI)
    fig = Figure(figsize=(3.0, 2.6))
    ax = fig.subplots()
    im = ax.imshow(grid, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for i, row in enumerate(grid):
        for j, acc in enumerate(row):
            ax.text(j, i, f"{acc:.2f}", ha="center", va="center", fontsize=8,
                    color="black" if acc > 0.6 else "white")
    ax.set_xticks(range(len(hiddens)), [str(h) for h in hiddens], fontsize=8)
    ax.set_yticks(range(len(bptts)), [str(b) for b in bptts], fontsize=8)
    ax.set_xlabel("hidden size", fontsize=8)
    ax.set_ylabel("bptt", fontsize=8)
    ax.set_title(f"accuracy after {epochs} epochs", fontsize=9)
    cbar = fig.colorbar(im, ax=ax, fraction=0.05)
    cbar.ax.tick_params(labelsize=7)
    fig.tight_layout()
    return png_bytes(fig, dpi)
