import base64
import html
import json
import shutil
import subprocess

import pytest
import torch

from rnnbook.copy_gru import CopyGRU
from rnnbook.models import GRU2, LSTM2, FullyConnected3, RegularizedLSTM, StatefulRNN
from rnnbook.modern import CausalTransformer, MinGRU, MinLSTM
from rnnbook.playground import SCRIPTS, STATIC, encode, export_model, load_model, playground, predict
from sitecheck.playground import occlusion

WORDS = ("eight thousand one hundred twelve , eight thousand one hundred thirteen , "
         "eight thousand one hundred fourteen , eight thousand one hundred fifteen ,").split()


def small_models(vocab_size: int) -> dict:
    """Untrained, seeded models of every kind the playground runs, with sizes unlike the book's
    (so nothing can rely on 64 units or 2 layers) and batchnorm statistics that matter."""
    torch.manual_seed(0)
    models = {
        "rnn": StatefulRNN(vocab_size, 12),
        "gru": GRU2(vocab_size, 10, n_layers=3),
        "lstm": LSTM2(vocab_size, 9, n_layers=2),
        "lstm_reg": RegularizedLSTM(vocab_size, 11, n_layers=1),
        "copy": CopyGRU(vocab_size, 10, n_layers=2, d_key=6, mem_len=7),
        "mingru": MinGRU(vocab_size, 10, n_layers=3),
        "minlstm": MinLSTM(vocab_size, 9, n_layers=2),
        "transformer": CausalTransformer(vocab_size, 12, n_layers=2, n_heads=3, context=7),
    }
    with torch.no_grad():
        for m in models.values():
            if hasattr(m, "bn"):
                m.bn.running_mean.uniform_(-0.5, 0.5)
                m.bn.running_var.uniform_(0.5, 2.0)
                m.bn.weight.uniform_(0.5, 1.5)
            if isinstance(m, CopyGRU):  # a sharper head than at initialisation
                m.dist_bias.uniform_(-1, 1)
                for p in [*m.q.parameters(), *m.k.parameters()]:
                    p.mul_(4)
    return {k: m.eval() for k, m in models.items()}


def test_round_trip_gives_the_same_model(tmp_path, data):
    x = torch.randint(len(data.vocab), (3, 25), generator=torch.Generator().manual_seed(1))
    for key, model in small_models(len(data.vocab)).items():
        path = export_model(model, tmp_path, key=key, seed=3, accuracy=0.5)
        loaded, vocab, header = load_model(path)
        assert type(loaded) is type(model) and vocab.itos == data.vocab.itos
        assert header["seed"] == 3 and header["accuracy"] == 0.5
        for m in (model, loaded):
            getattr(m, "reset", lambda: None)()  # a transformer keeps no state
        with torch.no_grad():
            assert torch.equal(model(x), loaded(x)), key


def test_sizes_are_read_from_the_model(tmp_path, data):
    model = small_models(len(data.vocab))["copy"]
    _, _, header = load_model(encode(model, "copy"))
    assert header["arch"] == {"cell": "gru", "n_layers": 2, "n_hidden": 10, "vocab_size": len(data.vocab),
                              "norm": None, "copy": {"mem_len": 7, "d_key": 6}}
    loaded, _, _ = load_model(encode(model, "copy"))
    assert (loaded.mem_len, loaded.n_layers, loaded.q[0].out_features) == (7, 2, 6)


def test_tied_weights_are_stored_once(data):
    torch.manual_seed(0)
    tied, plain = RegularizedLSTM(len(data.vocab), 16), LSTM2(len(data.vocab), 16)
    _, _, header = load_model(encode(tied, "t"))
    assert header["aliases"] == {"h_o.weight": "i_h.weight"}
    # the same layers but one 40 x 16 matrix fewer
    assert len(encode(plain, "p")) - len(encode(tied, "t")) == pytest.approx(len(data.vocab) * 16 * 4, abs=64)
    loaded, _, _ = load_model(encode(tied, "t"))
    assert torch.equal(loaded.h_o.weight, tied.i_h.weight)


def test_index_lists_the_models_in_the_books_order(tmp_path, data):
    models = small_models(len(data.vocab))
    export_model(models["copy"], tmp_path, key="copy_gru", accuracy=0.9)
    export_model(models["gru"], tmp_path, key="gru2", accuracy=0.7)
    export_model(models["gru"], tmp_path, key="gru2", accuracy=0.8)  # written again: replaced
    index = json.loads((tmp_path / "index.json").read_text())["models"]
    assert [(e["key"], e["accuracy"], e["file"]) for e in index] == [
        ("gru2", 0.8, "gru2.bin"), ("copy_gru", 0.9, "copy_gru.bin")]
    assert index[0]["title"] == "2-layer GRU"  # the recipe's title


