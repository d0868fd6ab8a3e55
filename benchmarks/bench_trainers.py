"""Benchmark: rnnbook's trainer against fastai's Learner and a bare PyTorch loop.

The same model is trained three ways in one process, the ways alternating (and their order
rotating from one repeat to the next) so that drift in the machine's load hits all three:

- ``rnnbook``: :class:`rnnbook.learner.Learner` ``.fit_one_cycle`` with a ``SilentReporter``;
- ``fastai``: fastai 2.8's ``Learner`` fed by its language-model loader ``LMDataLoader``
  (built over the same token ids, cut the same way: ``bs`` rows, ``seq_len=bptt``, no shuffle),
  trained with fastai's own ``fit_one_cycle`` (its Adam with true weight decay, its cosine
  one-cycle schedule), fastai's ``ModelResetter``, no progress bar, no logging;
- ``bare``: a plain PyTorch loop written below: ``torch.optim.AdamW`` (betas 0.9/0.99, eps 1e-5,
  weight decay 0.01 except on biases and batchnorm) under ``OneCycleLR``, the same settings
  as rnnbook's learner, no callbacks and no progress bar.

In each repeat every way starts from the same weights (one ``state_dict``, made with seed
``--seed`` + the repeat's number, loaded into a fresh model) and reads the same batches.
Two models: ``gru`` (rnnbook's ``GRU2``, recipe "gru2") and ``stateful`` (the lesson's
stateful plain RNN written as a Python loop, recipe "stateful"); the epochs and learning
rate come from the recipes unless ``--epochs``/``--lr`` say otherwise.

Measured per way: seconds per epoch (training plus validation; the median over every epoch
of every repeat), in wall-clock seconds and in process CPU seconds (which other jobs on a
shared machine disturb far less), the final validation accuracy (computed afterwards the same
way for all three: token-weighted, from a reset state; mean over the repeats), and peak memory: on CUDA
``torch.cuda.max_memory_allocated``; on the CPU the peak resident set size above the one at
the start of the run (Linux: reset with ``/proc/self/clear_refs`` and read back as ``VmHWM``;
elsewhere psutil sampling; ``tracemalloc`` cannot see torch's allocations).

fastai is not a dependency of rnnbook. Install it in its own virtual environment beside the
CPU build of torch, without letting pip pull another torch::

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install torch==2.13.0
    .venv-bench/bin/pip install fastai==2.8.12 torch==2.13.0
    .venv-bench/bin/pip install -e .
    .venv-bench/bin/pip uninstall -y torchvision   # fastai pulls a CUDA-linked torchvision
                                                        # that fails to import; the text API
                                                        # does not need it

Run (``--ways rnnbook,bare`` runs without fastai; a missing fastai is skipped with a note)::

    .venv-bench/bin/python benchmarks/bench_trainers.py --threads 1
    .venv-bench/bin/python benchmarks/bench_trainers.py --threads 1 --json --out results.json
    python benchmarks/bench_trainers.py --ways rnnbook,bare --epochs 2 --repeats 1

On a small CPU shared with other jobs, pass ``--threads 1``: two torch threads fighting other
processes for two cores made an epoch 10-20 times slower here.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import gc
import json
import os
import platform
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

import rnnbook
from rnnbook.data import HumanNumbers, LMLoader, load_human_numbers
from rnnbook.learner import Learner, SilentReporter, default_device, set_seed
from rnnbook.recipes import Recipe, get_recipe

WAYS = ("rnnbook", "fastai", "bare")
MODELS = {"gru": "gru2", "stateful": "stateful"}
TARGET_OVER_FASTAI = 0.85
TARGET_OVER_BARE = 1.05
TARGET_ACCURACY_GAP = 0.02
FASTAI_INSTALL = ("fastai is not installed here: install it in a separate venv (see benchmarks/README.md "
                  "or the top of benchmarks/bench_trainers.py)")


# --------------------------------------------------------------------------------------------
# The setting shared by the three ways
# --------------------------------------------------------------------------------------------

@dataclass
class Setting:
    """One model to train: its recipe, the (possibly overridden) settings and the initial weights."""

    name: str
    recipe: Recipe
    data: HumanNumbers
    device: torch.device
    epochs: int
    lr: float
    bs: int
    bptt: int
    hidden: int
    wd: float
    pct_start: float
    seed: int = 0
    init_state: dict = field(default_factory=dict)

    def fresh_model(self) -> nn.Module:
        """A new model holding the setting's initial weights (on the CPU)."""
        model = self.recipe.make(len(self.data.vocab), self.hidden, **self.recipe.model_kwargs)
        model.load_state_dict(self.init_state)
        return model

    def describe(self) -> dict:
        return {"model": self.recipe.key, "title": self.recipe.title, "epochs": self.epochs, "lr": self.lr,
                "bs": self.bs, "bptt": self.bptt, "hidden": self.hidden, "wd": self.wd,
                "pct_start": self.pct_start, "div": 25.0, "final_div": 1e5, "moms": [0.95, 0.85, 0.95]}


