"""The trainer benchmark (benchmarks/bench_trainers.py) on a tiny setting: its JSON, and that its
bare PyTorch loop really is the same training as rnnbook's learner. fastai is not needed."""

import json
import math
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import torch
from conftest import load_file

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_trainers.py"
# One torch thread: on a small machine shared with other jobs, two threads can be ten times slower.
TINY = ["--epochs", "1", "--repeats", "1", "--hidden", "16", "--threads", "1", "--no-warmup", "--quiet"]


@pytest.fixture(scope="module")
def bench():
    module = load_file(SCRIPT)  # one torch thread: conftest's session-wide one_thread
    yield module
    del sys.modules["bench_trainers"]


@pytest.fixture(scope="module")
def results():
    out = subprocess.run([sys.executable, str(SCRIPT), "--ways", "rnnbook,bare", "--json", "--batch-losses",
                          "--device", "cpu", *TINY], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.slow
def test_json_has_one_object_per_model_with_both_ways(results):
    assert set(results) == {"gru", "stateful"}
    for res in results.values():
        assert res["device"] == "cpu"
        assert {"torch", "python", "rnnbook", "cpu", "fastai"} <= set(res["versions"])
        assert res["versions"]["torch"] == torch.__version__
        datetime.fromisoformat(res["date"])
        assert "fastai" not in res and res["rnnbook_over_fastai"] is None
        for way in ("rnnbook", "bare"):
            r = res[way]
            assert len(r["epoch_times"]) == 1 and len(r["epoch_times"][0]) == 1
            assert r["seconds_per_epoch"] > 0 and r["cpu_seconds_per_epoch"] > 0
            assert 0 < r["accuracy"] < 1 and r["peak_memory_mb"] >= 0 and r["memory_method"]
        ratio = res["rnnbook"]["seconds_per_epoch"] / res["bare"]["seconds_per_epoch"]
        assert res["rnnbook_over_bare"] == pytest.approx(ratio)
        assert set(res["targets"]) == {"bare"}
        target = res["targets"]["bare"]
        assert target["accuracy_gap"] == pytest.approx(0, abs=1e-6) and target["limit"] == 1.05
        assert set(target["ratios"]) == set(target["met"]) == {"median", "cpu", "paired", "paired_cpu"}
        assert target["ratios"]["median"] == res["rnnbook_over_bare"]
        assert target["met"]["median"] == (res["rnnbook_over_bare"] <= 1.05)
        assert res["settings"]["hidden"] == 16 and res["settings"]["epochs"] == 1


@pytest.mark.slow
def test_the_bare_loop_follows_rnnbooks_loss_trajectory(results):
    for res in results.values():
        mine, bare = res["rnnbook"]["batch_losses"], res["bare"]["batch_losses"]
        assert len(mine) == len(bare) == 40  # 40 batches of 64 rows x 20 tokens per epoch
        assert mine == pytest.approx(bare, rel=1e-5, abs=1e-6)
        assert sum(mine[-5:]) < sum(mine[:5]) - 0.5  # they did train


def test_the_trajectory_check_would_catch_a_different_training(bench, data):
    setting = bench.make_setting("stateful", data, torch.device("cpu"), epochs=1, hidden=16)
    reference = bench.run_bare(setting).batch_losses
    assert bench.run_rnnbook(setting).batch_losses == pytest.approx(reference, rel=1e-5, abs=1e-6)
    setting.wd = 0.5  # decay biases or not, a wrong decay or a wrong schedule shows up here
    assert bench.run_rnnbook(setting).batch_losses != pytest.approx(reference, rel=1e-5, abs=1e-6)
    other = bench.make_setting("stateful", data, torch.device("cpu"), seed=1, epochs=1, hidden=16)
    assert bench.run_bare(other).batch_losses[0] != pytest.approx(reference[0], abs=1e-6)


def test_peak_memory_sees_tensor_allocations(bench):
    with bench.PeakMemory(torch.device("cpu")) as meter:
        big = torch.ones(64, 2**20)  # 256 MiB, which tracemalloc would not see
        del big
    assert meter.peak >= 200 * 2**20, meter.method


def test_a_missing_fastai_is_skipped_with_a_note(bench, capsys):
    if bench.fastai_available() is None:
        pytest.skip("fastai is installed here")
    assert bench.main(["--ways", "rnnbook,fastai", "--models", "stateful", "--json", *TINY[:-1]]) == 0
    captured = capsys.readouterr()
    assert "skipping the fastai way" in captured.err
    res = json.loads(captured.out)["stateful"]
    assert "not installed" in res["fastai"]["skipped"] and res["rnnbook_over_fastai"] is None
    assert res["targets"] == {} and math.isfinite(res["rnnbook"]["seconds_per_epoch"])
