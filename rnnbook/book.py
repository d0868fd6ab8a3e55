"""Helpers for the book's chapters: the first cell's setup, showing the package's code, and
handing numbers to the prose.

The chapters show the reader the very code they run: ``show_source(GRU2)`` prints the class
from the installed package, so the page cannot drift from the library.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import platform
import shutil
import subprocess

import torch

from . import __version__, checks
from .learner import default_device, set_seed

__all__ = ["setup", "show_source", "glue", "describe_device", "build_machine", "describe_machine"]


def describe_device(device: torch.device) -> str:
    """A short human description: "cpu (x86_64, 2 threads)" or "cuda (NVIDIA H200)"."""
    device = checks.device("device", device, none=False)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({platform.machine()}, {torch.get_num_threads()} threads)"
    return device.type


def _cpu_name() -> str:
    """The CPU's model name (from ``/proc/cpuinfo`` on Linux), else the architecture."""
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.lower().startswith("model name") and ":" in line:
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _nvidia_driver() -> str | None:
    """The NVIDIA driver's version, as ``nvidia-smi`` reports it; None without one."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        out = subprocess.run([smi, "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0].strip() if out.strip() else None


def build_machine() -> dict[str, str | None]:
    """What the chapters run on here: the device ``setup()`` picks (``device``: cuda, mps or
    cpu) and its ``name``; for a GPU its ``driver`` and ``cuda`` versions, for a CPU its
    ``cores`` (else None); the ``torch`` and ``python`` versions. The book's build report shows
    it and every page's footer names it (the build report page introduces it)."""
    device = default_device()
    machine: dict[str, str | None] = {"device": device.type, "name": None, "driver": None,
                                      "cuda": None, "cores": None, "torch": torch.__version__,
                                      "python": platform.python_version()}
    if device.type == "cuda":
        machine.update(name=torch.cuda.get_device_name(device), cuda=torch.version.cuda,
                       driver=_nvidia_driver())
    elif device.type == "mps":
        machine["name"] = f"Apple silicon ({platform.machine()})"
    else:
        machine.update(name=_cpu_name(), cores=str(os.cpu_count() or "?"))
    return machine


def describe_machine(machine: dict[str, str | None]) -> str:
    """One line for :func:`build_machine`'s answer: "a GPU, NVIDIA H200 (driver 570.86.15,
    CUDA 12.8), with torch 2.13.0+cu128" or "a CPU, AMD EPYC 7B13 (2 cores), with torch ..."."""
    keys = ("device", "name", "driver", "cuda", "cores", "torch")
    if not isinstance(machine, dict) or not all(k in machine for k in keys):
        checks.refuse("machine", machine, f"build_machine's dict (keys {', '.join(keys)})",
                      wrong_type=not isinstance(machine, dict))
    if machine["device"] == "cuda":
        what = (f"a GPU, {machine['name']} (driver {machine['driver'] or 'unknown'}, "
                f"CUDA {machine['cuda'] or 'unknown'})")
    elif machine["device"] == "mps":
        what = f"a GPU, {machine['name']} (MPS)"
    else:
        what = f"a CPU, {machine['name']} ({machine['cores']} cores)"
    return f"{what}, with torch {machine['torch']}"


def setup(seed: int = 0, device: str | torch.device | None = None, threads: int | None = 1) -> torch.device:
    """The first cell of every chapter: seed everything, pick the device, say both.

    On the CPU it uses ``threads`` threads (default 1; ``None`` keeps PyTorch's choice): the
    book's models multiply 64 x 64 matrices, too small to gain from splitting them over
    cores, and a single thread cannot be slowed down by threads waiting for each other on a
    busy machine. It also imports matplotlib quietly, so a first run's "building the font
    cache" notice does not land on the page.
    """
    seed = checks.non_negative_int("seed", seed, at_most=checks.MAX_SEED)
    device = checks.device("device", device)
    if threads is not None:
        threads = checks.positive_int("threads", threads, at_most=checks.MAX_THREADS)
    with contextlib.redirect_stderr(io.StringIO()):
        import matplotlib.pyplot  # noqa: F401
    set_seed(seed)
    device = device if device is not None else default_device()
    if threads is not None and device.type == "cpu":
        torch.set_num_threads(threads)
    print(f"rnnbook {__version__} | torch {torch.__version__} | "
          f"device {describe_device(device)} | seed {seed}")
    glue("seed", seed)
    glue("device", describe_device(device))
    return device


def show_source(obj) -> object:
    """The source of a class or function of the package, as a highlighted code block."""
    from IPython.display import Markdown

    if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj)):
        checks.refuse("obj", obj, "a class or a function", wrong_type=True)
    try:
        code = inspect.getsource(obj).rstrip()
    except (OSError, TypeError):
        raise ValueError(f"obj {checks.show(obj)} has no Python source to show") from None
    return Markdown(f"```python\n{code}\n```")


def glue(name: str, value, display: bool = False) -> None:
    """Hand ``value`` to the page's prose as ``{glue:text}`name```; a no-op outside the book
    build (for example on Colab, where the book's build tools are not installed)."""
    checks.text("name", name, empty=False)
    checks.boolean("display", display)
    try:
        from myst_nb import glue as nb_glue
    except ImportError:
        if display:
            from IPython.display import display as show
            show(value)
        return
    nb_glue(name, value, display=display)


def chapter_times(path: str = "_data/chapter_times.json") -> object:
    """The recorded execution time of each chapter (from ``scripts/record_build_times.py``), as a
    table; relative paths are read from the chapter's folder."""
    import json

    from IPython.display import Markdown

    file = checks.path("path", path)
    if not file.is_file():
        return Markdown("*No recorded build times here: build the book to record them.*")
    record = json.loads(file.read_text())
    lines = ["| chapter | seconds |", "|---|---:|"]
    lines += [f"| {r['title']} | {r['seconds']:.1f} |" for r in record["chapters"]]
    lines.append(f"| **whole book** (build included) | **{record['build_seconds']:.0f}** |")
    note = f"\n\nRecorded {record['date']} on {record['machine']}, torch {record['torch']}."
    return Markdown("\n".join(lines) + note)