def make_setting(name: str, data: HumanNumbers, device: torch.device, seed: int = 0,
                 epochs: int | None = None, lr: float | None = None, bs: int | None = None,
                 bptt: int | None = None, hidden: int | None = None) -> Setting:
    recipe = get_recipe(MODELS[name])
    if recipe.drop_last or getattr(recipe.make, "predicts_last", False):
        raise ValueError(f"{name}: the benchmark's loops score every token and keep every batch")
    setting = Setting(name, recipe, data, device, epochs or recipe.epochs, lr or recipe.lr, bs or recipe.bs,
                      bptt or recipe.bptt, hidden or recipe.hidden, recipe.wd, recipe.pct_start, seed)
    set_seed(seed)
    model = recipe.make(len(data.vocab), setting.hidden, **recipe.model_kwargs)
    setting.init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return setting


@torch.no_grad()
def evaluate(model: nn.Module, setting: Setting) -> tuple[float, float]:
    """Validation loss and accuracy, token-weighted, from a reset state: the same yardstick for every way."""
    model.eval()
    model.reset()
    total_loss, correct, count = 0.0, 0, 0
    for x, y in LMLoader(setting.data.valid, setting.bs, setting.bptt):
        x, y = x.to(setting.device), y.to(setting.device)
        out = model(x).reshape(-1, len(setting.data.vocab))
        y = y.reshape(-1)
        total_loss += F.cross_entropy(out, y, reduction="sum").item()
        correct += (out.argmax(-1) == y).sum().item()
        count += y.numel()
    return total_loss / count, correct / count


# --------------------------------------------------------------------------------------------
# Peak memory
# --------------------------------------------------------------------------------------------

def _status_kb(key: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"^{key}:\s+(\d+) kB", f.read(), re.M).group(1))


def _can_reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        _status_kb("VmHWM")
        return True
    except (OSError, AttributeError):
        return False


def _release_freed_memory() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc: give freed heap back, so RSS starts low
    except (OSError, AttributeError):
        pass


class PeakMemory:
    """Peak memory of the code it wraps, in bytes (``peak``); ``method`` says how it was measured."""

    def __init__(self, device: torch.device):
        self.device, self.peak, self._thread = device, 0, None
        if device.type == "cuda":
            self.method = "torch.cuda.max_memory_allocated, above memory_allocated at the start"
        elif _can_reset_hwm():
            self.method = "peak RSS above RSS at the start (/proc/self/clear_refs + VmHWM)"
        else:
            try:
                import psutil
                self._proc = psutil.Process()
                self.method = "peak RSS above RSS at the start (psutil sampling every 5 ms)"
            except ImportError:
                self._proc = None
                self.method = "resource.getrusage maxrss delta (0 when an earlier run peaked higher)"

    def __enter__(self) -> PeakMemory:
        _release_freed_memory()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
        elif self.method.endswith("VmHWM)"):
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self._base = _status_kb("VmRSS") * 1024
        elif self._proc is not None:
            self._base = self._max = self._proc.memory_info().rss
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        else:
            import resource
            self._base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self._max = max(self._max, self._proc.memory_info().rss)

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            top = torch.cuda.max_memory_allocated(self.device)
        elif self.method.endswith("VmHWM)"):
            top = _status_kb("VmHWM") * 1024
        elif self._thread is not None:
            self._stop.set()
            self._thread.join()
            top = max(self._max, self._proc.memory_info().rss)
        else:
            import resource
            top = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.peak = max(0, top - self._base)


