import pytest
import torch
from num2words import num2words

from rnnbook.data import (
    BOS,
    LMLoader,
    Vocab,
    load_human_numbers,
    number_to_words,
    read_human_numbers,
    show_batch,
    tokenize,
    write_human_numbers,
)


def independent_spelling(n: int) -> str:
    """num2words' British spelling, without "and", commas and hyphens."""
    words = num2words(n).replace("-", " ").replace(",", "").split()
    return " ".join(w for w in words if w != "and")


@pytest.mark.parametrize("n", [1, 9, 10, 13, 19, 20, 21, 99, 100, 101, 110, 999, 1000, 1001,
                               1010, 1100, 7999, 8000, 8001, 8017, 9090, 9999])
def test_words_for_chosen_numbers_match_an_independent_spelling(n):
    assert number_to_words(n) == independent_spelling(n)


def test_words_for_every_number_match_an_independent_spelling():
    mismatches = [n for n in range(1, 10000) if number_to_words(n) != independent_spelling(n)]
    assert mismatches == []


def test_the_lessons_examples():
    assert number_to_words(8001) == "eight thousand one"
    assert number_to_words(9999) == "nine thousand nine hundred ninety nine"


@pytest.mark.parametrize("bad", [0, -1, 10000, 2.0, "12", None, True])
def test_number_to_words_refuses_bad_input(bad):
    with pytest.raises(ValueError, match="1..9999"):
        number_to_words(bad)


def test_streams_have_the_lessons_lengths(data):
    assert len(data.valid) == 13017
    assert data.valid[0].item() == data.vocab.stoi[BOS]
    assert (data.valid == data.vocab.stoi[BOS]).sum() == 1
    # 1..7999 and 8001..9999: one token per word, one comma between numbers, one xxbos
    words = sum(len(number_to_words(n).split()) for n in range(1, 8000))
    assert len(data.train) == 1 + words + 7998


def test_vocab_is_the_courses(data):
    v = data.vocab
    assert len(v) == 40
    assert v.itos[9:14] == [",", "hundred", "thousand", "one", "two"]
    assert v.textify(data.valid[:8]) == "xxbos eight thousand one , eight thousand two"


def test_vocab_maps_unknown_words_to_xxunk(data):
    ids = data.vocab.numericalize(["one", "eleventy", ","])
    assert ids.tolist() == [data.vocab.stoi["one"], 0, data.vocab.stoi[","]]
    assert data.vocab.textify(ids) == "one xxunk ,"


def test_vocab_refuses_duplicates():
    with pytest.raises(ValueError, match="twice"):
        Vocab(["xxunk", "a", "a"])


def test_files_round_trip(tmp_path, data):
    write_human_numbers(tmp_path)
    lines = (tmp_path / "train.txt").read_text().splitlines()
    assert lines[0] == "one" and lines[-1] == "seven thousand nine hundred ninety nine"
    assert len(lines) == 7999
    assert (tmp_path / "valid.txt").read_text().splitlines()[0] == "eight thousand one"
    loaded = load_human_numbers(tmp_path)
    assert torch.equal(loaded.train, data.train) and torch.equal(loaded.valid, data.valid)
    assert loaded.vocab.itos == data.vocab.itos


def test_malformed_file_names_file_and_line(tmp_path):
    write_human_numbers(tmp_path)
    f = tmp_path / "valid.txt"
    lines = f.read_text().splitlines()
    lines[41] = "eight thousand fourty two"
    f.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=r"valid\.txt, line 42: 'fourty'"):
        load_human_numbers(tmp_path)


def test_empty_line_and_missing_file_are_refused(tmp_path):
    f = tmp_path / "train.txt"
    f.write_text("one\n\nthree\n")
    with pytest.raises(ValueError, match="line 2: empty"):
        read_human_numbers(f)
    with pytest.raises(ValueError, match="no such folder"):
        load_human_numbers(tmp_path / "nowhere")


def test_tokenize_puts_commas_between_numbers():
    assert tokenize(["one", "two hundred"]) == [BOS, "one", ",", "two", "hundred"]


def test_batches_cover_rows_contiguously_and_y_is_x_shifted(data):
    dl = LMLoader(data.valid, bs=64, bptt=70)
    row_len = (13017 - 1) // 64
    assert dl.row_len == row_len and len(dl) == 3
    batches = list(dl)
    assert [x.shape for x, _ in batches] == [(64, 70), (64, 70), (64, row_len - 140)]
    xs = torch.cat([x for x, _ in batches], 1)
    ys = torch.cat([y for _, y in batches], 1)
    for i in (0, 1, 63):  # row i of batch k+1 continues row i of batch k
        assert torch.equal(xs[i], data.valid[i * row_len:(i + 1) * row_len])
    assert torch.equal(ys[:, :-1], xs[:, 1:])
    assert torch.equal(ys[:, -1], data.valid[torch.arange(1, 65) * row_len])


def test_the_lessons_walk_through(data):
    (x1, y1), (x2, _), _ = list(LMLoader(data.valid, bs=64, bptt=70))
    v = data.vocab
    assert v.textify(x1[0]).startswith("xxbos eight thousand one , eight thousand two")
    assert v.textify(y1[0]).startswith("eight thousand one , eight thousand two")
    assert v.textify(x1[1]).startswith(", eight thousand forty six")
    # the second batch of row 0 picks up right where the first left off
    assert v.textify(torch.cat([x1[0, -3:], x2[0, :3]])) == v.textify(data.valid[67:73])


def test_drop_last_keeps_only_full_windows(data):
    dl = LMLoader(data.train, bs=64, bptt=3, drop_last=True)
    assert {x.shape[1] for x, _ in dl} == {3}
    assert len(dl) == (len(data.train) - 1) // 64 // 3


@pytest.mark.parametrize("bs,bptt,message", [
    (0, 10, "bs must be a positive int"),
    (-3, 10, "bs must be a positive int"),
    (64, 0, "bptt must be a positive int"),
    (64, 2.5, "bptt must be a positive int"),
    (20000, 5, "bs=20000 is too large"),
    (64, 500, "bptt=500 is longer than a row"),
])
def test_bad_batch_settings_are_refused(data, bs, bptt, message):
    with pytest.raises(ValueError, match=message):
        LMLoader(data.valid, bs=bs, bptt=bptt)


def test_show_batch_prints_rows_as_text(data):
    x, _ = next(iter(LMLoader(data.valid, bs=64, bptt=70)))
    text = show_batch(x, data.vocab, rows=2, width=40)
    lines = text.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("  0  xxbos eight thousand one") and lines[0].endswith("...")
    with pytest.raises(ValueError, match="2-D"):
        show_batch(x[0], data.vocab)


def test_moving_a_loader_keeps_its_batches(data):
    dl = LMLoader(data.valid, bs=16, bptt=30)
    moved = dl.to("cpu")
    assert moved is not dl and len(moved) == len(dl)
    for (x1, y1), (x2, y2) in zip(dl, moved, strict=True):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)


def test_number_words_are_exactly_the_words_the_numbers_use():
    from rnnbook.data import NUMBER_WORDS, number_to_words

    used = {w for n in range(1, 10000) for w in number_to_words(n).split()}
    assert NUMBER_WORDS == used
    assert len(NUMBER_WORDS) == 29
