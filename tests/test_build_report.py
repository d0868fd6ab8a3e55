"""The machine a build ran on, in every page's footer and on the build report: the GPU, its
driver and CUDA version for a GPU build, the CPU otherwise."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from conftest import build_book, load_file, tiny_book

import rnnbook.book
from rnnbook.book import build_machine, describe_machine

ROOT = Path(__file__).resolve().parents[1]
rnnbook_ext = load_file(ROOT / "book" / "_ext" / "rnnbook_ext.py")


def test_on_a_cpu_the_machine_is_this_cpu():
    machine = build_machine()
    assert machine["device"] == "cpu" and machine["driver"] is None and machine["cuda"] is None
    assert machine["cores"] == str(os.cpu_count())
    assert machine["torch"] == torch.__version__
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        assert model and machine["name"] == model.group(1).strip()
    assert describe_machine(machine) == (f"a CPU, {machine['name']} ({os.cpu_count()} cores), "
                                         f"with torch {torch.__version__}")


@pytest.fixture
def gpu(tmp_path, monkeypatch):
    """This process seen as a CUDA machine: torch's device queries answered as an H200's, and
    an ``nvidia-smi`` on PATH that answers the driver query (the only one build_machine asks)."""
    smi = tmp_path / "nvidia-smi"
    smi.write_text('#!/bin/sh\n[ "$1" = "--query-gpu=driver_version" ] && [ "$2" = "--format=csv,noheader" ]'
                   ' && echo "570.86.15" && exit 0\nexit 2\n')
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(rnnbook.book, "default_device", lambda: torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H200")
    monkeypatch.setattr(torch.version, "cuda", "12.8")


def test_on_a_gpu_the_machine_names_the_gpu_its_driver_and_cuda(gpu):
    machine = build_machine()
    assert (machine["device"], machine["name"], machine["driver"], machine["cuda"]) == \
        ("cuda", "NVIDIA H200", "570.86.15", "12.8")
    assert describe_machine(machine) == \
        f"a GPU, NVIDIA H200 (driver 570.86.15, CUDA 12.8), with torch {torch.__version__}"


def test_without_nvidia_smi_the_driver_is_unknown(gpu, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    machine = build_machine()
    assert machine["driver"] is None
    assert "(driver unknown, CUDA 12.8)" in describe_machine(machine)


def test_the_footer_keeps_the_configured_line_and_adds_the_machine(gpu, monkeypatch):
    monkeypatch.setattr(rnnbook_ext, "_MACHINE", {})
    config = SimpleNamespace(html_theme_options={"extra_footer": "Every page was executed."})
    rnnbook_ext._footer(None, config)
    assert config.html_theme_options["extra_footer"] == (
        "Every page was executed. Built on a GPU, NVIDIA H200 (driver 570.86.15, CUDA 12.8), "
        f"with torch {torch.__version__}.")


@pytest.mark.slow
def test_a_built_page_and_the_build_report_name_the_machine(tmp_path):
    folder = tiny_book(tmp_path, "print(6 * 7)")
    (folder / "book" / "report.md").write_text("# Report\n\n```{build-machine}\n```\n")
    toc = (folder / "_toc.yml").read_text()
    (folder / "_toc.yml").write_text(toc + "  - file: book/report\n")
    result = build_book(folder)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    html = folder / "_build" / "html" / "book"
    for page in ("chapter.html", "report.html"):
        footer = re.search(r'<div class="extra_footer">(.*?)</div>', (html / page).read_text(), re.S)
        assert footer and "Built on a CPU, " in footer.group(1), page
        assert "Every page was executed by a build of this site" in footer.group(1)
    report = (html / "report.html").read_text()
    fields = dict(re.findall(r"<dt[^>]*>(.*?)<span[^>]*>:</span></dt>\s*<dd[^>]*><p>(.*?)</p>", report, re.S))
    assert fields["Device"].startswith("CPU: ") and fields["torch"] == torch.__version__, fields
    assert set(fields) == {"Device", "torch", "Python", "Built"}, fields