# --------------------------------------------------------------------------------------------
# The three ways. Each returns the seconds of every epoch and the trained model.
# --------------------------------------------------------------------------------------------

@dataclass
class Run:
    epoch_times: list[float]
    epoch_cpu: list[float]
    model: nn.Module
    reported_accuracy: float
    batch_losses: list[float] = field(default_factory=list)


class EpochClock:
    """Wall-clock and CPU seconds of each epoch: ``start()`` before it, ``stop()`` once it is validated."""

    def __init__(self, sync: Callable[[], None] = lambda: None):
        self.sync, self.times, self.cpu = sync, [], []

    def start(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def stop(self) -> None:
        self.sync()
        self.times.append(time.perf_counter() - self._wall)
        self.cpu.append(time.process_time() - self._cpu)


def _clock(device: torch.device) -> EpochClock:
    return EpochClock((lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None))


class TimingReporter(SilentReporter):
    """A silent reporter that also times each epoch: an epoch runs from the end of the one
    before (or the start of the run) to the end of its validation. Nothing per batch."""

    def __init__(self, clock: EpochClock):
        self.clock = clock

    def begin(self, epochs: int, n_batches: int) -> None:
        self.clock.start()

    def epoch(self, history) -> None:
        self.clock.stop()
        self.clock.start()


def run_rnnbook(setting: Setting, keep_batch_losses: bool = False) -> Run:
    """rnnbook's learner, silent; it records every batch's loss anyway."""
    model = setting.fresh_model()
    train_dl, valid_dl = setting.data.loaders(setting.bs, setting.bptt)
    learn = Learner(model, train_dl, valid_dl, device=setting.device)
    clock = _clock(setting.device)
    history = learn.fit_one_cycle(setting.epochs, setting.lr, wd=setting.wd, pct_start=setting.pct_start,
                                  reporter=TimingReporter(clock))
    return Run(clock.times, clock.cpu, learn.model, history.accuracy, list(history.batch_losses))


def _bare_param_groups(model: nn.Module, wd: float) -> list[dict]:
    decay, no_decay = [], []
    for module in model.modules():
        is_norm = isinstance(module, nn.modules.batchnorm._BatchNorm)
        for name, p in module.named_parameters(recurse=False):
            (no_decay if is_norm or name.startswith("bias") else decay).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def run_bare(setting: Setting, keep_batch_losses: bool = False) -> Run:
    """The plain loop: cut the streams into bs rows, walk them bptt tokens at a time. It keeps
    every batch's loss (detached, no host sync) for the epoch's mean training loss."""
    device, bs, bptt = setting.device, setting.bs, setting.bptt
    model = setting.fresh_model().to(device)

    def rows(stream: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
        row_len = (len(stream) - 1) // bs
        stream = stream.to(device)
        x, y = stream[: bs * row_len], stream[1 : bs * row_len + 1]
        return x.view(bs, row_len), y.view(bs, row_len), row_len

    train_x, train_y, train_len = rows(setting.data.train)
    valid_x, valid_y, valid_len = rows(setting.data.valid)
    n_batches = -(-train_len // bptt)
    opt = torch.optim.AdamW(_bare_param_groups(model, setting.wd), lr=setting.lr, betas=(0.9, 0.99), eps=1e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=setting.lr, total_steps=setting.epochs * n_batches, pct_start=setting.pct_start,
        div_factor=25.0, final_div_factor=1e5, base_momentum=0.85, max_momentum=0.95)
    clock, all_losses, accuracy = _clock(device), [], 0.0
    for _ in range(setting.epochs):
        clock.start()
        model.train()
        model.reset()
        losses = []
        for s in range(0, train_len, bptt):
            out = model(train_x[:, s : s + bptt])
            loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), train_y[:, s : s + bptt].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.detach())
        model.eval()
        model.reset()
        with torch.no_grad():
            total = torch.zeros((), device=device)
            correct = torch.zeros((), device=device, dtype=torch.long)
            for s in range(0, valid_len, bptt):
                out = model(valid_x[:, s : s + bptt])
                out, y = out.reshape(-1, out.shape[-1]), valid_y[:, s : s + bptt].reshape(-1)
                total += F.cross_entropy(out, y, reduction="sum")
                correct += (out.argmax(-1) == y).sum()
        all_losses += torch.stack(losses).tolist()
        accuracy = correct.item() / valid_x.numel()
        clock.stop()
    return Run(clock.times, clock.cpu, model, accuracy, all_losses)


_FASTAI: dict = {}


def fastai_available() -> str | None:
    """``None`` if fastai imports, else why not. Imports only what the text benchmark needs
    (not ``fastai.text.all``, which works too but pulls in far more)."""
    if _FASTAI:
        return _FASTAI.get("error")
    try:
        import fastai
        from fastai.callback.core import Callback
        from fastai.callback.rnn import ModelResetter
        from fastai.callback.schedule import fit_one_cycle  # noqa: F401  (patches Learner.fit_one_cycle)
        from fastai.data.core import DataLoaders
        from fastai.learner import Learner as FastaiLearner
        from fastai.losses import CrossEntropyLossFlat
        from fastai.metrics import accuracy
        from fastai.text.data import LMDataLoader
    except ImportError as e:
        _FASTAI["error"] = f"{FASTAI_INSTALL} ({e})"
        return _FASTAI["error"]
    _FASTAI.update(version=fastai.__version__, Callback=Callback, ModelResetter=ModelResetter,
                   DataLoaders=DataLoaders, Learner=FastaiLearner, CrossEntropyLossFlat=CrossEntropyLossFlat,
                   accuracy=accuracy, LMDataLoader=LMDataLoader)
    return None


def run_fastai(setting: Setting, keep_batch_losses: bool = False) -> Run:
    """fastai's Learner; a callback keeps every batch's loss only when asked (keeping them adds
    to fastai's peak memory through heap fragmentation)."""
    error = fastai_available()
    if error:
        raise RuntimeError(error)
    fa = _FASTAI
    device = setting.device

    class EpochTimer(fa["Callback"]):
        order = 99  # after the Recorder: an epoch ends once its metrics are computed

        def __init__(self, clock: EpochClock):
            self.clock = clock

        def before_epoch(self):
            self.clock.start()

        def after_epoch(self):
            self.clock.stop()

    class BatchLosses(fa["Callback"]):
        def __init__(self):
            self.losses = []

        def after_batch(self):
            if self.training:
                self.losses.append(self.learn.loss.detach())

    clock = _clock(device)
    timer, batch_losses = EpochTimer(clock), BatchLosses()
    train_dl = fa["LMDataLoader"]([setting.data.train], bs=setting.bs, seq_len=setting.bptt, shuffle=False,
                                  device=device)
    valid_dl = fa["LMDataLoader"]([setting.data.valid], bs=setting.bs, seq_len=setting.bptt, shuffle=False,
                                  device=device)
    dls = fa["DataLoaders"](train_dl, valid_dl, device=device)
    learn = fa["Learner"](dls, setting.fresh_model(), loss_func=fa["CrossEntropyLossFlat"](),
                          metrics=fa["accuracy"], wd=setting.wd,
                          cbs=[fa["ModelResetter"](), timer] + ([batch_losses] if keep_batch_losses else []))
    progress = [cb for cb in learn.cbs if type(cb).__name__ == "ProgressCallback"]
    if progress:
        learn.remove_cbs(progress)
    with learn.no_logging():
        learn.fit_one_cycle(setting.epochs, setting.lr, pct_start=setting.pct_start)
    reported = float(learn.recorder.values[-1][-1])
    losses = torch.stack(batch_losses.losses).tolist() if batch_losses.losses else []
    return Run(clock.times, clock.cpu, learn.model, reported, losses)


RUNNERS: dict[str, Callable[[Setting, bool], Run]] = {
    "rnnbook": run_rnnbook, "fastai": run_fastai, "bare": run_bare}


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------

def trial(setting: Setting, way: str, keep_batch_losses: bool = False) -> dict:
    """Train ``setting`` once ``way``; times, accuracy and peak memory of that run."""
    set_seed(setting.seed)
    meter = PeakMemory(setting.device)
    before = _switches()
    with meter:
        run = RUNNERS[way](setting, keep_batch_losses)
    switches = [b - a for a, b in zip(before, _switches(), strict=True)]
    valid_loss, accuracy = evaluate(run.model, setting)
    return {"epoch_times": run.epoch_times, "epoch_cpu": run.epoch_cpu, "accuracy": accuracy,
            "valid_loss": valid_loss, "reported_accuracy": run.reported_accuracy, "peak_bytes": meter.peak,
            "memory_method": meter.method, "batch_losses": run.batch_losses,
            "voluntary_switches": switches[0], "involuntary_switches": switches[1]}


def _switches() -> tuple[int, int]:
    """Context switches so far: voluntary (the process waited) and involuntary (it was preempted)."""
    try:
        import resource
    except ImportError:
        return (0, 0)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_nvcsw, usage.ru_nivcsw)


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs))



