"""Command line: ``python -m rnnbook train``, ``table`` and ``ceiling``."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence

import torch

from . import checks
from .data import load_human_numbers
from .experiments import train
from .learner import TextReporter, default_device
from .recipes import RECIPES, get_recipe
from .table import MAX_SEEDS, check_row, compare, format_row
from .yardstick import VALID_ROWS, ceiling, loss_floor


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr (``prog: error: message``),
    with exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see --help)\n")


def _positive(kind, at_most: int | None = None, low: int = 1):
    """An argparse type: a positive ``kind`` (int or float, finite), at most ``at_most``;
    ``low=0`` allows zero too (the only other value of ``low``)."""
    what = ("a positive " if low else "a non-negative ") + kind.__name__ + (
        f" of at most {at_most}" if at_most is not None else "")

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not (math.isfinite(value) and (value > 0 if low else value >= 0)
                and (at_most is None or value <= at_most)):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value
    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m rnnbook",
                     description="Train the book's models on the human-numbers data.")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train one model and print its epoch table")
    t.add_argument("--model", default="gru2", choices=list(RECIPES), help="which model (default gru2)")
    t.add_argument("--bptt", type=_positive(int), help="tokens per window (default: the book's)")
    t.add_argument("--hidden", type=_positive(int), help="hidden size (default: the book's)")
    t.add_argument("--bs", type=_positive(int), help="batch size: parallel streams (default: the book's)")
    t.add_argument("--epochs", type=_positive(int), help="epochs (default: the book's)")
    t.add_argument("--lr", type=_positive(float), help="peak learning rate (default: the book's)")
    t.add_argument("--seed", type=_positive(int, checks.MAX_SEED, low=0), default=0,
                   help="random seed (default 0)")
    t.add_argument("--device", help="cpu, cuda or mps (default: the best there is)")
    t.add_argument("--threads", type=_positive(int, checks.MAX_THREADS), default=1,
                   help="CPU threads for PyTorch (default 1: the models are too small to gain from more)")

    tb = sub.add_parser("table", help="train several models over several seeds and compare")
    tb.add_argument("--models", default=",".join(RECIPES),
                    help=f"comma-separated model keys (default: all: {','.join(RECIPES)})")
    tb.add_argument("--seeds", type=_positive(int, MAX_SEEDS), default=3,
                    help="seeds 0..N-1 per model (default 3)")
    tb.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    tb.add_argument("--workers", type=_positive(int), default=1,
                    help="runs trained at once, one process and CPU thread each (default 1)")
    tb.add_argument("--device", help="cpu, cuda or mps (default: the best there is)")
    tb.add_argument("--threads", type=_positive(int, checks.MAX_THREADS), default=1,
                    help="CPU threads for PyTorch with one worker (default 1)")

    c = sub.add_parser("ceiling", help="the best accuracy any predictor can reach on the validation text")
    c.add_argument("--rows", type=_positive(int), default=VALID_ROWS,
                   help=f"the validation rows of the first yardstick (default {VALID_ROWS})")
    c.set_defaults(threads=1, device=None)
    for command in (t, tb, c):
        command.set_defaults(parser=command)  # errors found later are told in the command's name
    return parser


def format_table(rows: Sequence[dict]) -> str:
    """The rows of :func:`rnnbook.table.compare` as an aligned text table: accuracy at
    64 rows (mean ± sd), at one row, the ceiling at 64 rows and the gap to it in points, the
    perplexity at 64 rows and its floor, the numbers counted (mean) and a translation
    model's exact match."""
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence):
        checks.refuse("rows", rows, "a list of the dicts compare() returns", wrong_type=True)
    for i, r in enumerate(rows):
        check_row(f"rows[{i}]", r)
    lines = [f"{'model':<12} {'64 rows':>16} {'one row':>8} {'ceiling':>8} {'gap':>6} "
             f"{'perplexity':>10} {'floor':>6} {'counted':>7} {'exact':>6} {'reference':>10} "
             f"{'s/epoch':>8}  device"]
    for r in map(format_row, rows):
        lines.append(f"{r['model']:<12} {r['accuracy']:>16} {r['one_row']:>8} {r['ceiling']:>8} "
                     f"{r['gap']:>6} {r['perplexity']:>10} {r['perplexity_floor']:>6} "
                     f"{r['counted']:>7} {r['exact_match']:>6} {r['reference']:>10} "
                     f"{r['seconds_per_epoch']:>8}  {r['device']}")
    lines += ["64 rows: the validation text cut into 64 rows, each from an empty state; one row: read",
              "whole. ceiling: the best any predictor can do at 64 rows that sees what the model sees",
              "(its row from the start, or only its window); gap: points from the ceiling.",
              "perplexity: exp of the mean cross-entropy at 64 rows; floor: the lowest that predictor",
              "reaches. counted: numbers written right in a row, greedily, after five (mean).",
              "exact: numbers whose digits a translation model writes exactly (words to digits);",
              "its accuracy is of the digits it writes alone, on the numbers held out."]
    return "\n".join(lines)


