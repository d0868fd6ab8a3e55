"""Plots of training runs."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .learner import History

__all__ = ["plot_history", "plot_histories", "draw_history"]


def _smooth(values: Sequence[float], beta: float = 0.9) -> list[float]:
    """Exponential moving average with bias correction, as fastai smooths its loss."""
    out, avg = [], 0.0
    for i, v in enumerate(values, start=1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta**i))
    return out


def draw_history(ax_loss, ax_acc, history: History, train: dict, valid: dict, accuracy: dict) -> None:
    """Draw one run on two axes: the training loss of every batch (smoothed) and the validation
    loss of every epoch on ``ax_loss``, the validation accuracy of every epoch on ``ax_acc``.
    ``train``, ``valid`` and ``accuracy`` are matplotlib line options for the three curves."""
    if history.batch_losses:
        steps = [(j + 1) / history.batches_per_epoch for j in range(len(history.batch_losses))]
        ax_loss.plot(steps, _smooth(history.batch_losses), **train)
    epochs = [r["epoch"] + 1 for r in history.rows]
    ax_loss.plot(epochs, history.column("valid_loss"), "o-", ms=3, **valid)
    ax_acc.plot(epochs, history.column("accuracy"), "o-", ms=3, **accuracy)


def plot_history(history: History, title: str = "", figsize: tuple[float, float] = (9, 3.2)) -> Figure:
    """Two panels: training loss per batch (smoothed) with validation loss per epoch, and
    validation accuracy per epoch."""
    return plot_histories({title or "run": history}, figsize=figsize, legend=bool(title))


def plot_histories(histories: dict[str, History], figsize: tuple[float, float] = (9, 3.2),
                   legend: bool = True) -> Figure:
    """Several runs on the same two panels, one colour per run, labelled by the dict's keys."""
    if not histories:
        raise ValueError("plot_histories needs at least one history")
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