def summarise(trials: list[dict], batch_losses: bool) -> dict:
    times = [t for tr in trials for t in tr["epoch_times"]]
    accs = [tr["accuracy"] for tr in trials]
    out = {
        "seconds_per_epoch": _median(times),
        "seconds_per_epoch_min": min(times),
        "seconds_per_epoch_max": max(times),
        "cpu_seconds_per_epoch": _median([t for tr in trials for t in tr["epoch_cpu"]]),
        "accuracy": statistics.fmean(accs),
        "accuracy_sd": statistics.stdev(accs) if len(accs) > 1 else 0.0,
        "accuracies": accs,
        "valid_loss": statistics.fmean([tr["valid_loss"] for tr in trials]),
        "reported_accuracy": trials[-1]["reported_accuracy"],
        "peak_memory_mb": _median([tr["peak_bytes"] for tr in trials]) / 2**20,
        "peak_memory_mb_each": [round(tr["peak_bytes"] / 2**20, 1) for tr in trials],
        "memory_method": trials[0]["memory_method"],
        # preempted while it ran (other jobs on the machine) / waited (I/O, locks): the gap
        # between wall-clock and CPU seconds
        "involuntary_switches": [tr["involuntary_switches"] for tr in trials],
        "voluntary_switches": [tr["voluntary_switches"] for tr in trials],
        "epoch_times": [[round(t, 4) for t in tr["epoch_times"]] for tr in trials],
        "epoch_cpu": [[round(t, 4) for t in tr["epoch_cpu"]] for tr in trials],
    }
    if batch_losses:
        out["batch_losses"] = trials[0]["batch_losses"]
    return out


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: torch.device) -> dict:
    info = {"python": platform.python_version(), "torch": torch.__version__, "rnnbook": rnnbook.__version__,
            "fastai": _FASTAI.get("version"), "platform": platform.platform(), "cpu": cpu_model(),
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads()}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
    return info


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def benchmark(models: list[str], ways: list[str], repeats: int = 3, device: str | torch.device | None = None,
              seed: int = 0, batch_losses: bool = False, log: Callable[[str], None] | None = None,
              warmup: bool = True, **overrides) -> dict:
    """Run the benchmark; one result object per model (see the module's docstring).

    Repeat ``r`` starts every way from the initial weights made with seed ``seed + r``: the
    ways are compared on the same weights, and the repeats show how much the final accuracy
    depends on them (the stateful plain RNN's depends a lot). With ``warmup``, each way first
    trains each model for one untimed epoch, so that no way pays the process's first-use
    costs (lazy initialisation, allocator growth) in the results.
    """
    device = torch.device(device) if device is not None else default_device()
    log = log or (lambda msg: None)
    skipped = {}
    if "fastai" in ways and (error := fastai_available()):
        skipped["fastai"] = error
        log(f"note: skipping the fastai way: {error}")
    active = [w for w in ways if w not in skipped]
    data = load_human_numbers()
    settings = {(m, r): make_setting(m, data, device, seed + r, **overrides)
                for m in models for r in range(repeats)}
    if warmup:
        for m in models:
            short = make_setting(m, data, device, seed, **(overrides | {"epochs": 1}))
            for w in active:
                trial(short, w)
        log("warm-up done (one untimed epoch per way and model)")
    load_before = _loadavg()
    trials: dict[str, dict[str, list[dict]]] = {m: {w: [] for w in active} for m in models}
    for r in range(repeats):
        order = active[r % len(active):] + active[: r % len(active)]  # rotate who goes first
        for m in models:
            for w in order:
                t = trial(settings[m, r], w, batch_losses)
                trials[m][w].append(t)
                log(f"repeat {r + 1}/{repeats} {m:<9} {w:<8} {_median(t['epoch_times']):.3f} s/epoch "
                    f"({_median(t['epoch_cpu']):.3f} cpu)  accuracy {t['accuracy']:.4f}  "
                    f"peak {t['peak_bytes'] / 2**20:.1f} MB")
    versions = machine_info(device)
    date = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    results = {}
    for m in models:
        extra = {"repeats": repeats, "seeds": list(range(seed, seed + repeats)), "warmup": warmup}
        res: dict = {"settings": settings[m, 0].describe() | extra}
        for w in ways:
            res[w] = {"skipped": skipped[w]} if w in skipped else summarise(trials[m][w], batch_losses)
        for other in ("fastai", "bare"):
            for suffix, key in (("", "seconds_per_epoch"), ("_cpu", "cpu_seconds_per_epoch")):
                ok = "rnnbook" in trials[m] and other in trials[m]
                res[f"rnnbook_over_{other}{suffix}"] = res["rnnbook"][key] / res[other][key] if ok else None
        res["targets"] = targets(res, trials[m])
        res.update(device=str(device), versions=versions, date=date, loadavg_before=load_before,
                   loadavg_after=_loadavg())
        results[m] = res
    return results


