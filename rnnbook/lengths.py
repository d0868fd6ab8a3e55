"""What a longer sequence costs each way of reading earlier positions (chapter "RNNs today").

:func:`length_costs` times one layer of ``nn.GRU`` (one step after another), of
:class:`~rnnbook.modern.MinGRULayer` (a parallel scan) and of
:class:`~rnnbook.modern.Attention` (every pair of positions at once) as the sequence grows;
:func:`plot_length_costs` draws the result. ``benchmarks/bench_length.py`` runs it on any
device.
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn

from . import checks
from .checks import MAX_UNITS, positive_int
from .modern import Attention, MinGRULayer

__all__ = ["MIXERS", "length_costs", "plot_length_costs"]

MIXERS = ("gru", "mingru", "attention")
"""The three ways for a position to learn about earlier ones that :func:`length_costs`
times."""


def _mixer(kind: str, n_hidden: int) -> nn.Module:
    if kind == "gru":
        return nn.GRU(n_hidden, n_hidden, batch_first=True)
    if kind == "mingru":
        return MinGRULayer(n_hidden, n_hidden)
    if kind == "attention":
        return Attention(n_hidden, 4)
    raise ValueError(f"unknown mixer {kind!r}; the mixers are {', '.join(MIXERS)}")


def length_costs(lengths=(16, 64, 256, 1024, 4096), batch: int = 1, n_hidden: int = 64,
                 repeats: int = 3, device: str | torch.device = "cpu",
                 mixers=MIXERS, budget: float = 0.5) -> list[dict]:
    """Forward-and-backward time per token of one layer of each mixer as the sequence
    grows: ``gru`` (``nn.GRU``, one step after another), ``mingru``
    (:class:`MinGRULayer` with :func:`parallel_scan`) and ``attention``
    (:class:`Attention`, 4 heads, causal).

    Each mixer runs once untimed (a warm-up), then each length up to ``repeats`` times,
    fewer once a run takes over ``budget`` seconds; one row each with ``mixer``,
    ``length``, ``seconds`` (the fastest run: other work on the machine only slows a run
    down), ``per_token`` (seconds / (batch * length)) and ``steps``: how many steps
    must run one after another (``length`` for the GRU, ``ceil(log2(length))`` rounds
    for the scan, 1 for attention)."""
    lengths = checks.increasing_ints("lengths", lengths, at_most=2**16)
    batch = positive_int("batch", batch, 1024)
    n_hidden = positive_int("n_hidden", n_hidden, MAX_UNITS)
    repeats = positive_int("repeats", repeats)
    device = checks.device("device", device, none=False)
    mixers = checks.strings("mixers", mixers)
    mixers = [checks.one_of("mixers", m, MIXERS) for m in mixers]
    budget = checks.positive_number("budget", budget)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    gen = torch.Generator().manual_seed(0)
    rows = []
    for kind in mixers:
        torch.manual_seed(0)
        layer = _mixer(kind, n_hidden).to(device)

        def run(n: int, layer: nn.Module = layer) -> float:
            x = torch.randn(batch, n, n_hidden, generator=gen).to(device)
            x.requires_grad_()
            sync()
            start = time.perf_counter()
            out = layer(x)
            out = out[0] if isinstance(out, tuple) else out  # nn.GRU: (output, h)
            out.sum().backward()
            sync()
            return time.perf_counter() - start

        run(lengths[0])  # warm-up
        for n in lengths:
            times = [run(n)]
            while len(times) < repeats and sum(times) < budget:
                times.append(run(n))
            seconds = min(times)
            steps = {"gru": n, "mingru": math.ceil(math.log2(n)) if n > 1 else 0,
                     "attention": 1}[kind]
            rows.append({"mixer": kind, "length": n, "seconds": seconds,
                         "per_token": seconds / (batch * n), "steps": steps})
    return rows


def plot_length_costs(rows: list[dict], title: str = ""):
    """The rows of :func:`length_costs` as a log-log plot: time per token against
    length, each mixer relative to its own time per token at the shortest length.
    Returns the figure."""
    import matplotlib.pyplot as plt

    keys = {"mixer", "length", "per_token"}
    rows = checks.iterable("rows", rows, "a list of rows of length_costs")
    if not rows or not all(isinstance(r, dict) and keys <= set(r) for r in rows):
        checks.refuse("rows", rows, "a list of rows of length_costs (dicts with "
                      "mixer, length, per_token)")
    title = checks.text("title", title)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for i, kind in enumerate(dict.fromkeys(r["mixer"] for r in rows)):
        mine = [r for r in rows if r["mixer"] == kind]
        base = mine[0]["per_token"]
        ax.plot([r["length"] for r in mine], [r["per_token"] / base for r in mine],
                marker="o", color=f"C{i}", label=kind)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("sequence length (tokens)")
    ax.set_ylabel("time per token\n(relative to the shortest)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
