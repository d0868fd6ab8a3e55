import pytest
import torch

from rnnbook import Learner, LMLoader, load_human_numbers
from rnnbook.copy_gru import CopyGRU
from rnnbook.learner import SilentReporter
from rnnbook.recipes import RECIPES

V, H, BS, T = 40, 16, 3, 9


def make(**kw) -> CopyGRU:
    torch.manual_seed(0)
    return CopyGRU(V, H, **kw).eval()


def run(m: CopyGRU, *batches: torch.Tensor) -> torch.Tensor:
    """Reset, read the batches in turn; the output of the last one."""
    m.reset()
    for x in batches:
        out = m(x)
    return out


def test_outputs_are_log_probabilities_for_every_position():
    m = make()
    out = m(torch.randint(9, V, (BS, T)))
    assert not m.predicts_last
    assert out.shape == (BS, T, V)
    assert torch.allclose(out.exp().sum(-1), torch.ones(BS, T), atol=1e-5)


@pytest.mark.parametrize("t", [0, 3, T - 2])
def test_a_prediction_never_sees_later_tokens_within_a_window(t):
    m = make()
    x = torch.randint(9, V, (BS, T))
    changed = x.clone()
    changed[:, t + 1:] = torch.randint(9, V, (BS, T - t - 1))
    assert not torch.equal(x, changed)
    a, b = run(m, x), run(m, changed)
    assert torch.allclose(a[:, : t + 1], b[:, : t + 1], atol=1e-6)
    assert not torch.allclose(a[:, t + 1:], b[:, t + 1:], atol=1e-4), "later positions should see the change"


@pytest.mark.parametrize("t", [0, 4])
def test_a_prediction_never_sees_later_tokens_across_windows(t):
    """Memory of the previous window included: change tokens t+1.. of the second window only."""
    m = make(mem_len=6)
    x1, x2 = torch.randint(9, V, (BS, T)), torch.randint(9, V, (BS, T))
    changed = x2.clone()
    changed[:, t + 1:] = (changed[:, t + 1:] - 9 + 1) % (V - 9) + 9  # every later token differs
    a, b = run(m, x1, x2), run(m, x1, changed)
    assert torch.allclose(a[:, : t + 1], b[:, : t + 1], atol=1e-6)
    # and the next window, which sees `changed` through state and memory, must differ
    assert not torch.allclose(m(x1), run(m, x1, x2, x1), atol=1e-4)


def test_predictions_match_reading_the_stream_in_other_window_sizes():
    """Cutting a stream into windows changes nothing before the cut when memory covers the gap."""
    m = make(mem_len=8)
    stream = torch.randint(9, V, (BS, 18))
    whole = run(m, stream)
    m.reset()
    thirds = [m(stream[:, i : i + 6]) for i in (0, 6, 12)]
    assert torch.allclose(whole, torch.cat(thirds, 1), atol=1e-5)


def test_the_copy_only_proposes_tokens_already_read():
    m = make()
    with torch.no_grad():  # trust the copy completely, never attend nowhere
        m.gate.weight.zero_(), m.gate.bias.fill_(50.0), m.sink.fill_(-50.0)
    x = torch.randint(9, V, (BS, T))
    probs = run(m, x).exp()
    for i in range(BS):
        for t in range(1, T):
            seen = set(x[i, 1 : t + 1].tolist())  # the tokens that followed positions 0..t-1
            proposed = set(torch.nonzero(probs[i, t] > 1e-3).flatten().tolist())
            assert proposed <= seen, (i, t, proposed, seen)
            assert probs[i, t, sorted(seen)].sum() > 0.99


def test_state_and_memory_carry_over_are_detached_and_reset():
    m = make().train()
    x1, x2 = torch.randint(9, V, (BS, T)), torch.randint(9, V, (BS, T))
    m.reset()
    m(x1)
    assert m.mem is not None and not m.h.requires_grad
    m.eval()
    carried = run(m, x1, x2)
    fresh = run(m, x2)
    assert not torch.allclose(carried, fresh, atol=1e-4)
    m.reset()
    assert m.mem is None and m.h is None
    assert torch.allclose(m(x2), fresh)
    assert m(torch.randint(9, V, (BS + 1, T))).shape == (BS + 1, T, V)  # a new batch size restarts


def test_memory_keeps_the_last_mem_len_plus_one_tokens():
    m = make(mem_len=5)
    m.reset()
    x1, x2 = torch.randint(9, V, (BS, 3)), torch.randint(9, V, (BS, T))
    m(x1)
    assert torch.equal(m.mem, x1)
    m(x2)
    assert torch.equal(m.mem, x2[:, -6:])


def test_the_recipe_is_registered_and_trains_through_the_learner():
    recipe = next(r for r in RECIPES.values() if r.make is CopyGRU)
    assert recipe.reference is None
    data = load_human_numbers()
    torch.manual_seed(0)
    model = recipe.make(len(data.vocab), 16, **recipe.model_kwargs)
    learn = Learner(model, LMLoader(data.train[:1200], 8, 20), LMLoader(data.train[1200:1600], 8, 20),
                    device="cpu")
    h = learn.fit_one_cycle(2, 1e-2, reporter=SilentReporter())
    assert h.rows[-1]["train_loss"] < h.batch_losses[0] - 0.5
    assert 0 < h.accuracy <= 1
