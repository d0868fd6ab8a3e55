import json
import math
import subprocess
import sys

import pytest

from rnnbook.cli import main


def test_train_prints_the_table_and_final_accuracy(capsys):
    assert main(["train", "--model", "every", "--epochs", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "train_loss" in out and "valid_loss" in out
    acc = float(out.strip().splitlines()[-1].split(":")[1])
    assert 0 < acc < 1


@pytest.mark.slow
def test_table_json_has_the_documented_keys():
    out = subprocess.run([sys.executable, "-m", "rnnbook", "table", "--models", "fc3,loop3",
                          "--seeds", "2", "--json"], capture_output=True, text=True, check=True).stdout
    rows = json.loads(out)
    assert [r["model"] for r in rows] == ["fc3", "loop3"]
    for r in rows:
        assert set(r) == {"model", "accuracy", "accuracy_sd", "accuracy_one_row", "ceiling",
                          "ceiling_one_row", "loss", "perplexity", "loss_floor",
                          "perplexity_floor", "counted", "counted_median", "reference",
                          "seconds_per_epoch", "device"}
        assert 0 < r["accuracy"] < 1 and r["accuracy_sd"] > 0 and r["device"] == "cpu"
        # perplexity: the mean of exp(loss) over the seeds, so at least exp(mean loss)
        assert r["perplexity"] >= math.exp(r["loss"]) * (1 - 1e-9)
        assert math.exp(r["loss_floor"]) == pytest.approx(r["perplexity_floor"])
        assert 1 <= r["perplexity_floor"] < r["perplexity"]
        assert r["loss_floor"] < r["loss"]
        assert 0 <= r["counted_median"] and 0 <= r["counted"] <= 100
    assert rows[0]["reference"] == 0.409


@pytest.mark.slow
def test_table_json_gives_a_translator_its_exact_match():
    out = subprocess.run([sys.executable, "-m", "rnnbook", "table", "--models", "seq2seq_attn",
                          "--seeds", "1", "--json"], capture_output=True, text=True, check=True).stdout
    (row,) = json.loads(out)
    assert row["model"] == "seq2seq_attn" and 0.99 <= row["exact_match"] <= 1
    assert row["ceiling"] is None and row["counted"] is None  # the language models' yardsticks


@pytest.mark.parametrize("argv,message", [
    (["train", "--model", "gru9"], "invalid choice"),
    (["train", "--bptt", "0"], "expected a positive int"),
    (["train", "--lr", "fast"], "expected a positive float"),
    (["train", "--model", "every", "--bptt", "100000"], "bptt=100000 is longer than a row"),
    (["table", "--models", "gru2,nope"], "unknown model 'nope'"),
])
def test_bad_arguments_exit_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_compare_gives_the_same_numbers_with_two_workers():
    from rnnbook.table import compare

    seen = []
    one = compare(["fc3"], seeds=2)
    two = compare(["fc3"], seeds=2, workers=2, progress=lambda key, seed, acc: seen.append((key, seed)))
    assert [r["accuracy"] for r in one] == [r["accuracy"] for r in two]
    assert one[0]["accuracy_sd"] == two[0]["accuracy_sd"] > 0
    assert sorted(seen) == [("fc3", 0), ("fc3", 1)]
    with pytest.raises(ValueError, match="workers must be a positive int"):
        compare(["fc3"], workers=0)
