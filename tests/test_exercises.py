"""The chapters' exercises: every checker passes the book's own solution, rejects plausible
wrong answers with a message that names what is wrong, and answers bad input with a message,
never a traceback; every chapter has its questions and code exercises; and a wrong solution
fails the book's build."""

import re
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from conftest import build_book, tiny_book
from torch import nn

from rnnbook import exercises
from rnnbook.analysis import slot_labels
from rnnbook.data import ONES, TENS
from rnnbook.models import EveryToken, Loop3, Stateful

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ["data", "fully_connected", "state", "gates", "regularisation", "inside", "errors",
            "stronger", "seq2seq"]
CHECKERS = [name for name in exercises.__all__ if name.startswith("check_")]


# -- The book's own solutions --------------------------------------------------------------------

def exercise_cells(chapter: str) -> list:
    """The cells of a chapter's Exercises section, in order."""
    nb = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    start = next(i for i, c in enumerate(nb.cells)
                 if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    return nb.cells[start:]


def solution_code(chapter: str) -> list[str]:
    """The code cells inside the chapter's gated solutions (``solution-start`` .. ``-end``)."""
    inside, code = False, []
    for cell in exercise_cells(chapter):
        if cell.cell_type == "markdown":
            starts, ends = ":::{solution-start}" in cell.source, ":::{solution-end}" in cell.source
            inside = (inside or starts) and not ends
        elif inside:
            code.append(cell.source)
    return code


def run_solutions(chapter: str, data, capsys) -> tuple[str, str]:
    """Run the chapter's solution cells that call a checker, in order, in one namespace that
    holds what the chapter made before (``data``, ``v``); return their stdout and stderr."""
    namespace = {"data": data, "v": data.vocab, "torch": torch, "nn": nn, "F": F}
    capsys.readouterr()
    for source in solution_code(chapter):
        if "check_" in source:
            exec(compile(source, f"<{chapter} solution>", "exec"), namespace)
    captured = capsys.readouterr()
    return captured.out, captured.err


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_books_solutions_pass_their_checks(chapter, data, capsys):
    out, err = run_solutions(chapter, data, capsys)
    assert err == "", err
    calls = [line for source in solution_code(chapter) for line in source.splitlines()
             if line.startswith("check_")]
    assert len(calls) >= 2 and out.count("✓ ") == len(calls), out


def test_every_checker_is_used_by_a_chapter():
    used = {m for ch in CHAPTERS for source in solution_code(ch) for m in re.findall(r"^(check_\w+)\(",
                                                                                     source, re.M)}
    assert used == set(CHECKERS)


# -- Counting the exercises -----------------------------------------------------------------------

def count_in_source(chapter: str) -> dict:
    """Questions, code exercises and their solutions, read from the notebook's cells."""
    cells = exercise_cells(chapter)
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    labels = re.findall(r":::\{exercise\}\n:label: ([\w-]+)", text)
    answered = set(re.findall(r":::\{solution\} ([\w-]+)\n:class: dropdown", text))
    gated, current = set(), None
    for cell in cells:
        if cell.cell_type == "markdown" and (m := re.search(r":::\{solution-start\} ([\w-]+)", cell.source)):
            current = m.group(1)
        elif cell.cell_type == "code" and current and re.search(r"^check_\w+\(", cell.source, re.M):
            gated.add(current)
    return {"exercises": len(labels), "labels": labels,
            "questions": len([x for x in labels if x in answered]),
            "code": len([x for x in labels if x in gated])}


def count_in_html(html: str) -> dict:
    """The same counts, read from a built page."""
    exercise_ids = re.findall(r'<div class="exercise admonition" id="([\w-]+)"', html)
    solutions = re.findall(r'<div class="solution dropdown admonition"[^>]*>(.*?)</section>\s*</div>',
                           html, re.S)
    solved = {m.group(1): body for body in solutions
              if (m := re.search(r'href="#([\w-]+)"', body))}
    code = [x for x in exercise_ids if x in solved and 'class="cell_output' in solved[x]
            and "✓" in solved[x]]
    questions = [x for x in exercise_ids if x in solved and x not in code]
    return {"exercises": len(exercise_ids), "questions": len(questions), "code": len(code)}


def test_every_chapter_has_five_questions_and_two_code_exercises_with_solutions():
    counts = {ch: count_in_source(ch) for ch in CHAPTERS}
    print("\nexercises per chapter (from the notebooks' sources):")
    print(f"{'chapter':<18}{'questions':>10}{'code':>6}")
    for ch, c in counts.items():
        print(f"{ch:<18}{c['questions']:>10}{c['code']:>6}")
    for ch, c in counts.items():
        assert c["questions"] >= 5 and c["code"] >= 2, (ch, c)
        assert c["questions"] + c["code"] == c["exercises"], f"{ch}: an exercise without a solution"
    labels = [label for c in counts.values() for label in c["labels"]]
    assert len(labels) == len(set(labels)), "exercise labels must be unique across the book"
    prefixes = {"fully_connected": "fc", "regularisation": "reg", "errors": "err", "stronger": "str"}
    for ch, c in counts.items():
        assert all(label.startswith(prefixes.get(ch, ch) + "-") for label in c["labels"]), ch


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_built_site_shows_every_exercise_with_its_solution(chapter):
    """On the HTML of a built site (``_build/html``, when it is newer than the chapter): the same
    counts as the sources, and each code solution shows its check's ✓."""
    page, source = ROOT / "_build" / "html" / "book" / f"{chapter}.html", ROOT / "book" / f"{chapter}.ipynb"
    if not page.is_file() or page.stat().st_mtime < source.stat().st_mtime:
        pytest.skip("no built site newer than the chapter: build the book to count on its pages")
    counts = count_in_html(page.read_text())
    print(f"\n{chapter} (built page): {counts['questions']} questions, {counts['code']} code exercises")
    expected = count_in_source(chapter)
    assert counts == {k: expected[k] for k in ("exercises", "questions", "code")}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exercise_code_fits_its_dropdown_and_leaves_the_chapter_before_it_alone(chapter):
    cells = exercise_cells(chapter)
    assert all(c.get("id", "").startswith("exercises-") for c in cells), "the section is appended last"
    # a solution's code sits in an indented dropdown, where 72 columns show without scrolling
    long = [line for c in cells if c.cell_type == "code" for line in c.source.splitlines() if len(line) > 72]
    assert long == []


# -- Wrong answers ---------------------------------------------------------------------------------

def failure(check, answer, capsys) -> str:
    """Run a check that must fail; return its message (from stderr), after checking its form."""
    capsys.readouterr()
    result = check(answer)
    captured = capsys.readouterr()
    assert not result and isinstance(result, exercises.Check)
    assert captured.out == "" and captured.err.startswith("✗ "), captured
    assert "Traceback" not in captured.err
    assert captured.err.strip() == result.message
    return result.message


def words_hundred_multiplies_all(text):
    values = {w: i for i, w in enumerate(ONES) if w} | {w: 10 * i for i, w in enumerate(TENS) if w}
    total = 0
    for word in text.split():
        if word in ("thousand", "hundred"):
            total *= 1000 if word == "thousand" else 100  # "hundred" also multiplies the thousands
        else:
            total += values[word]
    return total


def batch_rows_without_held_back_token(stream, vocab, bs, bptt, k):
    row_len = len(stream) // bs  # forgets that y needs one token more than x
    return [vocab.textify(stream[i * row_len + k * bptt:i * row_len + min((k + 1) * bptt, row_len)])
            for i in range(bs)]


def next_word_in_training_mode(model, vocab, text):
    ids = vocab.numericalize(text.split())[None]
    return vocab.itos[model(ids).argmax(-1).item()]


def next_word_without_argmax(model, vocab, text):
    model.eval()
    return vocab.itos[model(vocab.numericalize(text.split())[None])[0, 0].long().clamp(0, 39).item()]


class LoopThatPeeks(EveryToken):
    """Predicts at position t from tokens up to t + 1: reads the future."""

    def forward(self, x):
        return super().forward(torch.cat([x[:, 1:], x[:, -1:]], 1))


class LoopThatKeeps(EveryToken):
    """Carries its state over between calls (the every-token model must not)."""

    h = None

    def forward(self, x):
        h = self.h if self.h is not None else torch.zeros(x.shape[0], self.n_hidden)
        outs = []
        for i in range(x.shape[1]):
            h = F.relu(self.h_h(h + self.i_h(x[:, i])))
            outs.append(self.h_o(self.bn(h)))
        self.h = h.detach()
        return torch.stack(outs, 1)


class NoRecurrence(EveryToken):
    """Forgets the state at every step: each prediction sees one token only."""

    def forward(self, x):
        return self.h_o(F.relu(self.h_h(self.i_h(x))))


class StatefulUndetached(Stateful):
    def _keep(self, *state):
        self.h = state[0]  # keeps the autograd history


class StatefulNoReset(Stateful):
    def reset(self):
        pass  # forgets nothing


class GRUCellSwapped(nn.Module):
    def __init__(self, n_in, n_hid):
        super().__init__()
        self.ih, self.hh = nn.Linear(n_in, 3 * n_hid), nn.Linear(n_hid, 3 * n_hid)

    def forward(self, x, h):
        i_r, i_z, i_n = self.ih(x).chunk(3, 1)
        h_r, h_z, h_n = self.hh(h).chunk(3, 1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        return z * torch.tanh(i_n + r * h_n) + (1 - z) * h  # z and 1 - z swapped


class GRUCellNoReset(GRUCellSwapped):
    def forward(self, x, h):
        i_r, i_z, i_n = self.ih(x).chunk(3, 1)
        h_r, h_z, h_n = self.hh(h).chunk(3, 1)
        z = torch.sigmoid(i_z + h_z)
        return (1 - z) * torch.tanh(i_n + h_n) + z * h


class GRUCellCho(GRUCellSwapped):
    def forward(self, x, h):  # Cho et al. (2014): the reset gate before the product
        i_r, i_z, i_n = self.ih(x).chunk(3, 1)
        h_r, h_z, _ = self.hh(h).chunk(3, 1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        h_n = self.hh(r * h).chunk(3, 1)[2]  # W_hn (r * h) + b_hn
        return (1 - z) * torch.tanh(i_n + h_n) + z * h


class GRUCellChoSwapped(GRUCellSwapped):
    def forward(self, x, h):
        i_r, i_z, i_n = self.ih(x).chunk(3, 1)
        h_r, h_z, _ = self.hh(h).chunk(3, 1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        return z * torch.tanh(i_n + self.hh(r * h).chunk(3, 1)[2]) + (1 - z) * h


class GRUCellOneLayer(nn.Module):
    def __init__(self, n_in, n_hid):
        super().__init__()
        self.gates = nn.Linear(n_in + n_hid, 3 * n_hid)


class LSTMCellNoForget(nn.Module):
    def __init__(self, n_in, n_hid):
        super().__init__()
        self.ih, self.hh = nn.Linear(n_in, 4 * n_hid), nn.Linear(n_hid, 4 * n_hid)

    def forward(self, x, state):
        h, c = state
        i, f, g, o = (self.ih(x) + self.hh(h)).chunk(4, 1)
        c = c + torch.sigmoid(i) * torch.tanh(g)  # forgets nothing
        return torch.sigmoid(o) * torch.tanh(c), c


class LSTMCellReturnsH(LSTMCellNoForget):
    def forward(self, x, state):
        return super().forward(x, state)[0]


class DropoutUnscaled(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return x * (torch.rand_like(x) >= self.p) if self.training else x


class DropoutAlways(DropoutUnscaled):
    def forward(self, x):
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)  # also at evaluation


class DropoutWrongRate(DropoutUnscaled):
    def forward(self, x):
        keep = torch.rand_like(x) >= 1 - self.p  # keeps p instead of 1 - p
        return x * keep / (1 - self.p) if self.training else x


class DropoutFixedMask(DropoutUnscaled):
    def forward(self, x):
        if not self.training:
            return x
        g = torch.Generator().manual_seed(0)
        return x * (torch.rand(x.shape, generator=g) >= self.p) / (1 - self.p)


def ar_tar_swapped(raw, dropped, alpha, beta):
    return alpha * raw.pow(2).mean() + beta * (dropped[:, 1:] - dropped[:, :-1]).pow(2).mean()


def ar_tar_over_batch(raw, dropped, alpha, beta):
    return alpha * dropped.pow(2).mean() + beta * (raw[1:] - raw[:-1]).pow(2).mean()


def ar_tar_float(raw, dropped, alpha, beta):
    raw, dropped = raw.detach(), dropped.detach()
    return float(alpha * dropped.pow(2).mean() + beta * (raw[:, 1:] - raw[:, :-1]).pow(2).mean())


def errors_by_input_slot(x, preds, targets, vocab):
    counts = {}
    for slot, bad in zip(slot_labels(x.flatten(), vocab), (preds != targets).flatten().tolist(), strict=True):
        counts[slot] = counts.get(slot, 0) + bad
    return counts


def errors_by_slot_row_by_row(x, preds, targets, vocab):
    counts = {}
    for row, wrong in zip(targets, preds != targets, strict=True):  # a row's last digit loses its slot
        for slot, bad in zip(slot_labels(row, vocab), wrong.tolist(), strict=True):
            counts[slot] = counts.get(slot, 0) + bad
    return counts


def unseen_words_not_pairs(train, valid, vocab):
    seen = set(train.tolist())
    return {(vocab.itos[a], vocab.itos[b]) for a, b in zip(valid[:-1].tolist(), valid[1:].tolist(),
                                                           strict=True) if b not in seen}


def unseen_pairs_list(train, valid, vocab):
    return ["eight thousand"]


def is_causal_without_reset(model, x, t):
    changed = x.clone()
    changed[:, t + 1:] = (changed[:, t + 1:] + 1) % 40
    with torch.no_grad():
        before, after = model(x), model(changed)  # the second run starts from the first one's state
    return torch.equal(before[:, :t + 1], after[:, :t + 1])


def is_causal_next_token_only(model, x, t):
    changed = x.clone()
    if t + 1 < x.shape[1]:
        changed[:, t + 1] = (changed[:, t + 1] + 1) % 40
    with torch.no_grad():
        model.reset()
        before = model(x)
        model.reset()
        after = model(changed)
    return torch.equal(before[:, :t + 1], after[:, :t + 1])


def is_causal_as_tensor(model, x, t):
    return torch.tensor(True)


def copy_guess_one_token(ids):
    for s in reversed(range(len(ids) - 1)):
        if ids[s] == ids[-1]:  # matches the token alone, not the pair
            return ids[s + 1]
    return None


def copy_guess_earliest(ids):
    for s in range(1, len(ids) - 1):  # the earliest match instead of the latest
        if ids[s] == ids[-1] and ids[s - 1] == ids[-2]:
            return ids[s + 1]
    return None


def step_back_no_tanh(dh, h, h_prev, W):
    return dh, dh.T @ h_prev, dh @ W


def step_back_transposed(dh, h, h_prev, W):
    da = dh * (1 - h ** 2)
    return da, h_prev.T @ da, da @ W


def unit_corr_uncentred(states, flags):
    return (states * flags[:, None]).sum(0) / (states.norm(dim=0) * flags.norm())


def exact_counts_padding(pred, y):
    return (pred == y).all(1).float().mean().item()


def attend_unmasked(enc, q, pad):
    w = (enc @ q[:, :, None]).squeeze(-1).softmax(-1)
    return w, (w[:, :, None] * enc).sum(1)


WRONG = [
    ("check_exact", exact_counts_padding, "on a batch where 2 of 4 rows are right"),
    ("check_exact", lambda pred, y: "all", "expected a number"),
    ("check_attend", attend_unmasked, "padding must get weight 0"),
    ("check_attend", lambda enc, q, pad: q, "expected a tuple (weights, context)"),
    ("check_step_back", step_back_no_tanh, "da differs from autograd's"),
    ("check_step_back", step_back_transposed, "dW differs from autograd's"),
    ("check_step_back", lambda dh, h, h_prev, W: dh, "expected a tuple (da, dW, dh_prev)"),
    ("check_unit_corr", unit_corr_uncentred, "unit_corr differs from the correlation"),
    ("check_words_to_number", words_hundred_multiplies_all,
     "words_to_number('one thousand one hundred') is 100100, expected 1100"),
    ("check_words_to_number", lambda text: str(len(text)), "expected the int 1"),
    ("check_batch_rows", batch_rows_without_held_back_token, "bs=4, bptt=7, k=3): row 0 is"),
    ("check_batch_rows", lambda stream, vocab, bs, bptt, k: "one two", "expected a list of 64 strings"),
    ("check_loop3", Loop3, "in train mode, with FullyConnected3's weights, the scores differ"),
    ("check_loop3", EveryToken, "has shape (8, 3, 40), expected (8, 40)"),
    ("check_next_word", next_word_in_training_mode, "(put the model in evaluation mode first)"),
    ("check_next_word", next_word_without_argmax, "but the model ranks"),
    ("check_every_token", LoopThatPeeks, "changing the tokens after position 0 changes the scores at "
                                         "position 0"),
    ("check_every_token", LoopThatKeeps, "the same batch read twice gives different scores"),
    ("check_every_token", NoRecurrence, "changing the first token does not change the scores at position 1"),
    ("check_every_token", Loop3, "has shape (6, 40), expected (6, 8, 40)"),
    ("check_stateful", EveryToken, "has no reset() method"),
    ("check_stateful", StatefulUndetached, "gradients flow back into the previous batch"),
    ("check_stateful", StatefulNoReset, "reset() must forget the state"),
    ("check_gru_cell", GRUCellSwapped, "z and 1 - z are swapped (z keeps the old state in "
                                       "nn.GRUCell; in the convention of Chung et al. (2014) "
                                       "and minGRU, z takes the candidate)"),
    ("check_gru_cell", GRUCellNoReset, "the reset gate r is not used"),
    ("check_gru_cell", GRUCellCho, "this is the GRU of Cho et al. (2014) and d2l, reset before "
                                   "the product (W_hn (r * h)); nn.GRUCell applies it after"),
    ("check_gru_cell", GRUCellChoSwapped, "reset before the product (W_hn (r * h)); nn.GRUCell "
                                          "applies it after (r * (W_hn h + b_hn)), and z and 1 - z"),
    ("check_gru_cell", GRUCellOneLayer, "needs an attribute ih = nn.Linear(5, 12)"),
    ("check_lstm_cell", LSTMCellNoForget, "the new c differs from nn.LSTMCell's"),
    ("check_lstm_cell", LSTMCellReturnsH, "expected a pair (h, c)"),
    ("check_dropout", DropoutUnscaled, "scaled by 1 / (1 - p) = 1.667"),
    ("check_dropout", DropoutAlways, "in evaluation mode DropoutAlways changed its input"),
    ("check_dropout", DropoutWrongRate, "of the activations, expected about 40%"),
    ("check_dropout", DropoutFixedMask, "two calls dropped the very same activations"),
    ("check_ar_tar", ar_tar_swapped, "the AR part (alpha=2, beta=0) is"),
    ("check_ar_tar", ar_tar_over_batch, "the TAR part (alpha=0, beta=1) is"),
    ("check_ar_tar", ar_tar_float, "expected a tensor holding one number"),
    ("check_errors_by_slot", errors_by_input_slot, "that is the count by the slot of the token read"),
    ("check_errors_by_slot", errors_by_slot_row_by_row, "label them as one stream"),
    ("check_unseen_pairs", unseen_words_not_pairs, "misses"),
    ("check_unseen_pairs", unseen_pairs_list, "expected a set of (word, word) pairs"),
    ("check_is_causal", is_causal_without_reset, "a stateful model must be reset before each run"),
    ("check_is_causal", is_causal_next_token_only, "says True for a GRU that reads 3 tokens ahead"),
    ("check_is_causal", is_causal_as_tensor, "expected True or False"),
    ("check_copy_guess", copy_guess_one_token, "expected"),
    ("check_copy_guess", copy_guess_earliest, "expected"),
]


@pytest.mark.parametrize("checker,answer,expected", WRONG,
                         ids=[f"{c}-{getattr(a, '__name__', 'lambda')}" for c, a, _ in WRONG])
def test_a_wrong_answer_is_rejected_with_a_message_naming_what_is_wrong(checker, answer, expected, capsys):
    message = failure(getattr(exercises, checker), answer, capsys)
    assert expected in message, message


def test_every_checker_rejects_at_least_one_wrong_answer_in_these_tests():
    assert {c for c, _, _ in WRONG} == set(CHECKERS)


# -- Bad input ---------------------------------------------------------------------------------------

class CannotBeBuilt(nn.Module):
    def __init__(self, *args):
        raise RuntimeError("I was never finished")


def raises(*args):
    raise KeyError("oops")


@pytest.mark.parametrize("checker", CHECKERS)
@pytest.mark.parametrize("answer,expected", [
    (CannotBeBuilt, "raised RuntimeError: I was never finished"),
    (raises, "raised KeyError: 'oops'"),
    (42, "must be a function or a class, got int"),
], ids=["class-that-cannot-be-built", "function-that-raises", "not-callable"])
def test_bad_input_gets_a_message_not_a_traceback(checker, answer, expected, capsys):
    message = failure(getattr(exercises, checker), answer, capsys)
    assert expected in message or (answer is raises and "raised" in message), message


@pytest.mark.parametrize("checker", CHECKERS)
def test_a_plain_object_instead_of_a_model_or_function_is_named(checker, capsys):
    message = failure(getattr(exercises, checker), object, capsys)
    assert "object" in message, message


def test_a_check_leaves_the_global_random_state_alone(capsys):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    exercises.check_dropout(nn.Dropout)
    assert torch.equal(torch.rand(3), expected)
    assert capsys.readouterr().out.startswith("✓ ")


def test_a_check_shows_nothing_more_in_a_notebook():
    result = exercises.Check(True, "✓ fine")
    assert result and not exercises.Check(False, "✗ no")
    assert result._ipython_display_() is None


# -- The book's build runs the solutions ---------------------------------------------------------

EXERCISE_MD = """## Exercises

:::{exercise}
:label: tiny-question

What is $6 \\times 7$?
:::

:::{solution} tiny-question
:class: dropdown

42.
:::"""

CODE_MD = """:::{exercise}
:label: tiny-gru-cell

Write `MyGRUCell`.
:::"""


def tiny_exercise_book(folder: Path, solution: str) -> Path:
    """A one-chapter book whose Exercises section has a question and a code exercise whose
    gated solution is ``solution``."""
    tiny_book(folder, "print(6 * 7)")
    path = folder / "book" / "chapter.ipynb"
    nb = nbformat.read(path, as_version=4)
    md = nbformat.v4.new_markdown_cell
    nb.cells += [md(EXERCISE_MD), md(CODE_MD),
                 md(":::{solution-start} tiny-gru-cell\n:class: dropdown\n:::"),
                 nbformat.v4.new_code_cell(solution), md(":::{solution-end}\n:::")]
    nbformat.write(nb, path)
    return folder


def gru_solution(update: str) -> str:
    """The gates chapter's solution, with its last line of ``forward`` replaced by ``update``."""
    code = next(s for s in solution_code("gates") if "check_gru_cell(" in s)
    return "import torch\n" + code.replace("return (1 - z) * n + z * h", f"return {update}")


@pytest.mark.slow
@pytest.mark.parametrize("update,expect_ok", [("(1 - z) * n + z * h", True), ("z * n + (1 - z) * h", False)],
                         ids=["right-solution", "wrong-solution"])
def test_the_build_runs_each_solution_and_fails_when_it_is_wrong(tmp_path, update, expect_ok):
    result = build_book(tiny_exercise_book(tmp_path, gru_solution(update)))
    log = result.stdout + result.stderr
    if expect_ok:
        assert result.returncode == 0, log[-3000:]
        html = (tmp_path / "_build" / "html" / "book" / "chapter.html").read_text()
        assert count_in_html(html) == {"exercises": 2, "questions": 1, "code": 1}
        assert "✓ MyGRUCell computes the GRU" in html
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert sorted({i for i in ids if ids.count(i) > 1}) == [], "every id once on the page"
    else:
        assert result.returncode != 0, "a wrong solution must fail the build"
        assert "stderr was found in the cell outputs" in log, log[-3000:]
        # the page that --keep-going still writes shows the reader's message, not a traceback
        html = (tmp_path / "_build" / "html" / "book" / "chapter.html").read_text()
        assert "✗ MyGRUCell(x, h) differs from nn.GRUCell" in html and "z and 1 - z are swapped" in html
        assert "Traceback" not in html