def targets(res: dict, trials: dict[str, list[dict]]) -> dict:
    """Is rnnbook at most 0.85 x fastai's and 1.05 x the bare loop's seconds per epoch, at equal accuracy?

    Equal accuracy: the mean final accuracies over the repeats differ by at most 0.02
    (``paired_accuracy_gaps``: the difference in each repeat, where both ways started from the
    same weights). The ratio is judged four ways (``ratios`` and ``met``): ``median``, the
    ratio of the median wall-clock seconds per epoch (the target as set); ``cpu``, the same in
    CPU seconds; ``paired`` and ``paired_cpu``, the median over the repeats of rnnbook's run
    over the other way's run of the same repeat (close in time, so under a similar load).
    """
    out = {}
    for other, limit in (("fastai", TARGET_OVER_FASTAI), ("bare", TARGET_OVER_BARE)):
        if res.get(f"rnnbook_over_{other}") is None:
            continue
        gap = abs(res["rnnbook"]["accuracy"] - res[other]["accuracy"])
        pairs = list(zip(trials["rnnbook"], trials[other], strict=True))
        paired = [_median(a["epoch_times"]) / _median(b["epoch_times"]) for a, b in pairs]
        paired_cpu = [_median(a["epoch_cpu"]) / _median(b["epoch_cpu"]) for a, b in pairs]
        ratios = {"median": res[f"rnnbook_over_{other}"], "cpu": res[f"rnnbook_over_{other}_cpu"],
                  "paired": _median(paired),
                  "paired_cpu": _median(paired_cpu)}
        same = gap <= TARGET_ACCURACY_GAP
        out[other] = {"limit": limit, "accuracy_gap": gap,
                      "paired_accuracy_gaps": [a["accuracy"] - b["accuracy"] for a, b in pairs],
                      "ratios": ratios, "met": {k: bool(r <= limit and same) for k, r in ratios.items()},
                      "paired_ratios": paired, "paired_cpu_ratios": paired_cpu}
    return out


