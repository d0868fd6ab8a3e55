"""A one-cycle trainer in plain PyTorch, with fastai's defaults and its epoch table.

``Learner(model, train_dl, valid_dl).fit_one_cycle(epochs, lr)`` trains with AdamW
(betas 0.9/0.99, eps 1e-5, weight decay 0.01 except on biases and batchnorm) under
``OneCycleLR`` (25% warm-up, cosine annealing, momentum cycled 0.95 -> 0.85 -> 0.95). Each
epoch adds one row (epoch, train_loss, valid_loss, perplexity, accuracy, time) to the table that is
shown as it trains: HTML in a notebook, text in a terminal, with the validation loss also
as a perplexity (its exponential). ``clip`` caps the gradient norm of each batch; the norm of
every batch is kept in :class:`History` either way.

The model contract
------------------
The trainer knows nothing of the model but this; a model you add to the book needs no more:

- ``forward(x)`` takes a (B, T) batch of token ids and returns logits: (B, T, V) for a model
  that predicts every token, (B, V) for one that predicts only the last;
- ``predicts_last = True`` (a class attribute; default ``False``): the model is scored on the
  last target of each row only;
- ``reset()`` (optional): called at the start of every epoch and before every validation;
  a stateful model empties its state there (and detaches it between batches itself);
- ``extra_loss`` (optional): a scalar tensor that ``forward`` leaves on the model in
  training mode, added to the loss that is backpropagated but not to the reported loss
  (the regularised LSTM's activation penalties).

Batchnorm layers and parameters named ``bias*`` get no weight decay.
"""

from __future__ import annotations

import functools
import html
import math
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .checks import door, maybe, non_negative_number, positive_int, positive_number

__all__ = [
    "default_device",
    "set_seed",
    "History",
    "Reporter",
    "TextReporter",
    "NotebookReporter",
    "SilentReporter",
    "default_reporter",
    "Learner",
    "loss_and_correct",
]

COLUMNS = ("epoch", "train_loss", "valid_loss", "perplexity", "accuracy", "time")
ADAM_BETAS = (0.9, 0.99)
"""AdamW's betas in :meth:`Learner.fit_one_cycle` (fastai's; beta1 is then cycled)."""
ADAM_EPS = 1e-5
"""AdamW's eps in :meth:`Learner.fit_one_cycle`."""
CYCLE_MOMENTUM = (0.95, 0.85)
"""beta1 at the one cycle's ends and at its peak: 0.95 -> 0.85 -> 0.95."""


def default_device() -> torch.device:
    """CUDA if there is a GPU, else Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@door(seed=functools.partial(checks.non_negative_int, at_most=checks.MAX_SEED))
def set_seed(seed: int) -> None:
    """Seed Python's and PyTorch's random generators (on every device)."""
    random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class History:
    """What a run recorded: one row per epoch, and the loss, learning rate and gradient norm
    (before any clipping) of every batch."""

    rows: list[dict] = field(default_factory=list)
    batch_losses: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    clip: float | None = None
    device: str = ""
    batches_per_epoch: int = 0
    stopped: bool = False

    def __post_init__(self) -> None:
        for name in ("rows", "batch_losses", "lrs"):
            checks.instance(name, getattr(self, name), list, "a list")
        checks.text("device", self.device)
        checks.non_negative_int("batches_per_epoch", self.batches_per_epoch)
        checks.boolean("stopped", self.stopped)

    @property
    def accuracy(self) -> float:
        """The validation accuracy after the last epoch."""
        if not self.rows:
            raise ValueError("no epoch has finished yet")
        return self.rows[-1]["accuracy"]

    @property
    def perplexity(self) -> float:
        """The validation perplexity after the last epoch: exp of the mean cross-entropy
        (chapter "Results"). 1 is certainty; the vocabulary size is a uniform guess."""
        if not self.rows:
            raise ValueError("no epoch has finished yet")
        return self.rows[-1]["perplexity"]

    @property
    def seconds_per_epoch(self) -> float:
        """Median wall-clock seconds of an epoch (training and validation)."""
        if not self.rows:
            raise ValueError("no epoch has finished yet")
        times = sorted(r["time"] for r in self.rows)
        return times[len(times) // 2]

    def column(self, name: str) -> list[float]:
        """One column of the epoch table, e.g. ``history.column("valid_loss")``."""
        checks.one_of("name", name, COLUMNS, what="a column of the epoch table:")
        return [r[name] for r in self.rows]


def _format(row: dict) -> list[str]:
    return [str(row["epoch"]), f"{row['train_loss']:.6f}", f"{row['valid_loss']:.6f}",
            f"{row['perplexity']:.4f}", f"{row['accuracy']:.6f}", f"{row['time']:.1f}s"]


class Reporter:
    """Shows a run as it goes. Subclasses override the hooks they need."""

    def begin(self, epochs: int, n_batches: int) -> None:
        """Called once before the first batch."""

    def batch(self, epoch: int, i: int) -> None:
        """Called after batch ``i`` of epoch ``epoch`` (both from 0)."""

    def epoch(self, history: History) -> None:
        """Called after each epoch's validation; ``history.rows[-1]`` is the new row."""

    def end(self, history: History) -> None:
        """Called once at the end (also after an early stop)."""