def test_bad_input_is_refused(tmp_path, data):
    models = small_models(len(data.vocab))
    with pytest.raises(ValueError, match="FullyConnected3"):
        encode(FullyConnected3(len(data.vocab)), "fc3")
    with pytest.raises(ValueError, match="key must be"):
        encode(models["gru"], "../gru2")
    with pytest.raises(ValueError, match="accuracy must be a number between 0 and 1"):
        encode(models["gru"], "gru2", accuracy=87.0)
    with pytest.raises(ValueError, match="embedding has 50"):
        encode(GRU2(50, 8), "gru2")
    with pytest.raises(ValueError, match="RNNBPG01"):
        load_model(b"not a model at all")
    with pytest.raises(ValueError, match="truncated"):
        load_model(encode(models["gru"], "gru2")[:-40])
    with pytest.raises(ValueError, match="height"):
        playground(models["gru"], height=50)


def test_predict_matches_the_model(data):
    model = small_models(len(data.vocab))["gru"].train()
    result = predict(model, WORDS, data.vocab)
    model.eval(), model.reset()
    with torch.no_grad():
        probs = torch.softmax(model(data.vocab.numericalize(WORDS)[None])[0], -1)
    assert model.h is not None
    assert result["predictions"] == [data.vocab.itos[i] for i in probs.argmax(-1).tolist()]
    assert [p for _, p in result["top"][4]] == pytest.approx(probs[4].topk(3).values.tolist())
    assert len(result["hidden"]) == len(WORDS) and len(result["hidden"][0]) == 10
    model.train()
    predict(model, WORDS, data.vocab)
    assert model.training and model.h is None  # mode restored, state forgotten


def test_live_view_inlines_script_and_weights(data):
    model = small_models(len(data.vocab))["copy"]
    view = playground(model, "mine", text="one , two <three>", accuracy=0.25)
    page = view._repr_html_()
    assert page.startswith("<iframe") and 'srcdoc="' in page
    doc = html.unescape(page.split('srcdoc="', 1)[1].split('"', 1)[0])
    assert doc == view.document()
    assert base64.b64encode(encode(model, "mine", accuracy=0.25)).decode() in doc
    assert 'data-text="one , two &lt;three&gt;"' in doc
    assert "rnnbookPlayground" in doc and doc.count("</script>") == 2  # the inlined script cannot end early


def run_js(inline: dict, body: str):
    """Run the page's script in Node with the models ``inline`` ({key: bytes}), then the
    JavaScript ``body`` (an async function's body that returns a JSON-able value)."""
    models = {k: base64.b64encode(v).decode() for k, v in inline.items()}
    script = (f"globalThis.rnnbookPlaygroundModels = {json.dumps(models)};\n"
              + (STATIC.parent / "facts.js").read_text()
              + "".join((STATIC / name).read_text() for name in SCRIPTS)
              + f"\n(async () => {{ {body} }})().then(r => process.stdout.write(JSON.stringify(r)));")
    # on standard input: an argument is limited to 128 kB
    out = subprocess.run(["node", "-"], input=script, capture_output=True, text=True, timeout=60,
                         check=True)
    return json.loads(out.stdout)


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


@needs_node
def test_the_pages_script_computes_what_pytorch_computes(data):
    """The page's forward pass (playground.js, run by Node) against PyTorch, for every kind of
    model, on a text with a word outside the vocabulary."""
    models = small_models(len(data.vocab))
    text = " ".join(WORDS[:12]) + " eleventy , " + " ".join(WORDS[12:])
    results = run_js({k: encode(m, k) for k, m in models.items()},
                     f"const out = {{}}; for (const k of {json.dumps(list(models))})"
                     f" out[k] = await rnnbookPlayground.run(k, {json.dumps(text)}); return out;")
    for key, model in models.items():
        js = results[key]
        assert "eleventy" in js["tokens"] and len(js["tokens"]) == len(WORDS) + 2
        ref = predict(model, js["tokens"], data.vocab)
        assert [[w for w, _ in t] for t in js["top"]] == [[w for w, _ in t] for t in ref["top"]], key
        for a, b in zip(js["top"], ref["top"], strict=True):
            assert [p for _, p in a] == pytest.approx([p for _, p in b], abs=1e-5), key
        for a, b in zip(js["hidden"], ref["hidden"], strict=True):
            assert a == pytest.approx(b, abs=1e-5), key


@needs_node
def test_the_pages_script_refuses_what_it_cannot_read(data):
    model = encode(small_models(len(data.vocab))["gru"], "gru2")
    calls = {"ok": '"gru2", "one , two"', "long": '"gru2", "one ".repeat(2001)', "unknown": '"gru3", "one"'}
    body = "const out = {};" + "".join(
        f" try {{ out.{k} = (await rnnbookPlayground.run({args})).tokens.length; }}"
        f" catch (e) {{ out.{k} = e.message; }}" for k, args in calls.items()) + " return out;"
    out = run_js({"gru2": model}, body)
    assert out["ok"] == 3
    assert out["long"] == "the text has 2001 words; the playground reads at most 2000"
    assert out["unknown"] == "unknown model gru3; the models are: gru2"