RATIO_NAMES = {"median": "median s", "cpu": "median cpu s", "paired": "paired s",
               "paired_cpu": "paired cpu s"}


def format_text(results: dict) -> str:
    """The results as a table per model, with the ratios and whether the targets are met."""
    first = next(iter(results.values()))
    v = first["versions"]
    gpu = f", {v['gpu']}" if "gpu" in v else ""
    lines = [f"device {first['device']} ({v['cpu']}, {v['cpu_count']} cpus, "
             f"{v['torch_threads']} torch threads{gpu})",
             f"torch {v['torch']}, fastai {v['fastai']}, python {v['python']}, rnnbook {v['rnnbook']}; "
             f"{first['date']}",
             "s/epoch: median wall-clock seconds of an epoch (training + validation) over every epoch "
             "of every repeat; cpu s/ep: the same in process CPU seconds; ratios: rnnbook's over the "
             "other way's, of those medians, and the median over the repeats of each repeat's ratio "
             "(paired)"]
    for name, res in results.items():
        s = res["settings"]
        lines += ["", f"{name}: {s['title']} ({s['model']}), hidden {s['hidden']}, bs {s['bs']}, "
                      f"bptt {s['bptt']}, {s['epochs']} epochs, lr {s['lr']:g}, {s['repeats']} repeats",
                  f"  load average {res['loadavg_before']} -> {res['loadavg_after']}",
                  f"  {'way':<8} {'s/epoch':>8}  {'min .. max':<14} {'cpu s/ep':>8} {'accuracy':>9} "
                  f"{'valid_loss':>10} {'peak MB':>8}"]
        method = None
        for w in WAYS:
            r = res.get(w)
            if r is None:
                continue
            if "skipped" in r:
                lines.append(f"  {w:<8} skipped: {r['skipped']}")
                continue
            method = r["memory_method"]
            spread = f"{r['seconds_per_epoch_min']:.3f} .. {r['seconds_per_epoch_max']:.3f}"
            lines.append(f"  {w:<8} {r['seconds_per_epoch']:>8.3f}  {spread:<14} "
                         f"{r['cpu_seconds_per_epoch']:>8.3f} {r['accuracy']:>9.4f} {r['valid_loss']:>10.4f} "
                         f"{r['peak_memory_mb']:>8.1f}")
        if res["targets"]:
            lines.append(f"  {'ratio':<15}" + "".join(f"{RATIO_NAMES[k]:>14}" for k in RATIO_NAMES)
                         + "   target  accuracy gap")
        for other, t in res["targets"].items():
            cells = "".join(f"{format(t['ratios'][k], '.3f') + ('' if t['met'][k] else ' NO'):>14}"
                            for k in RATIO_NAMES)
            lines.append(f"  rnnbook/{other:<6}{cells}   <= {t['limit']:<4}  {t['accuracy_gap']:.4f}")
        if res["targets"]:
            lines.append("  (a ratio marked NO misses its target; equal accuracy means a gap <= "
                         f"{TARGET_ACCURACY_GAP})")
        if method:
            lines.append(f"  peak memory: {method}")
    return "\n".join(lines)


