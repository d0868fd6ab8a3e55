"""Benchmark: cost against sequence length of a GRU, a minGRU scan and attention.

The measurement of the chapter "RNNs today" (``rnnbook.lengths.length_costs``): forward and
backward time per token of one layer of each kind, width 64, as the sequence grows from 16 to
4,096 tokens (or ``--lengths``):

- ``gru``: ``nn.GRU`` (cuDNN on a GPU), one step after another;
- ``mingru``: ``rnnbook.modern.MinGRULayer`` with its parallel scan (log2 T rounds);
- ``attention``: ``rnnbook.modern.Attention``, 4 heads, causal
  (``scaled_dot_product_attention``).

The chapter runs it on the CPU while the book builds; this script runs it where you like,
on a GPU by default when there is one, and writes ``length-costs-<device>.json`` (the rows,
the device, versions and date) and ``length-costs-<device>.png`` (the figure of the
chapter) into ``--out``. Run::

    python benchmarks/bench_length.py                       # a GPU if there is one
    python benchmarks/bench_length.py --device cpu --batch 1 --out /tmp/bench
    python benchmarks/bench_length.py --lengths 16,64,256,1024,4096,16384 --batch 16
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
from pathlib import Path

import torch


def _lengths(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive ints, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive ints, got {text!r}")
    return values


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive int, got {text!r}")
    return value


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU's architecture and thread count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", help="cpu or cuda (default: cuda if there is a GPU, else cpu)")
    parser.add_argument("--lengths", type=_lengths, default=[16, 64, 256, 1024, 4096],
                        help="comma-separated sequence lengths (default 16,64,256,1024,4096)")
    parser.add_argument("--batch", type=_positive, default=None,
                        help="sequences per call (default 8 on a GPU, 1 on the CPU)")
    parser.add_argument("--repeats", type=_positive, default=5, help="timed runs per length (default 5)")
    parser.add_argument("--budget", type=float, default=2.0,
                        help="stop repeating a length once its runs took this many seconds (default 2)")
    parser.add_argument("--threads", type=_positive, default=1,
                        help="CPU threads for PyTorch (default 1: on a small shared machine more "
                             "threads wait for each other)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"),
                        help="folder for the JSON and the figure (default benchmarks/results)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda, but this torch sees no GPU")
    batch = args.batch or (8 if device.type == "cuda" else 1)

    import matplotlib

    matplotlib.use("Agg")
    from rnnbook.lengths import length_costs, plot_length_costs

    rows = length_costs(args.lengths, batch=batch, repeats=args.repeats, device=device,
                        budget=args.budget)
    name = device_name(device)
    first = {r["mixer"]: r["per_token"] for r in rows if r["length"] == args.lengths[0]}
    print(f"{device} ({name}), batch {batch}, width 64; time per token, and relative to "
          f"{args.lengths[0]} tokens")
    print(f"{'tokens':>7} " + " ".join(f"{k + ' µs':>13} {'×':>6}" for k in first))
    for n in args.lengths:
        at = {r["mixer"]: r for r in rows if r["length"] == n}
        print(f"{n:>7} " + " ".join(f"{1e6 * at[k]['per_token']:>13.3f} "
                                     f"{at[k]['per_token'] / first[k]:>6.2f}" for k in first))
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"length-costs-{device.type}"
    record = {"device": str(device), "device_name": name, "batch": batch, "width": 64,
              "rows": rows, "torch": torch.__version__, "python": platform.python_version(),
              "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])])}
    stem.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    fig = plot_length_costs(rows, title=f"forward + backward, one layer, width 64, {name}")
    fig.savefig(stem.with_suffix(".png"), dpi=120)
    print(f"wrote {stem}.json and {stem}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
