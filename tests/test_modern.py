"""minGRU and minLSTM (parallel scan against step by step) and the causal transformer."""

import importlib.util
from pathlib import Path

import pytest
import torch
from conftest import load_file

from rnnbook.experiments import build
from rnnbook.modern import (
    CausalTransformer,
    MinGRU,
    MinGRULayer,
    MinLSTM,
    MinLSTMLayer,
    g,
    log_scan,
    parallel_scan,
    sequential_scan,
)
from rnnbook.recipes import RECIPES
from rnnbook.yardstick import ceiling_for

LENGTHS = list(range(1, 258))


def _grads(layer, x, h0, parallel, weights):
    """Outputs and the gradients of a fixed weighted sum of them (parameters, x and h0)."""
    layer.zero_grad()
    x = x.clone().requires_grad_()
    h0 = None if h0 is None else h0.clone().requires_grad_()
    out = layer(x, h0, parallel=parallel)
    (out * weights[:, :out.shape[1]]).sum().backward()
    grads = [p.grad.clone() for p in layer.parameters()] + [x.grad]
    return out.detach(), grads + ([] if h0 is None else [h0.grad])


@pytest.mark.parametrize("cls", [MinGRULayer, MinLSTMLayer])
def test_parallel_scan_agrees_with_step_by_step(cls):
    """Outputs and gradients within 1e-5 for every length 1..257, with and without an
    initial state, for random weights."""
    torch.manual_seed(0)
    layer = cls(6, 8)
    gen = torch.Generator().manual_seed(1)
    weights = torch.randn(3, max(LENGTHS), 8, generator=gen)
    worst_out = worst_grad = 0.0
    for T in LENGTHS:
        x = torch.randn(3, T, 6, generator=gen)
        for h0 in (None, g(torch.randn(3, 8, generator=gen))):
            out_p, grads_p = _grads(layer, x, h0, True, weights)
            out_s, grads_s = _grads(layer, x, h0, False, weights)
            worst_out = max(worst_out, (out_p - out_s).abs().max().item())
            for a, b in zip(grads_p, grads_s, strict=True):
                worst_grad = max(worst_grad, ((a - b).abs().max() / b.abs().max().clamp_min(1)).item())
    assert worst_out < 1e-5 and worst_grad < 1e-5, (worst_out, worst_grad)


def test_the_scans_compute_the_recurrence():
    gen = torch.Generator().manual_seed(2)
    a, b, h0 = torch.rand(2, 40, 3, generator=gen), torch.rand(2, 40, 3, generator=gen), torch.rand(2, 3)
    ref = [h0]
    for t in range(40):
        ref.append(a[:, t] * ref[-1] + b[:, t])
    ref = torch.stack(ref[1:], 1)
    assert torch.allclose(sequential_scan(a, b, h0), ref, atol=1e-6)
    assert torch.allclose(parallel_scan(a, b, h0), ref, atol=1e-6)
    assert torch.allclose(log_scan(a.log(), b.log(), h0), ref, atol=1e-5)
    # a run of tiny a's: the product underflows to zero, which is the right answer
    a[:, :30] = 1e-30
    assert torch.isfinite(parallel_scan(a, b, h0)).all()
    assert torch.allclose(parallel_scan(a, b, h0), sequential_scan(a, b, h0), atol=1e-6)


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
def test_model_trains_in_parallel_and_infers_step_by_step_with_the_same_result(cls, data):
    torch.manual_seed(0)
    model = cls(len(data.vocab), 16)
    x = torch.randint(len(data.vocab), (4, 60), generator=torch.Generator().manual_seed(3))
    outs = {}
    for parallel in (True, False):
        model.parallel = parallel
        model.reset()
        with torch.no_grad():  # two windows: the state is carried from the first
            outs[parallel] = torch.cat([model(x[:, :30]), model(x[:, 30:])], 1)
    assert torch.allclose(outs[True], outs[False], atol=1e-5)
    model.parallel = None
    model.reset()
    with torch.no_grad():
        whole = model(x)  # one window of 60: the same as two windows of 30
    assert torch.allclose(whole, outs[True], atol=1e-5)
    model.reset()
    with torch.no_grad():
        fresh = model(x[:, 30:])
    assert not torch.allclose(fresh, outs[True][:, 30:], atol=1e-3)  # the state mattered


