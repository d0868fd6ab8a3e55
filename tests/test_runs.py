"""The build's run cache: a run trained once in a build is loaded the second time, shows the same
epoch table, and is logged for the Build report."""

import io
import json

import torch

from rnnbook import runs, train
from rnnbook.learner import TextReporter

TINY = {"epochs": 1, "hidden": 8}


def _table(**kwargs):
    out = io.StringIO()
    learn, history = train("stateful", reporter=TextReporter(out, bar=False), device="cpu", **kwargs)
    return learn, history, out.getvalue()


def test_without_a_build_nothing_is_cached(monkeypatch, tmp_path):
    monkeypatch.delenv(runs.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert runs.folder() is None
    _table(**TINY)
    assert list(tmp_path.iterdir()) == []


def test_a_run_is_trained_once_then_loaded(monkeypatch, tmp_path):
    monkeypatch.setenv(runs.ENV, str(tmp_path))
    monkeypatch.setenv(runs.CHAPTER_ENV, "book/state")
    monkeypatch.setenv(runs.BUILD_ENV, "b1")
    learn1, hist1, table1 = _table(**TINY)
    learn2, hist2, table2 = _table(**TINY)
    assert hist2 == hist1 and table2 == table1  # the same epoch table, shown again
    for (name, a), b in zip(learn1.model.state_dict().items(), learn2.model.state_dict().values(),
                            strict=True):
        assert torch.equal(a, b), name
    assert learn2.validate() == learn1.validate()
    _table(seed=1, **TINY)  # another seed is another run
    _table(epochs=1, hidden=16)  # and so are other settings
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [(e["seed"], e["hidden"], e["status"]) for e in log] == [
        (0, 8, "trained"), (0, 8, "loaded"), (1, 8, "trained"), (0, 16, "trained")]
    assert {e["chapter"] for e in log} == {"book/state"}
    assert len(list(tmp_path.glob("*.pt"))) == 3


def test_the_key_changes_with_the_code_and_the_settings(monkeypatch):
    from rnnbook.recipes import get_recipe

    recipe, device = get_recipe("gru2"), torch.device("cpu")
    key = runs.run_key(recipe, 0, device)
    assert runs.run_key(recipe, 0, device) == key
    assert runs.run_key(recipe.with_(lr=3e-3), 0, device) != key
    assert runs.run_key(recipe, 1, device) != key
    monkeypatch.setattr(runs, "source_hash", lambda: "edited")
    assert runs.run_key(recipe, 0, device) != key


def test_a_model_class_written_in_a_chapter_is_keyed_by_its_code():
    from rnnbook.models import StatefulRNN
    from rnnbook.recipes import get_recipe

    def chapter_class(scale):  # the cell as a reader runs it, then edits and runs again
        cell = ("class RNNNoBN(StatefulRNN):\n"
                "    def forward(self, x):\n"
                f"        return super().forward(x) * {scale}\n")
        namespace = {"__name__": "__main__", "StatefulRNN": StatefulRNN}
        exec(cell, namespace)
        return namespace["RNNNoBN"]

    recipe, device = get_recipe("rnn"), torch.device("cpu")
    keys = [runs.run_key(recipe.with_(make=chapter_class(s)), 0, device) for s in (1, 1, 2)]
    assert keys[0] == keys[1] != keys[2]  # the same code: one run; edited code: another
    assert runs.settings(recipe)["make"] == "rnnbook.models.StatefulRNN"  # the package's own
    assert runs.outside_code(StatefulRNN) == ""


def test_a_stopped_run_or_other_data_is_not_cached(monkeypatch, tmp_path, data):
    from rnnbook.data import HumanNumbers

    monkeypatch.setenv(runs.ENV, str(tmp_path))
    train("stateful", device="cpu", should_stop=lambda: True, **TINY)
    other = HumanNumbers(data.train[:-100].clone(), data.valid, data.vocab)
    train("stateful", data=other, device="cpu", **TINY)
    assert not list(tmp_path.glob("*.pt"))


def test_the_report_keeps_each_chapters_newest_build(tmp_path):
    lines = [{"build": b, "chapter": c, "recipe": r} for b, c, r in [
        ("b1", "gates", "rnn"), ("b1", "results", "rnn"), ("b2", "gates", "gru2")]]
    (tmp_path / "log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    assert [(e["chapter"], e["recipe"]) for e in runs.build_runs(tmp_path)] == [
        ("results", "rnn"), ("gates", "gru2")]
    assert runs.build_runs(tmp_path / "none") == []
