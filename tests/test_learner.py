import io
import math

import pytest
import torch

from rnnbook import build, train
from rnnbook.learner import History, Learner, SilentReporter, TextReporter, default_device, loss_and_correct


def test_a_short_run_lowers_the_loss(data):
    learn, h = train("gru2", data=data, epochs=2, reporter=SilentReporter(), device="cpu")
    assert len(h.rows) == 2
    first, last = sum(h.batch_losses[:5]) / 5, sum(h.batch_losses[-5:]) / 5
    assert last < first - 0.5
    assert h.rows[-1]["valid_loss"] < 3.0 and 0 < h.accuracy <= 1
    assert len(h.lrs) == len(h.batch_losses) == 2 * len(learn.train_dl)


def test_one_cycle_warms_up_then_anneals(data):
    _, h = train("every", data=data, epochs=2, lr=1e-3, pct_start=0.25, reporter=SilentReporter())
    peak = max(range(len(h.lrs)), key=h.lrs.__getitem__)
    assert abs(peak / len(h.lrs) - 0.25) < 0.05
    assert h.lrs[0] == pytest.approx(1e-3 / 25) and h.lrs[-1] < 1e-3 / 1e4
    assert max(h.lrs) == pytest.approx(1e-3, rel=1e-3)


def test_same_seed_same_numbers_on_cpu(data):
    runs = [train("lstm2_reg", seed=3, data=data, epochs=2, device="cpu", reporter=SilentReporter())[1]
            for _ in range(2)]
    assert runs[0].rows[-1]["valid_loss"] == runs[1].rows[-1]["valid_loss"]
    assert runs[0].batch_losses == runs[1].batch_losses
    other = train("lstm2_reg", seed=4, data=data, epochs=2, device="cpu", reporter=SilentReporter())[1]
    assert other.batch_losses != runs[0].batch_losses


def test_stateful_models_are_reset_before_validation(data):
    learn = build("gru2", data=data, device="cpu")
    learn.model.eval()
    learn.model(torch.randint(0, 40, (64, 20)))  # leave some state behind
    assert learn.validate() == build("gru2", data=data, device="cpu").validate()


def test_last_token_models_are_scored_on_the_last_target_only():
    class Last(torch.nn.Module):
        predicts_last = True
    out = torch.tensor([[0.0, 5.0], [5.0, 0.0]])
    y = torch.tensor([[0, 1], [1, 1]])
    loss, correct, n = loss_and_correct(Last(), out, y)
    assert n == 2 and correct.item() == 1


def test_text_reporter_prints_one_row_per_epoch(data):
    buf = io.StringIO()
    train("fc3", data=data, epochs=2, reporter=TextReporter(file=buf))
    lines = buf.getvalue().splitlines()
    assert lines[0].split() == ["epoch", "train_loss", "valid_loss", "perplexity", "accuracy",
                                "time"]
    assert [line.split()[0] for line in lines[1:]] == ["0", "1"]
    # the perplexity printed is the exponential of the validation loss printed beside it
    for line in lines[1:]:
        valid_loss, perplexity = map(float, line.split()[2:4])
        assert perplexity == pytest.approx(math.exp(valid_loss), rel=1e-4)


def test_should_stop_ends_the_run_early(data):
    calls = []

    def stop():
        calls.append(1)
        return len(calls) >= 3

    learn = build("every", data=data)
    h = learn.fit_one_cycle(5, 1e-3, reporter=SilentReporter(), should_stop=stop)
    assert h.stopped and h.rows == [] and len(h.batch_losses) == 3


def test_predict_returns_stream_shaped_tensors(data):
    learn = build("gru2", data=data)
    x, p, y = learn.predict()
    row_len = (len(data.valid) - 1) // 64
    assert x.shape == p.shape == y.shape == (64, row_len)
    assert torch.equal(y[:, :-1], x[:, 1:])


