"""The ablation of benchmarks/course_gap.py: its loader is the course's, its book setting is the
package's trainer, and the stored table (book/_data/course_gap.json) is what the script makes."""

import json
import statistics
import sys
from pathlib import Path

import pytest
from conftest import load_file

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "course_gap.py"
STORED = ROOT / "book" / "_data" / "course_gap.json"


@pytest.fixture(scope="module")
def gap():
    module = load_file(SCRIPT)  # one torch thread: conftest's session-wide one_thread
    yield module
    del sys.modules["course_gap"]


def test_loader_gives_the_notebooks_first_validation_batch(gap):
    # The notebook at course-v3 commit 53aecad printed, for bs=64 and bptt=70: 3 validation
    # batches holding 13,440 tokens, and the first column of x1 and y1 (fastai 1.0.42's ids).
    _, valid, vocab_size = gap.course_vocab_data()
    assert vocab_size == 38
    dl = gap.PreLoader(valid, 64, 70)
    batches = list(dl)
    assert len(batches) == 3 and sum(x.numel() for x, _ in batches) == 13440
    x1, y1 = batches[0]
    assert x1[:, 0].tolist() == [
        2, 8, 10, 11, 12, 10, 9, 8, 9, 13, 18, 24, 18, 14, 15, 10, 18, 8, 9, 8, 18, 24, 18, 10,
        18, 10, 9, 8, 18, 19, 10, 25, 19, 22, 19, 19, 23, 19, 10, 13, 10, 10, 8, 13, 8, 19, 9,
        19, 34, 16, 10, 9, 8, 16, 8, 19, 9, 19, 10, 19, 10, 19, 19, 19]
    assert y1[:, 0].tolist() == [
        18, 18, 26, 9, 8, 11, 31, 18, 25, 9, 10, 14, 10, 9, 8, 14, 10, 18, 25, 18, 10, 17, 10,
        17, 8, 17, 20, 18, 9, 9, 19, 8, 10, 15, 10, 10, 12, 10, 12, 8, 12, 13, 19, 9, 19, 10,
        23, 10, 8, 8, 15, 16, 19, 9, 19, 10, 23, 10, 18, 8, 18, 10, 10, 9]
    # the last row runs on past the end of the stream into its start
    assert batches[-1][0][-1, -1].item() == valid[(int(63 * len(valid) / 64) + 3 * 70 - 1)
                                                  % len(valid)].item()


def test_book_setting_is_the_packages_trainer(gap):
    from rnnbook import train
    from rnnbook.learner import SilentReporter

    _, history = train("fc3", seed=0, device="cpu", reporter=SilentReporter())
    rows = gap.run("fc3", 0)
    assert [r["accuracy"] for r in rows] == history.column("accuracy")


@pytest.mark.skipif(not STORED.is_file(), reason="no stored ablation")
def test_stored_table_is_what_the_script_makes(gap):
    stored = json.loads(STORED.read_text())
    assert stored["commit"] == gap.COMMIT and stored["course"] == gap.COURSE
    for r in stored["rows"]:
        assert (r["variant"], r["switches"]) in gap.variants(r["model"])
        assert r["mean"] == pytest.approx(statistics.mean(r["accuracies"]))
    # one cheap row again: every switch at once, seed 0 (another CPU may round differently)
    label, switches = gap.variants("fc3")[-1]
    row = next(r for r in stored["rows"] if r["model"] == "fc3" and r["variant"] == label)
    fresh = gap.run("fc3", 0, **switches)[-1]["accuracy"]
    assert fresh == pytest.approx(row["accuracies"][0], abs=0.005)
