"""Plots of training runs."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .learner import History

__all__ = ["plot_history", "plot_histories"]


def _smooth(values: Sequence[float], beta: float = 0.9) -> list[float]:
    """Exponential moving average with bias correction, as fastai smooths its loss."""
    out, avg = [], 0.0
    for i, v in enumerate(values, start=1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta**i))
    return out


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
        steps = [(j + 1) / h.batches_per_epoch for j in range(len(h.batch_losses))]
        ax_loss.plot(steps, _smooth(h.batch_losses), color=color, alpha=0.6, lw=1,
                     label=f"{label} train" if legend else "train")
        epochs = [r["epoch"] + 1 for r in h.rows]
        ax_loss.plot(epochs, h.column("valid_loss"), "o-", color=color, ms=3,
                     label=f"{label} valid" if legend else "valid")
        ax_acc.plot(epochs, h.column("accuracy"), "o-", color=color, ms=3, label=label)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy", title="accuracy", ylim=(0, 1.03))
    ax_loss.legend(fontsize=8)
    if legend:
        ax_acc.legend(fontsize=8)
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