def format_ceiling(rows: int = VALID_ROWS) -> str:
    """The ceiling of each yardstick, for a model that keeps its state through its row, and
    the loss floor of both on a line that starts with ``loss floor``."""
    rows = checks.positive_int("rows", rows)
    valid = load_human_numbers().valid
    lines = [f"{'yardstick':<14} {'ceiling':>8} {'tokens':>7} {'errors':>7} {'ties':>5}"]
    for n in (rows, 1):
        c = ceiling(valid, n)
        name = "one row" if n == 1 else f"{n} rows"
        errors = c["tokens"] * (1 - c["accuracy"])
        lines.append(f"{name:<14} {c['accuracy']:>8.4f} {c['tokens']:>7} {errors:>7.1f} {c['ties']:>5}")
    floors = []
    for n in (rows, 1):
        f = loss_floor(valid, n)
        name = "one row" if n == 1 else f"{n} rows"
        floors.append(f"{name} {f['loss']:.4f} (perplexity {f['perplexity']:.4f})")
    lines.append("loss floor     " + "; ".join(floors))
    lines += ["The best accuracy of a predictor that knows the validation text (8001..9999) but",
              "nothing of a row before its first token: at each token it predicts what most often",
              "follows what the row has shown so far (errors: expected; a k-way tie is right",
              "with probability 1/k). loss floor: its lowest mean cross-entropy in nats, when it",
              "gives how often each word follows the places that match the row so far."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status. A bad argument ends it with one line on
    stderr and exit status 2, as ``argparse`` does."""
    if argv is not None:
        argv = checks.strings("argv", argv, empty=True)
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # told in the command's name, not the program's, as every other error
        args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    torch.set_num_threads(args.threads)
    try:
        device = checks.device("--device", args.device)
        if args.command == "train":
            changes = {k: v for k, v in (("bptt", args.bptt), ("hidden", args.hidden), ("bs", args.bs),
                                         ("epochs", args.epochs), ("lr", args.lr)) if v is not None}
            recipe = get_recipe(args.model).with_(**changes)  # bad settings: refused before the header
            device = device or default_device()
            print(f"model {args.model}, seed {args.seed}, device {device}")
            _, history = train(recipe, seed=args.seed, device=device, reporter=TextReporter())
            print(f"final valid accuracy: {history.accuracy:.4f}")
        elif args.command == "ceiling":
            print(format_ceiling(args.rows))
        else:
            keys = [k.strip() for k in args.models.split(",") if k.strip()]
            unknown = [k for k in keys if k not in RECIPES]
            if not keys or unknown:
                what = (f"unknown model {unknown[0]!r} in {args.models!r}" if unknown
                        else f"no model key in {args.models!r}")
                args.parser.error(f"argument --models: {what}; the models are: {', '.join(RECIPES)}")

            def progress(key, seed, accuracy):
                print(f"  {key} seed {seed}: {accuracy:.4f}", file=sys.stderr, flush=True)

            rows = compare(keys, args.seeds, device, None if args.json else progress, args.workers)
            print(json.dumps(rows, indent=2) if args.json else format_table(rows))
    except ValueError as e:  # a WrongType too: it is a ValueError as well
        args.parser.error(str(e))
    return 0
