"""Command line: ``python -m rnnbook train ...`` and ``python -m rnnbook table ...``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import torch

from .experiments import RECIPES, compare, train
from .learner import TextReporter, default_device


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        return value
    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rnnbook",
                                     description="Train the book's models on the human-numbers data.")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train one model and print its epoch table")
    t.add_argument("--model", default="gru2", choices=list(RECIPES), help="which model (default gru2)")
    t.add_argument("--bptt", type=_positive(int), help="tokens per window (default: the book's)")
    t.add_argument("--hidden", type=_positive(int), help="hidden size (default: the book's)")
    t.add_argument("--bs", type=_positive(int), help="batch size: parallel streams (default: the book's)")
    t.add_argument("--epochs", type=_positive(int), help="epochs (default: the book's)")
    t.add_argument("--lr", type=_positive(float), help="peak learning rate (default: the book's)")
    t.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    t.add_argument("--device", help="cpu, cuda or mps (default: the best there is)")
    t.add_argument("--threads", type=_positive(int), default=1,
                   help="CPU threads for PyTorch (default 1: the models are too small to gain from more)")

    tb = sub.add_parser("table", help="train several models over several seeds and compare")
    tb.add_argument("--models", default=",".join(RECIPES),
                    help=f"comma-separated model keys (default: all: {','.join(RECIPES)})")
    tb.add_argument("--seeds", type=_positive(int), default=3, help="seeds 0..N-1 per model (default 3)")
    tb.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    tb.add_argument("--workers", type=_positive(int), default=1,
                    help="runs trained at once, one process and CPU thread each (default 1)")
    tb.add_argument("--device", help="cpu, cuda or mps (default: the best there is)")
    tb.add_argument("--threads", type=_positive(int), default=1,
                    help="CPU threads for PyTorch with one worker (default 1)")
    return parser


def format_table(rows: Sequence[dict]) -> str:
    """The rows of :func:`rnnbook.experiments.compare` as an aligned text table."""
    lines = [f"{'model':<12} {'accuracy':>16} {'reference':>10} {'s/epoch':>8}  device"]
    for r in rows:
        ref = f"{r['reference']:.3f}" if r["reference"] is not None else "-"
        acc = f"{r['accuracy']:.3f} ± {r['accuracy_sd']:.3f}"
        lines.append(f"{r['model']:<12} {acc:>16} {ref:>10} {r['seconds_per_epoch']:>8.2f}  {r['device']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        if args.command == "train":
            changes = {k: v for k, v in (("bptt", args.bptt), ("hidden", args.hidden), ("bs", args.bs),
                                         ("epochs", args.epochs), ("lr", args.lr)) if v is not None}
            device = args.device or default_device()
            print(f"model {args.model}, seed {args.seed}, device {device}")
            _, history = train(args.model, seed=args.seed, device=device,
                               reporter=TextReporter(), **changes)
            print(f"final valid accuracy: {history.accuracy:.4f}")
        else:
            keys = [k.strip() for k in args.models.split(",") if k.strip()]
            if not keys:
                parser.error("--models needs at least one model key")

            def progress(key, seed, accuracy):
                print(f"  {key} seed {seed}: {accuracy:.4f}", file=sys.stderr, flush=True)

            rows = compare(keys, args.seeds, args.device, None if args.json else progress, args.workers)
            print(json.dumps(rows, indent=2) if args.json else format_table(rows))
    except ValueError as e:
        parser.error(str(e))
    return 0
