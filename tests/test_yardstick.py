"""One yardstick: every recipe is validated on 64 rows, whatever it trains with; the one-row
score; each recipe's ceiling; the table's columns."""

import json
import math
import subprocess
import sys

import pytest

from rnnbook import LMLoader, build
from rnnbook.cli import format_table, main
from rnnbook.recipes import RECIPES
from rnnbook.yardstick import VALID_ROWS, ceiling, ceiling_for, loss_floor, loss_floor_for, one_row_accuracy


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


@pytest.mark.slow
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
    floor = loss_floor(data.valid, 64)
    (line,) = [x for x in out.splitlines() if x.startswith("loss floor")]
    assert f"64 rows {floor['loss']:.4f} (perplexity {floor['perplexity']:.4f})" in line
    assert "one row 0.0000 (perplexity 1.0000)" in line
    with pytest.raises(SystemExit):
        main(["ceiling", "--rows", "0"])


# ceiling: tiny streams worked out by hand. Token ids: 0 "x", 1 "y", 2 "z".
# "x y x z x y x z x": after "x" comes "y" twice and "z" twice (a tie), after "y" always "x",
# after "x y" always "x", after "y x" always "z", and so on: one token of context is ambiguous
# only after "x", and two tokens settle everything.
REPEAT = [0, 1, 0, 2, 0, 1, 0, 2, 0]


def test_ceiling_two_rows_by_hand():
    # rows of (9 - 1) // 2 = 4 tokens, starting at 0 and 4. Each row starts on "x": a tie of
    # "y" and "z", right with probability 1/2; after that the context decides: 3.5 per row.
    result = ceiling(REPEAT, rows=2)
    assert result["right"].tolist() == [[0.5, 1, 1, 1], [0.5, 1, 1, 1]]
    assert result["accuracy"] == pytest.approx(7 / 8)
    assert (result["tokens"], result["ties"]) == (8, 2)


def test_ceiling_one_row_and_windows_by_hand():
    assert ceiling(REPEAT, rows=1)["accuracy"] == pytest.approx(7.5 / 8)  # one row start
    # the state emptied every 2 tokens: every window starts on an "x", a tie each time
    assert ceiling(REPEAT, rows=1, window=2)["right"].tolist() == [[0.5, 1] * 4]
    # scored only after two tokens ("x y" or "x z"): always known
    assert ceiling(REPEAT, rows=1, window=2, last_only=True)["accuracy"] == 1.0


def test_ceiling_counts_a_wrong_best_guess():
    # "x z x y x y x": after "x" comes "y" twice and "z" once, so a row that starts with "x"
    # guesses "y", wrong at the first row (the target is "z"). Rows of 3 tokens at 0 and 3.
    result = ceiling([0, 2, 0, 1, 0, 1, 0], rows=2)
    assert result["right"].tolist() == [[0, 1, 1], [1, 1, 1]]
    assert result["accuracy"] == pytest.approx(5 / 6)


def test_ceiling_is_what_the_book_quotes(data):
    # one row: the stream starts with "xxbos", so the whole stream is known at once
    assert ceiling(data.valid, rows=1)["accuracy"] == 1.0
    at_64 = ceiling(data.valid, rows=64)
    assert at_64["tokens"] == 64 * ((len(data.valid) - 1) // 64)
    assert 0.95 < at_64["accuracy"] < 1  # the row starts cost something, not everything
    # where the unavoidable errors sit: the first tokens of the rows
    assert at_64["right"][:, :10].mean() < at_64["right"][:, 10:].mean()


@pytest.mark.parametrize("kwargs, message", [
    ({"rows": 0}, "rows must be a positive int"),
    ({"window": 0}, "window must be a positive int"),
    ({"rows": 2.5}, "rows must be a positive int"),
    ({"last_only": True}, "needs a window"),
    ({"rows": 9}, "9 tokens are too short for 9 rows"),
])
def test_ceiling_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ceiling(REPEAT, **kwargs)


# the loss floor: the same predictor giving the distribution of what follows the matching
# places; its cross-entropy worked out by hand on the same streams.
def test_loss_floor_two_rows_by_hand():
    # each row starts on "x": "y" and "z" follow "x" twice each, so the target gets 1/2,
    # a loss of log 2; then the context decides (loss 0). Rows "x y x z" and "x y x z".
    result = loss_floor(REPEAT, rows=2)
    assert result["losses"].tolist() == [[pytest.approx(math.log(2)), 0, 0, 0]] * 2
    assert result["loss"] == pytest.approx(2 * math.log(2) / 8)
    assert result["perplexity"] == pytest.approx(2 ** (1 / 4))
    assert result["tokens"] == 8


def test_loss_floor_counts_the_odds_not_only_the_best_guess():
    # "x z x y x y x": after "x" comes "y" twice and "z" once. Row 1 starts "x" -> "z" (1/3),
    # row 2 starts "y" (after y always x) then "x y" -> "x"... every later token is known.
    result = loss_floor([0, 2, 0, 1, 0, 1, 0], rows=2)
    assert result["losses"].tolist() == [[pytest.approx(math.log(3)), 0, 0], [0, 0, 0]]
    # the ceiling scores the first token as wrong; the floor still gives it 1/3
    assert ceiling([0, 2, 0, 1, 0, 1, 0], rows=2)["right"][0, 0] == 0


def test_loss_floor_with_windows_by_hand():
    assert loss_floor(REPEAT, rows=1)["loss"] == pytest.approx(math.log(2) / 8)
    # state emptied every 2 tokens: every window starts on "x", log 2 each time
    windows = loss_floor(REPEAT, rows=1, window=2)
    assert windows["losses"].tolist() == [[pytest.approx(math.log(2)), 0] * 4]
    assert loss_floor(REPEAT, rows=1, window=2, last_only=True)["loss"] == 0.0


def test_loss_floor_is_below_every_model_and_matches_each_recipe(data):
    at_64 = loss_floor(data.valid, 64)
    assert loss_floor(data.valid, 1)["loss"] == 0.0  # xxbos tells where the row is
    assert 0 < at_64["loss"] < 0.2 and at_64["perplexity"] == pytest.approx(math.exp(at_64["loss"]))
    assert loss_floor_for("gru2") == loss_floor_for("copy_gru") == at_64["loss"]
    # the less a model sees, the higher its floor
    assert loss_floor_for("gru2") < loss_floor_for("every") < loss_floor_for("fc3")
    assert loss_floor_for("fc3", data=data) == loss_floor_for("fc3")
    # losses sit where the ceiling's errors sit: at the row starts
    assert at_64["losses"][:, :10].mean() > at_64["losses"][:, 10:].mean()


@pytest.mark.parametrize("kwargs, message", [
    ({"rows": 0}, "rows must be a positive int"),
    ({"last_only": True}, "needs a window"),
    ({"rows": 9}, "9 tokens are too short for 9 rows"),
])
def test_loss_floor_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        loss_floor(REPEAT, **kwargs)