@needs_node
def test_the_pages_continue_writes_what_rnnbook_generate_writes(data):
    """Greedy, the page's generate (playground.js, in Node) writes the very words
    rnnbook.generate writes with the same model and prompt; sampled, it is seeded."""
    from rnnbook import generate

    models = small_models(len(data.vocab))
    prompt = " ".join(WORDS)
    write = f"(k, t, s) => rnnbookPlayground.generate(k, {json.dumps(prompt)}, 40, t, s)"
    body = (f"const write = {write}; const out = {{}};"
            f" for (const k of {json.dumps(list(models))}) {{"
            " out[k] = (await write(k, 0, 0)).words;"
            " out[k + '-hot'] = (await write(k, 1.5, 7)).words;"
            " out[k + '-hot-again'] = (await write(k, 1.5, 7)).words;"
            " out[k + '-hot-other'] = (await write(k, 1.5, 8)).words;"
            "} return out;")
    out = run_js({k: encode(m, k) for k, m in models.items()}, body)
    for key, model in models.items():
        assert out[key] == generate(model, prompt, 40, vocab=data.vocab).split(), key
        assert out[key + "-hot"] == out[key + "-hot-again"] != out[key + "-hot-other"], key
        assert set(out[key + "-hot"]) <= set(data.vocab.itos)


@needs_node
def test_the_pages_continue_refuses_what_rnnbook_generate_refuses(data):
    model = encode(small_models(len(data.vocab))["gru"], "gru2")
    calls = {"empty": '"   ", 5, 0', "unknown": '"eight eleventy ,", 5, 0',
             "cold": '"eight ,", 5, -1', "many": '"eight ,", 201, 0', "ok": '"eight ,", 5, 0'}
    body = "const out = {};" + "".join(
        f" try {{ out.{k} = (await rnnbookPlayground.generate('gru2', {args})).words.length; }}"
        f" catch (e) {{ out.{k} = e.message; }}" for k, args in calls.items()) + " return out;"
    out = run_js({"gru2": model}, body)
    assert out["ok"] == 5
    assert out["empty"].startswith("the prompt is empty")
    assert out["unknown"].startswith("the prompt has word(s) not in the vocabulary: 'eleventy'")
    assert out["cold"].startswith("temperature must be a number >= 0")
    assert out["many"].startswith("the number of words must be a whole number from 1 to 200")


def top_layer_states(model, x: torch.Tensor) -> torch.Tensor:
    """What PyTorch's top recurrent layer outputs for the row ``x`` (T,), from a reset state:
    the ``rnn`` layer's output (nn.RNN, GRU, LSTM: the last layer's h at every step), else
    ``model.hidden`` (minGRU, minLSTM: the top cell's states; the transformer: its final
    LayerNorm's output). (T, H)"""
    outputs = []
    rnn = getattr(model, "rnn", None)
    hook = rnn.register_forward_hook(lambda mod, inp, out: outputs.append(out[0])) if rnn else None
    getattr(model, "reset", lambda: None)()
    with torch.no_grad():
        model(x[None])
    if hook is not None:
        hook.remove()
    return (outputs[0] if rnn else model.hidden)[0]


@needs_node
def test_look_inside_gives_pytorchs_top_layer_states_and_occlusion(data):
    """The "Look inside" view's numbers (inside.js's lookInside, in Node) for exported models of
    every kind: the top layer's states after each word equal PyTorch's, and the occlusion drops
    equal the same occlusion computed by PyTorch, at a position with more than the 60 words the
    page replaces before it (and, for the transformer, in its third window)."""
    models = small_models(len(data.vocab))
    words = WORDS * 3
    text = " ".join(words[:12]) + " eleventy , " + " ".join(words[12:])
    t = 65
    out = run_js({k: encode(m, k) for k, m in models.items()},
                 f"const out = {{}}; for (const k of {json.dumps(list(models))})"
                 f" out[k] = await rnnbookInside.lookInside(k, {json.dumps(text)}, {t});"
                 " out.back = rnnbookPlaygroundModel.EXPLAIN_BACK; return out;")
    back = out.pop("back")
    assert back == 60 < t
    unk = data.vocab.stoi["xxunk"]
    for key, model in models.items():
        js = out[key]
        x = data.vocab.numericalize(js["tokens"])
        assert int(x[12]) == unk, "the unknown word is read as xxunk"
        states = top_layer_states(model, x)
        assert len(js["hidden"]) == len(states) == len(x), key
        for a, b in zip(js["hidden"], states.tolist(), strict=True):
            assert a == pytest.approx(b, abs=1e-5), key
        ref = occlusion(model, js["tokens"], data.vocab, t, back)
        assert js["target"] == ref["target"] and js["p0"] == pytest.approx(ref["p0"], abs=1e-5), key
        assert [d is None for d in js["occlusion"]] == [d is None for d in ref["drops"]] == \
            [s < t - back + 1 or s > t for s in range(len(x))], key  # the last 60 words up to t
        drops = [d for d in ref["drops"] if d is not None]
        assert [d for d in js["occlusion"] if d is not None] == pytest.approx(drops, abs=1e-5), key
        assert max(abs(d) for d in drops) > 1e-4, key  # ten times the tolerance: something to compare
        assert drops[12 - (t - back + 1)] == 0.0, key  # xxunk replaced by xxunk: no change