def test_the_gates_read_only_the_current_input():
    """Changing the state before a step changes the step's output only through a * h: the
    coefficients a and b do not depend on it."""
    torch.manual_seed(0)
    for layer in (MinGRULayer(4, 5), MinLSTMLayer(4, 5)):
        x = torch.randn(2, 1, 4)
        a, b = layer.coefficients(x)
        h1, h2 = torch.rand(2, 5), torch.rand(2, 5)
        for h0 in (h1, h2):
            assert torch.allclose(layer(x, h0, parallel=False)[:, 0], a[:, 0] * h0 + b[:, 0])


@pytest.mark.skipif(importlib.util.find_spec("minGRU_pytorch") is None,
                    reason="mingru-pytorch (an optional reference) is not installed")
def test_mingru_matches_the_reference_implementation():
    from minGRU_pytorch import minGRU

    torch.manual_seed(0)
    ref = minGRU(8)
    ours = MinGRULayer(8, 8)
    with torch.no_grad():
        hidden, gate = ref.to_hidden_and_gate.weight.chunk(2, 0)
        ours.lin_h.weight.copy_(hidden), ours.lin_z.weight.copy_(gate)
        ours.lin_h.bias.zero_(), ours.lin_z.bias.zero_()
        x, h0 = torch.randn(2, 33, 8), g(torch.randn(2, 8))
        assert torch.allclose(ours(x), ref(x), atol=1e-5)
        assert torch.allclose(ours(x, h0), ref(x, h0[:, None]), atol=1e-5)


def test_the_transformer_never_sees_the_future(data):
    """Changing token t + 1 (and everything after it) changes no prediction at t or
    before; it does change a prediction after t."""
    torch.manual_seed(0)
    model = CausalTransformer(len(data.vocab), 32, n_layers=2, n_heads=4, context=20).eval()
    gen = torch.Generator().manual_seed(4)
    x = torch.randint(len(data.vocab), (8, 20), generator=gen)
    with torch.no_grad():
        before = model(x)
        for t in range(19):
            changed = x.clone()
            changed[:, t + 1] = (x[:, t + 1] + 1) % len(data.vocab)
            after = model(changed)
            assert torch.equal(before[:, :t + 1], after[:, :t + 1]), t
            assert not torch.allclose(before[:, t + 1:], after[:, t + 1:]), t