class SilentReporter(Reporter):
    """Shows nothing."""


class TextReporter(Reporter):
    """The epoch table as text, with a progress bar (on stderr) while an epoch runs."""

    def __init__(self, file=None, bar: bool = True):
        if file is not None and not callable(getattr(file, "write", None)):
            checks.refuse("file", file, "a file open for writing (or None for stdout)", wrong_type=True)
        checks.boolean("bar", bar)
        self.file = file if file is not None else sys.stdout
        self.show_bar = bar and sys.stderr.isatty()

    def begin(self, epochs: int, n_batches: int) -> None:
        self.epochs, self.n_batches = epochs, n_batches
        print("  ".join(f"{c:>10}" for c in COLUMNS), file=self.file, flush=True)

    def batch(self, epoch: int, i: int) -> None:
        if self.show_bar:
            done = (i + 1) / self.n_batches
            bar = "#" * int(30 * done)
            print(f"\repoch {epoch + 1}/{self.epochs} [{bar:<30}] {i + 1}/{self.n_batches}",
                  end="", file=sys.stderr, flush=True)

    def epoch(self, history: History) -> None:
        if self.show_bar:
            print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)
        print("  ".join(f"{c:>10}" for c in _format(history.rows[-1])), file=self.file, flush=True)


class NotebookReporter(Reporter):
    """The epoch table as HTML in a notebook, with a progress bar, updated in place."""

    def __init__(self, min_interval: float = 0.25):
        min_interval = checks.non_negative_number("min_interval", min_interval)
        self.min_interval = min_interval

    def begin(self, epochs: int, n_batches: int) -> None:
        from IPython.display import HTML, display

        self.HTML = HTML
        self.epochs, self.n_batches, self.last = epochs, n_batches, 0.0
        self.rows: list[dict] = []
        self.handle = display(HTML(self._html(0, 0)), display_id=True)

    def _html(self, epoch: int | None, i: int) -> str:
        head = "".join(f"<th>{c}</th>" for c in COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in _format(r)) + "</tr>"
                       for r in self.rows)
        table = f'<table class="rnnbook-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        if epoch is None:
            return table
        total = self.epochs * self.n_batches
        done = epoch * self.n_batches + i
        bar = (f'<div><progress value="{done}" max="{total}" style="width:300px"></progress> '
               f"epoch {epoch + 1}/{self.epochs}</div>")
        return bar + table

    def batch(self, epoch: int, i: int) -> None:
        now = time.perf_counter()
        if now - self.last >= self.min_interval:
            self.last = now
            self.handle.update(self.HTML(self._html(epoch, i + 1)))

    def epoch(self, history: History) -> None:
        self.rows = list(history.rows)
        self.handle.update(self.HTML(self._html(len(self.rows) - 1, self.n_batches)))

    def end(self, history: History) -> None:
        self.rows = list(history.rows)
        self.handle.update(self.HTML(self._html(None, 0)))


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def default_reporter() -> Reporter:
    """An HTML table in a notebook, text elsewhere."""
    return NotebookReporter() if _in_notebook() else TextReporter()