@pytest.mark.parametrize("kwargs,message", [
    (dict(epochs=0, lr=1e-3), "epochs must be a positive int"),
    (dict(epochs=1, lr=0), "lr must be a positive number"),
    (dict(epochs=1, lr=1e-3, pct_start=1.0), "pct_start"),
    (dict(epochs=1, lr=1e-3, wd=-1), "wd must be"),
    (dict(epochs=1, lr=1e-3, clip=0), "clip must be a positive number"),
    (dict(epochs=1, lr=1e-3, clip=-1.0), "clip must be a positive number"),
    (dict(epochs=1, lr=1e-3, clip=True), "clip must be a positive number"),
    (dict(epochs=1, lr=1e-3, clip=float("inf")), "clip must be a positive number"),
])
def test_bad_training_settings_are_refused(data, kwargs, message):
    learn = build("every", data=data)
    with pytest.raises(ValueError, match=message):
        learn.fit_one_cycle(**kwargs)


def test_history_needs_an_epoch_and_knows_its_columns():
    with pytest.raises(ValueError, match="no epoch"):
        _ = History().accuracy
    with pytest.raises(ValueError, match="name must be a column of the epoch table"):
        History().column("acc")


def test_unknown_settings_and_models_are_refused(data):
    with pytest.raises(ValueError, match="unknown recipe setting"):
        train("gru2", data=data, epoch=3)
    with pytest.raises(ValueError, match="the models are"):
        train("gru3", data=data)


def test_default_device_is_cpu_here_unless_a_gpu_exists():
    expected = "cuda" if torch.cuda.is_available() else default_device().type
    assert default_device().type == expected
    one_batch = [(torch.zeros(1, 1), torch.zeros(1, 1))]
    assert Learner(torch.nn.Linear(1, 1), one_batch, one_batch, device="cpu").device.type == "cpu"


def test_history_keeps_the_perplexity_and_every_batch_gradient_norm(data):
    learn, h = train("every", data=data, epochs=2, reporter=SilentReporter())
    assert h.perplexity == pytest.approx(math.exp(h.rows[-1]["valid_loss"]))
    assert h.column("perplexity") == [r["perplexity"] for r in h.rows]
    assert len(h.grad_norms) == len(h.batch_losses) == 2 * len(learn.train_dl)
    assert all(n > 0 for n in h.grad_norms) and h.clip is None
    with pytest.raises(ValueError, match="no epoch"):
        _ = History().perplexity


def test_the_norm_recorded_is_the_gradients_norm_before_any_clipping(data):
    # one batch by hand: the norm of the gradients of the loss, as torch computes it
    learn = build("gru2", data=data, device="cpu")
    x, y = next(iter(learn.train_dl))
    import copy

    twin = copy.deepcopy(learn.model)
    out = twin(x)
    torch.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1)).backward()
    expected = torch.linalg.vector_norm(
        torch.stack([p.grad.norm() for p in twin.parameters() if p.grad is not None])).item()
    stop = iter([True])
    h = learn.fit_one_cycle(1, 1e-2, reporter=SilentReporter(), should_stop=lambda: next(stop),
                            clip=0.01)
    assert h.grad_norms == [pytest.approx(expected, rel=1e-5)]
    assert h.clip == 0.01


def test_clipping_rescales_the_gradients_to_the_cap(data):
    # after one batch the gradients the optimizer used are still on the parameters
    def one_batch(clip):
        learn = build("gru2", data=data, device="cpu")
        stop = iter([True])
        h = learn.fit_one_cycle(1, 1e-2, reporter=SilentReporter(),
                                should_stop=lambda: next(stop), clip=clip)
        grads = [p.grad for p in learn.model.parameters() if p.grad is not None]
        return h, torch.nn.utils.get_total_norm(grads).item(), grads

    free, free_norm, free_grads = one_batch(None)
    capped, capped_norm, capped_grads = one_batch(0.05)
    assert free_norm == pytest.approx(free.grad_norms[0]) and free_norm > 0.05
    assert capped.grad_norms == free.grad_norms  # recorded before clipping
    assert capped_norm == pytest.approx(0.05, rel=1e-4)
    scale = capped_norm / free_norm  # one factor for every parameter: the direction is kept
    for f, c in zip(free_grads, capped_grads, strict=True):
        assert torch.allclose(c, f * scale, atol=1e-7)
    # a cap above the norm leaves the gradients alone
    _, loose_norm, _ = one_batch(10 * free_norm)
    assert loose_norm == pytest.approx(free_norm)


def test_a_recipe_can_set_clip(data):
    _, h = train("every", data=data, epochs=1, clip=0.5, reporter=SilentReporter())
    assert h.clip == 0.5