def _csv(choices):
    def parse(text: str) -> list[str]:
        items = [t.strip() for t in text.split(",") if t.strip()]
        bad = [t for t in items if t not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(choices)} (got {text!r})")
        return items
    return parse


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", type=_csv(tuple(MODELS)), default=list(MODELS),
                   help="gru,stateful (default both)")
    p.add_argument("--ways", type=_csv(WAYS), default=list(WAYS), help="rnnbook,fastai,bare (default all)")
    p.add_argument("--repeats", type=int, default=3, help="runs per way and model (default 3)")
    p.add_argument("--epochs", type=int, default=None, help="override the recipes' epochs")
    p.add_argument("--lr", type=float, default=None, help="override the recipes' peak learning rate")
    p.add_argument("--bs", type=int, default=None, help="override the batch size (64)")
    p.add_argument("--bptt", type=int, default=None, help="override bptt (20)")
    p.add_argument("--hidden", type=int, default=None, help="override the hidden size (64)")
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: rnnbook's default_device())")
    p.add_argument("--threads", type=int, default=None,
                   help="torch.set_num_threads (default: torch's choice)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first repeat's initial weights")
    p.add_argument("--json", action="store_true",
                   help="print the JSON (one object per model) instead of the table")
    p.add_argument("--out", default=None, help="also write the JSON to this file")
    p.add_argument("--batch-losses", action="store_true",
                   help="keep every batch's loss (of the first repeat) in the JSON")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("--no-warmup", action="store_true", help="skip the untimed one-epoch warm-up of each way")
    args = p.parse_args(argv)
    if args.repeats < 1 or (args.epochs is not None and args.epochs < 1):
        p.error("--repeats and --epochs must be positive")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    ways = [w for w in WAYS if w in args.ways]
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    results = benchmark(args.models, ways, args.repeats, args.device, args.seed, args.batch_losses, log,
                        not args.no_warmup, epochs=args.epochs, lr=args.lr, bs=args.bs, bptt=args.bptt,
                        hidden=args.hidden)
    command = "python benchmarks/bench_trainers.py " + " ".join(sys.argv[1:] if argv is None else argv)
    for res in results.values():
        res["command"] = command.strip()
    text = json.dumps(results, indent=1)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text if args.json else format_text(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
