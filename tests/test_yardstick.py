"""One yardstick: every recipe is validated on 64 rows, whatever it trains with; the one-row
score; each recipe's ceiling; the table's columns."""

import json
import subprocess
import sys

import pytest

from rnnbook import LMLoader, build
from rnnbook.analysis import ceiling
from rnnbook.cli import format_table, main
from rnnbook.experiments import RECIPES, VALID_ROWS, ceiling_for, one_row_accuracy


@pytest.mark.parametrize("key, bs", [("gru2", 64), ("gru2", 16), ("copy_gru", 32), ("fc3", 8)])
def test_every_recipe_is_validated_on_64_rows_whatever_it_trains_with(data, key, bs):
    learn = build(RECIPES[key].with_(bs=bs), data)
    assert learn.train_dl.bs == bs
    assert learn.valid_dl.bs == VALID_ROWS == 64
    assert learn.valid_dl.bptt == RECIPES[key].bptt


def test_one_row_accuracy_reads_the_stream_as_one_row(data):
    learn = build("stateful", data)
    one = one_row_accuracy(learn, data)
    # the same as validating on a one-row loader by hand, and not the 64-row score
    assert one == learn.validate(LMLoader(data.valid, 1, 20))[1]
    assert one != learn.validate()[1]
    assert learn.valid_dl.bs == 64  # the learner's own validation batches are left alone


def test_each_recipe_is_measured_against_the_ceiling_of_what_it_sees(data):
    stateful = ceiling(data.valid, 64)["accuracy"]
    assert ceiling_for("gru2") == ceiling_for("copy_gru") == ceiling_for("stateful") == stateful
    assert ceiling_for("gru2", rows=1) == 1.0
    # a model that empties its state every window sees less, so its ceiling is lower
    assert ceiling_for("every") == ceiling(data.valid, 64, window=20)["accuracy"] < stateful
    assert ceiling_for("fc3") == ceiling(data.valid, 64, window=3, last_only=True)["accuracy"]
    assert ceiling_for("fc3") < ceiling_for("every")
    assert ceiling_for("fc3", data=data) == ceiling_for("fc3")  # given data or not


def test_table_json_rows_have_both_yardsticks_and_the_ceiling():
    out = subprocess.run([sys.executable, "-m", "rnnbook", "table", "--models", "fc3", "--seeds", "2",
                          "--json"], capture_output=True, text=True, check=True).stdout
    (row,) = json.loads(out)
    assert {"accuracy", "accuracy_one_row", "ceiling", "ceiling_one_row"} <= set(row)
    assert 0 < row["accuracy"] < row["ceiling"] < 1
    assert 0 < row["accuracy_one_row"] < row["ceiling_one_row"] < 1
    text = format_table([row])
    assert f"{row['accuracy_one_row']:.3f}" in text
    assert f"{100 * (row['accuracy'] - row['ceiling']):.1f}" in text


def test_ceiling_command_prints_both_yardsticks(capsys, data):
    assert main(["ceiling"]) == 0
    out = capsys.readouterr().out
    at_64 = ceiling(data.valid, 64)["accuracy"]
    assert f"64 rows          {at_64:.4f}" in out
    assert "one row          1.0000" in out
    with pytest.raises(SystemExit):
        main(["ceiling", "--rows", "0"])