def _scored(model: nn.Module, out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Predictions and targets as (n, vocab) and (n,): the last target of each row for a model
    with ``predicts_last = True``, every target otherwise."""
    if getattr(model, "predicts_last", False):
        return out, y[:, -1]
    return out.reshape(-1, out.shape[-1]), y.reshape(-1)


@door(model=functools.partial(checks.instance, types=nn.Module, what="an nn.Module"),
      out=functools.partial(checks.instance, types=torch.Tensor, what="a tensor of scores"),
      y=functools.partial(checks.instance, types=torch.Tensor, what="a tensor of token ids"))
def loss_and_correct(model: nn.Module, out: torch.Tensor, y: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Mean cross-entropy, number of correct predictions and number of scored tokens.

    A model with ``predicts_last = True`` is scored on the last target of each row only; a
    target of -100 (a translation's positions after its end) is not scored.
    """
    out, y = _scored(model, out, y)
    scored = y != -100  # cross_entropy's ignore_index
    return F.cross_entropy(out, y), ((out.argmax(-1) == y) & scored).sum(), int(scored.sum())


def _loader(name: str, dl: object) -> Iterable:
    """Refuse ``dl`` unless it is a sized iterable of batches, such as an ``LMLoader``."""
    allowed = "an LMLoader (or another sized iterable of (x, y) batches)"
    if not isinstance(dl, Iterable) or not hasattr(dl, "__len__") or isinstance(dl, (str, bytes)):
        checks.refuse(name, dl, allowed, wrong_type=True)
    if len(dl) == 0:
        checks.refuse(name, dl, allowed + " with at least one batch")
    first = next(iter(dl), None)
    if not (isinstance(first, (tuple, list)) and len(first) == 2
            and all(isinstance(t, torch.Tensor) for t in first)):
        checks.refuse(name, dl, allowed + " whose batches are (x, y) pairs of tensors", wrong_type=True)
    return dl


def param_groups(model: nn.Module, wd: float) -> list[dict]:
    """The AdamW parameter groups of :meth:`Learner.fit_one_cycle`: weight decay ``wd`` on
    weight matrices and embeddings, none on biases and batchnorm (chapter "Regularisation"
    discusses weight decay; ``sitecheck.train`` sets up the same optimiser to check the page's
    one-cycle schedule)."""
    decay, no_decay, seen = [], [], set()
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            if id(p) in seen or not p.requires_grad:
                continue
            seen.add(id(p))
            is_norm = isinstance(module, nn.modules.batchnorm._BatchNorm)
            (no_decay if is_norm or name.startswith("bias") else decay).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


class Learner:
    """A model, its training and validation batches, and the device they run on."""

    @door(model=functools.partial(checks.instance, types=nn.Module, what="an nn.Module"),
          train_dl=_loader, valid_dl=_loader, device=checks.device)
    def __init__(self, model: nn.Module, train_dl: Iterable, valid_dl: Iterable,
                 device: str | torch.device | None = None):
        device = torch.device(device) if device is not None else None
        self.device = device if device is not None else default_device()
        self.model = model.to(self.device)
        # loaders that can (LMLoader) move their data to the device once, not every batch
        self.train_dl, self.valid_dl = (dl.to(self.device) if hasattr(dl, "to") else dl
                                        for dl in (train_dl, valid_dl))

    def _reset(self) -> None:
        reset = getattr(self.model, "reset", None)
        if callable(reset):
            reset()

    def _batches(self, dl: Iterable):
        for x, y in dl:
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)

    @door(dl=maybe(_loader))
    @torch.no_grad()
    def validate(self, dl: Iterable | None = None) -> tuple[float, float]:
        """Loss and accuracy (averaged over scored tokens) on ``dl`` (default: the validation
        batches), from a reset state."""
        self.model.eval()
        self._reset()
        total_loss = torch.zeros((), device=self.device)
        total_correct = torch.zeros((), device=self.device, dtype=torch.long)
        count = 0
        for x, y in self._batches(self.valid_dl if dl is None else dl):
            loss, correct, n = loss_and_correct(self.model, self.model(x), y)
            total_loss += loss * n
            total_correct += correct
            count += n
        return (total_loss / count).item(), (total_correct.double() / count).item()

    @door(dl=maybe(_loader))
    @torch.no_grad()
    def predict(self, dl: Iterable | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Inputs, predictions and targets of every batch of ``dl`` (default: validation),
        each of shape (bs, tokens), with the batches joined along the time axis.

        For a last-token model the predictions and targets have one column per batch.
        """
        self.model.eval()
        self._reset()
        xs, preds, ys = [], [], []
        for x, y in self._batches(self.valid_dl if dl is None else dl):
            out = self.model(x).argmax(-1)
            if getattr(self.model, "predicts_last", False):
                out, y = out[:, None], y[:, -1:]
            xs.append(x.cpu()), preds.append(out.cpu()), ys.append(y.cpu())
        return torch.cat(xs, 1), torch.cat(preds, 1), torch.cat(ys, 1)

    @door(epochs=positive_int, lr=positive_number, wd=non_negative_number,
          pct_start=functools.partial(checks.number, low=0.0, high=1.0, open_low=True,
                                      open_high=True),
          div=positive_number, final_div=positive_number, clip=maybe(positive_number),
          reporter=maybe(functools.partial(checks.instance, types=Reporter,
                                           what="a Reporter (or None for the default)")),
          should_stop=functools.partial(checks.function, none=True))
    def fit_one_cycle(self, epochs: int, lr: float, *, wd: float = 0.01, pct_start: float = 0.25,
                      div: float = 25.0, final_div: float = 1e5,
                      reporter: Reporter | None = None,
                      should_stop: Callable[[], bool] | None = None,
                      clip: float | None = None) -> History:
        """Train for ``epochs`` epochs under a one-cycle schedule peaking at ``lr``.

        ``reporter`` shows progress (default: an HTML table in a notebook, text elsewhere);
        ``should_stop`` is asked after every batch and ends the run early when it says yes;
        ``clip``, if given, rescales each batch's gradients so that their norm is at most
        ``clip`` (``clip_grad_norm_``; chapter "Gates"). The norm of every batch, before
        clipping, goes to ``History.grad_norms``. Returns the run's :class:`History`.
        """
        params = [p for p in self.model.parameters() if p.requires_grad]
        n_batches = len(self.train_dl)
        opt = torch.optim.AdamW(param_groups(self.model, wd), lr=lr, betas=ADAM_BETAS, eps=ADAM_EPS)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=lr, total_steps=epochs * n_batches, pct_start=pct_start,
            div_factor=div, final_div_factor=final_div,
            max_momentum=CYCLE_MOMENTUM[0], base_momentum=CYCLE_MOMENTUM[1])
        reporter = reporter if reporter is not None else default_reporter()
        history = History(device=str(self.device), batches_per_epoch=n_batches, clip=clip)
        reporter.begin(epochs, n_batches)
        try:
            for epoch in range(epochs):
                start = time.perf_counter()
                self.model.train()
                self._reset()
                losses, norms = [], []
                for i, (x, y) in enumerate(self._batches(self.train_dl)):
                    out = self.model(x)
                    loss = F.cross_entropy(*_scored(self.model, out, y))  # no argmax: not needed
                    extra = getattr(self.model, "extra_loss", None)
                    total = loss + extra if extra is not None else loss
                    opt.zero_grad(set_to_none=True)
                    total.backward()
                    grads = [p.grad for p in params if p.grad is not None]
                    norm = torch.nn.utils.get_total_norm(grads)
                    if clip is not None:
                        torch.nn.utils.clip_grads_with_norm_(params, clip, norm)
                    norms.append(norm.detach())
                    opt.step()
                    history.lrs.append(sched.get_last_lr()[0])
                    sched.step()
                    losses.append(loss.detach())
                    reporter.batch(epoch, i)
                    if should_stop is not None and should_stop():
                        history.stopped = True
                        break
                batch_losses = torch.stack(losses).tolist()
                history.batch_losses.extend(batch_losses)
                history.grad_norms.extend(torch.stack(norms).tolist())
                if history.stopped:
                    break
                valid_loss, accuracy = self.validate()
                history.rows.append({
                    "epoch": epoch, "train_loss": sum(batch_losses) / len(batch_losses),
                    "valid_loss": valid_loss, "perplexity": math.exp(valid_loss),
                    "accuracy": accuracy,
                    "time": time.perf_counter() - start})
                reporter.epoch(history)
        finally:
            reporter.end(history)
        return history