def test_the_transformer_reads_each_window_from_scratch(data):
    torch.manual_seed(0)
    model = CausalTransformer(len(data.vocab), 16, n_heads=2, context=10).eval()
    x = torch.randint(len(data.vocab), (2, 25), generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        whole = model(x)
        parts = torch.cat([model(x[:, :10]), model(x[:, 10:20]), model(x[:, 20:])], 1)
    assert torch.allclose(whole, parts, atol=1e-6)
    with pytest.raises(AssertionError, match="multiple of n_heads"):  # nanoGPT's one assert
        CausalTransformer(len(data.vocab), 10, n_heads=4)


def test_recipes(data):
    for key in ("mingru", "minlstm", "transformer"):
        learn = build(key, data)
        assert type(learn.model) is RECIPES[key].make
    assert RECIPES["transformer"].model_kwargs["context"] == RECIPES["transformer"].bptt
    # the transformer sees only its window; the min RNNs keep their state like the GRU
    assert ceiling_for("transformer") < ceiling_for("mingru") == ceiling_for("gru2")
    assert ceiling_for("transformer") == ceiling_for("every")  # the same 20-token windows


def test_length_costs_measures_every_mixer_at_every_length(tmp_path):
    from rnnbook.lengths import MIXERS, length_costs

    rows = length_costs(lengths=(4, 9), batch=2, n_hidden=8, repeats=2)
    assert [(r["mixer"], r["length"]) for r in rows] == [(m, n) for m in MIXERS for n in (4, 9)]
    for r in rows:
        assert r["seconds"] > 0 and r["per_token"] == pytest.approx(r["seconds"] / (2 * r["length"]))
    assert [r["steps"] for r in rows] == [4, 9, 2, 4, 1, 1]
    with pytest.raises(ValueError, match="batch must be a positive int"):
        length_costs(batch=0)
    with pytest.raises(ValueError, match="mixers must be one of .*got 'lstm'"):
        length_costs(lengths=(4,), mixers=("lstm",))


def test_the_length_benchmark_writes_its_table_json_and_figure(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_length.py"
    out = subprocess.run([sys.executable, str(script), "--device", "cpu", "--lengths", "4,8",
                          "--repeats", "1", "--out", str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout
    assert "attention" in out and "wrote" in out
    record = json.loads((tmp_path / "length-costs-cpu.json").read_text())
    assert record["device"] == "cpu" and len(record["rows"]) == 6
    assert (tmp_path / "length-costs-cpu.png").stat().st_size > 1000
    bad = subprocess.run([sys.executable, str(script), "--lengths", "4,x"], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "comma-separated positive ints" in bad.stderr


SWEEP = Path(__file__).resolve().parents[1] / "book" / "_data" / "modern_sweep.json"


def _tune_modern():
    """benchmarks/tune_modern.py as a module (the sweep of the chapter "RNNs today")."""
    return load_file(SWEEP.parents[2] / "benchmarks" / "tune_modern.py")


def test_the_sweeps_block_model_is_the_recipes_model(data):
    """A sweep row of the block variant is a run of MinGRU/MinLSTM itself: the same weights
    for the same seed, the same outputs."""
    tune = _tune_modern()
    for key, cls in (("mingru", MinGRU), ("minlstm", MinLSTM)):
        s = tune.setting(model=key, layers=3, hidden=12)
        recipe = tune.recipe_for(s)
        torch.manual_seed(0)
        theirs = recipe.make(len(data.vocab), recipe.hidden, **recipe.model_kwargs).eval()
        torch.manual_seed(0)
        ours = cls(len(data.vocab), 12, n_layers=3).eval()
        x = torch.randint(len(data.vocab), (2, 15), generator=torch.Generator().manual_seed(6))
        with torch.no_grad():
            assert torch.equal(theirs(x), ours(x)), key


def test_the_recipes_are_the_sweeps_picks():
    """mingru's and minlstm's recipes are the settings the chapter "RNNs today" says were
    picked from book/_data/modern_sweep.json: among the settings run with seeds 0, 1 and 2,
    the one with the fewest layers whose mean is within one standard error of the best."""
    import json
    import statistics

    rows = json.loads(SWEEP.read_text())["rows"]
    for key in ("mingru", "minlstm"):
        runs: dict[tuple, dict] = {}
        for r in rows:
            if r["model"] == key and r["variant"] == "block":
                setting = (r["layers"], r["hidden"], r["lr"], r["epochs"], r["wd"])
                runs.setdefault(setting, {})[r["seed"]] = r["accuracy"]
        three = {s: list(a.values()) for s, a in runs.items() if sorted(a) == [0, 1, 2]}
        best = max(three, key=lambda s: statistics.fmean(three[s]))
        bar = statistics.fmean(three[best]) - statistics.stdev(three[best]) / 3 ** 0.5
        near = [s for s in three if statistics.fmean(three[s]) >= bar]
        chosen = min(near, key=lambda s: (s[0], -statistics.fmean(three[s])))
        recipe = RECIPES[key]
        assert recipe.make is {"mingru": MinGRU, "minlstm": MinLSTM}[key]
        assert (recipe.model_kwargs.get("n_layers", 2), recipe.hidden, recipe.lr,
                recipe.epochs, recipe.wd) == chosen, (key, chosen)


@pytest.mark.parametrize("key", ["mingru", "minlstm"])
def test_the_recipes_model_infers_step_by_step_like_its_scan(key, data):
    """The tuned recipe's model (its depth and width), scan against step by step, the state
    carried over two windows."""
    recipe = RECIPES[key]
    torch.manual_seed(0)
    model = recipe.make(len(data.vocab), recipe.hidden, **recipe.model_kwargs)
    x = torch.randint(len(data.vocab), (3, 40), generator=torch.Generator().manual_seed(7))
    outs = {}
    for parallel in (True, False):
        model.parallel = parallel
        model.reset()
        with torch.no_grad():
            outs[parallel] = torch.cat([model(x[:, :20]), model(x[:, 20:])], 1)
    assert torch.allclose(outs[True], outs[False], atol=1e-5)
