"""The playground: the book's trained models, run in the reader's browser.

``export_model(learn, folder, key="gru2", accuracy=...)`` writes a trained model's weights,
its sizes and the vocabulary to ``folder/gru2.bin`` and lists it in ``folder/index.json``; the
chapters that train the models call it, into ``book/_static/playground/models/``, so the site
carries them. ``book/_static/playground/playground.js`` reads these files and runs the models
in the page (with ``shared.js``, ``model.js`` and ``inside.js``, the "Look inside" view, beside
it). ``load_model`` rebuilds the PyTorch model from such a file and ``predict`` runs it the way
the page does (one row, from a reset state), for the test that the two agree.
``export_translator(learn, folder)`` and ``translator_box()`` do the same for the
chapter "Words to digits"'s attention model (``translate.js`` runs it).
``playground(learn)`` shows the same view in a live kernel (Jupyter, Binder, Colab), for a
model the reader just trained: an ``<iframe srcdoc=...>`` with the script and the weights
inlined, so it needs no server and no extension and renders in JupyterLab.

Why a small hand-written script and not onnxruntime-web or TensorFlow.js: the models are a
few 64-unit layers over a 40-word vocabulary, a forward pass is a few dozen small
matrix-vector products per word. The script that does them (and draws the page) is about
40 kB, where onnxruntime-web's wasm alone is several MB and TensorFlow.js about 1 MB, over the
page's budget of 2 MB; a library would also need the copy head (a custom attention) exported
as a graph. The file format is a small JSON header and raw little-endian float32 weights:

- 8 bytes ``RNNBPG01``, a little-endian uint32 ``n``, ``n`` bytes of UTF-8 JSON (padded with
  spaces so the weights start at a multiple of 4), then the float32 weights;
- the header gives ``key``, ``class``, ``arch`` (``cell``: ``rnn``/``gru``/``lstm``,
  ``mingru``/``minlstm`` or ``transformer``, ``n_layers``, ``n_hidden``, ``vocab_size``,
  ``norm``, ``copy``: ``mem_len`` and ``d_key`` or null; a transformer adds ``n_heads``
  and ``context``), ``vocab``, ``recipe`` (its settings, if ``key`` is one of the book's recipes),
  ``seed``, ``accuracy``, ``tensors`` (name, shape, offset in floats) and ``aliases`` (tied
  weights, stored once).
"""

from __future__ import annotations

import base64
import functools
import html
import importlib.resources
import inspect
import json
import re
import struct
from pathlib import Path

import torch
from torch import nn

from . import checks, seq2seq
from .checks import door
from .copy_gru import CopyGRU
from .data import NUMBER_WORDS, Vocab, load_human_numbers, number_to_words
from .facts import FORMAT, MAGIC, facts_js
from .models import GRU2, LSTM2, RegularizedLSTM, StatefulRNN
from .modern import CausalTransformer, MinGRU, MinLSTM
from .recipes import RECIPES

__all__ = ["MAGIC", "SUPPORTED", "encode", "export_model", "load_model", "predict", "playground",
           "Playground", "export_translator", "translator_box"]

STATIC = Path(__file__).resolve().parent.parent / "book" / "_static" / "playground"
"""The playground's script and style sheet in a source checkout; an installed wheel carries
them as ``rnnbook.playground_static`` (see pyproject.toml)."""
SCRIPTS = ("shared.js", "model.js", "inside.js", "playground.js")
"""The playground's scripts in the order a page runs them, after ``../facts.js``, the facts
that :func:`rnnbook.facts.facts_js` writes."""

# class -> (recurrent cell, normalisation before the output layer)
SUPPORTED: dict[type, tuple[str, str | None]] = {
    StatefulRNN: ("rnn", "bn"),
    GRU2: ("gru", "bn"),
    LSTM2: ("lstm", None),
    RegularizedLSTM: ("lstm", None),
    CopyGRU: ("gru", None),
    MinGRU: ("mingru", None),
    MinLSTM: ("minlstm", None),
    CausalTransformer: ("transformer", None),
}
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


def _model_of(learn_or_model, name: str = "model") -> nn.Module:
    model = getattr(learn_or_model, "model", learn_or_model)
    if type(model) not in SUPPORTED:
        names = ", ".join(c.__name__ for c in SUPPORTED)
        checks.refuse(name, learn_or_model, f"a Learner or a model of a class the playground runs ({names})",
                      wrong_type=True)
    rnn = getattr(model, "rnn", None)
    if rnn is None:  # the chapter "RNNs today"'s models: written by hand, nothing to check
        return model
    if rnn.bidirectional or not rnn.bias or not rnn.batch_first or getattr(rnn, "proj_size", 0):
        raise ValueError("the playground runs one-directional, batch-first recurrent layers "
                         "with biases and no projection")
    if isinstance(rnn, nn.RNN) and rnn.nonlinearity != "tanh":
        raise ValueError(f"the playground runs nn.RNN with tanh, got {rnn.nonlinearity!r}")
    return model


def _arch(model: nn.Module) -> dict:
    cell, norm = SUPPORTED[type(model)]
    rnn = getattr(model, "rnn", None)
    n_layers, n_hidden = ((rnn.num_layers, rnn.hidden_size) if rnn is not None
                          else (model.n_layers, model.n_hidden))
    arch = {"cell": cell, "n_layers": n_layers, "n_hidden": n_hidden,
            "vocab_size": model.i_h.num_embeddings, "norm": norm, "copy": None}
    if isinstance(model, CausalTransformer):
        arch.update(n_heads=model.n_heads, context=model.context)
    if norm == "bn":
        arch["bn_eps"] = model.bn.eps
    if isinstance(model, CopyGRU):
        arch["copy"] = {"mem_len": model.mem_len, "d_key": model.q[0].out_features}
    return arch


def _recipe(key: str) -> dict | None:
    recipe = RECIPES.get(key)
    if recipe is None:
        return None
    return {"key": recipe.key, "title": recipe.title, "epochs": recipe.epochs, "lr": recipe.lr,
            "bs": recipe.bs, "bptt": recipe.bptt, "wd": recipe.wd, "hidden": recipe.hidden}


def encode(model, key: str, *, vocab: Vocab | None = None, seed: int | None = None,
           accuracy: float | None = None, title: str | None = None) -> bytes:
    """The bytes of the playground file of ``model`` (a learner or a model) under ``key``."""
    model = _model_of(model)
    if vocab is not None:
        checks.instance("vocab", vocab, Vocab, "a Vocab (or None for the book's)")
    if seed is not None:
        checks.non_negative_int("seed", seed, at_most=checks.MAX_SEED)
    if title is not None:
        checks.text("title", title)
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"key must be 1-64 letters, digits, '_', '-' or '.', not starting with "
                         f"'-' or '.'; got {key!r}")
    vocab = vocab if vocab is not None else load_human_numbers().vocab
    if len(vocab) != model.i_h.num_embeddings:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model's embedding has "
                         f"{model.i_h.num_embeddings}")
    if accuracy is not None:
        checks.number("accuracy", accuracy, 0.0, 1.0)
    tensors, aliases, chunks, offset, seen = [], {}, [], 0, {}
    for name, t in model.state_dict(keep_vars=True).items():
        if not t.is_floating_point():
            continue  # batchnorm's num_batches_tracked
        ident = (t.data_ptr(), t.shape)
        if ident in seen:
            aliases[name] = seen[ident]
            continue
        seen[ident] = name
        data = t.detach().to("cpu", torch.float32).contiguous()
        tensors.append({"name": name, "shape": list(data.shape), "offset": offset})
        chunks.append(data.numpy().astype("<f4").tobytes())
        offset += data.numel()
    recipe = _recipe(key)
    header = {
        "format": FORMAT, "key": key, "class": type(model).__name__,
        "title": title or (recipe["title"] if recipe else type(model).__name__),
        "arch": _arch(model), "vocab": list(vocab.itos), "recipe": recipe, "seed": seed,
        "accuracy": None if accuracy is None else float(accuracy),
        "tensors": tensors, "aliases": aliases,
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(len(MAGIC) + 4 + len(text)) % 4)
    return MAGIC + struct.pack("<I", len(text)) + text + b"".join(chunks)


def _order(key: str) -> tuple[int, str]:
    keys = list(RECIPES)
    return (keys.index(key) if key in keys else len(keys), key)


def export_model(learn_or_model, folder: str | Path, *, key: str,
                 seed: int | None = None, accuracy: float | None = None,
                 vocab: Vocab | None = None, title: str | None = None) -> Path:
    """Write the playground file ``folder/<key>.bin`` of a trained learner or model
    and list it in ``folder/index.json``; returns the file's path.

    ``key`` names the model on the page; the book uses its recipe keys (``"gru2"``
    ...), and the page then shows that recipe's settings, so give a model trained
    otherwise another key. ``seed`` and ``accuracy`` are shown with it. ``vocab``
    defaults to the human-numbers vocabulary. Sizes (hidden units, layers, the copy
    head's ``mem_len`` and ``d_key``) are read from the model, so the page never
    assumes them.
    """
    _model_of(learn_or_model, "learn_or_model")
    folder = checks.path("folder", folder)
    data = encode(learn_or_model, key, vocab=vocab, seed=seed, accuracy=accuracy,
                  title=title)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.bin"
    path.write_bytes(data)
    header = _header(data)
    index_file = folder / "index.json"
    try:
        entries = json.loads(index_file.read_text())["models"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        entries = []
    entries = [e for e in entries if isinstance(e, dict) and e.get("key") != key]
    entries.append({"key": key, "title": header["title"], "file": path.name,
                    "class": header["class"], "seed": seed,
                    "accuracy": header["accuracy"]})
    entries.sort(key=lambda e: _order(str(e.get("key"))))
    index = {"format": FORMAT, "models": entries}
    index_file.write_text(json.dumps(index, indent=1) + "\n")
    return path


def _header(data: bytes, name: str = "data") -> dict:
    if len(data) < 12 or data[:8] != MAGIC:
        raise ValueError(f"{name}: not a playground model file (it must start with RNNBPG01)")
    (n,) = struct.unpack("<I", data[8:12])
    try:
        header = json.loads(data[12:12 + n])
    except ValueError as e:
        raise ValueError(f"the playground file's header is not valid JSON: {e}") from None
    if header.get("format") != FORMAT:
        raise ValueError(f"playground file format {header.get('format')!r}; this rnnbook reads {FORMAT}")
    header["_data_start"] = 12 + n
    return header


def load_model(source: str | Path | bytes) -> tuple[nn.Module, Vocab, dict]:
    """Rebuild the PyTorch model of a playground file (a path or its bytes), in eval mode;
    returns ``(model, vocab, header)``."""
    if not isinstance(source, bytes):
        file = checks.path("source", source)
        if not file.is_file():
            raise ValueError(f"source {checks.show(source)}: no such file (expected a playground "
                             "model file, or its bytes)")
    data = source if isinstance(source, bytes) else file.read_bytes()
    header = _header(data, "source")
    classes = {c.__name__: c for c in SUPPORTED}
    if header["class"] not in classes:
        raise ValueError(f"unknown model class {header['class']!r}; known: {', '.join(classes)}")
    arch = header["arch"]
    kwargs = {"n_hidden": arch["n_hidden"]}
    if header["class"] != "StatefulRNN":
        kwargs["n_layers"] = arch["n_layers"]
    if arch["cell"] == "transformer":
        kwargs.update(n_heads=arch["n_heads"], context=arch["context"])
    if arch["copy"]:
        kwargs.update(arch["copy"])
    model = classes[header["class"]](arch["vocab_size"], **kwargs)
    weights = torch.frombuffer(bytearray(data[header["_data_start"]:]), dtype=torch.float32)
    state = {}
    for t in header["tensors"]:
        n = 1
        for s in t["shape"]:
            n *= s
        if t["offset"] + n > weights.numel():
            raise ValueError(f"the playground file is truncated (tensor {t['name']})")
        state[t["name"]] = weights[t["offset"]:t["offset"] + n].view(t["shape"])
    for name, target in header["aliases"].items():
        state[name] = state[target]
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"the playground file does not fit {header['class']}: missing {missing}, "
                         f"unexpected {unexpected}")
    return model.eval(), Vocab(header["vocab"]), header


@torch.no_grad()
def predict(model: nn.Module, tokens: list[str], vocab: Vocab, k: int = 3) -> dict:
    """What the page's ``rnnbookPlayground.run`` returns, computed by PyTorch: the model reads
    ``tokens`` as one row from a reset state. ``tokens`` (the words read), ``predictions``
    (the likeliest next word after each), ``top`` (``k`` ``[word, probability]`` pairs, best
    first) and ``hidden`` (the last recurrent layer's output after each token)."""
    model = _model_of(model)
    tokens = checks.strings("tokens", tokens)
    checks.instance("vocab", vocab, Vocab, "a Vocab")
    k = checks.positive_int("k", k, at_most=len(vocab))
    outputs = []
    rnn = getattr(model, "rnn", None)  # else the model keeps its top layer in model.hidden
    hook = rnn.register_forward_hook(lambda mod, inp, out: outputs.append(out[0])) if rnn else None
    was_training = model.training
    try:
        model.eval()
        reset = getattr(model, "reset", lambda: None)  # a stateless model has none
        reset()
        device = next(model.parameters()).device
        out = model(vocab.numericalize(tokens)[None].to(device))[0]
        if hook is None:
            outputs.append(model.hidden)
    finally:
        if hook is not None:
            hook.remove()
        reset()
        model.train(was_training)
    probs = torch.softmax(out.float(), -1).cpu()
    values, ids = probs.topk(k, -1)
    top = [[[vocab.itos[i], p] for i, p in zip(row_i, row_p, strict=True)]
           for row_i, row_p in zip(ids.tolist(), values.tolist(), strict=True)]
    return {"tokens": list(tokens), "predictions": [row[0][0] for row in top], "top": top,
            "hidden": outputs[0][0].cpu().tolist()}


def _static_text(name: str) -> str:
    """A file of the playground's front end: from the checkout, else from the installed package."""
    if (STATIC / name).is_file():
        return (STATIC / name).read_text(encoding="utf-8")
    return importlib.resources.files("rnnbook.playground_static").joinpath(name).read_text(encoding="utf-8")


class Playground:
    """The playground view of one model for a live kernel; shows itself as an ``<iframe>``."""

    def __init__(self, data: bytes, key: str, text: str | None = None, height: int = 900):
        checks.instance("data", data, bytes, "the bytes of a playground file (encode())")
        _header(data)
        checks.text("key", key, empty=False)
        if text is not None:
            checks.text("text", text)
        checks.integer("height", height, 200, 10_000)
        self.data, self.key, self.text, self.height = data, key, text, height

    def document(self) -> str:
        """The iframe's whole HTML document: style sheet, script and weights inlined."""
        js = "\n".join([facts_js()] + [_static_text(name) for name in SCRIPTS]).replace("</", "<\\/")
        css = _static_text("playground.css")
        models = json.dumps({self.key: base64.b64encode(self.data).decode()})
        attrs = f'data-models="{html.escape(self.key)}"'
        if self.text is not None:
            attrs += f' data-text="{html.escape(self.text)}"'
        return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                f"<title>rnnbook playground: {html.escape(self.key)}</title><style>{css}</style>"
                f"<script>window.rnnbookPlaygroundModels = {models};</script></head><body>"
                f"<main><div class=\"rnnbook-playground\" {attrs}></div></main>"
                f"<script>{js}</script></body></html>")

    def _repr_html_(self) -> str:
        return (f'<iframe title="rnnbook playground: {html.escape(self.key)}" '
                f'srcdoc="{html.escape(self.document(), quote=True)}" '
                f'style="width: 100%; height: {int(self.height)}px; border: 1px solid #ccc">'
                "</iframe>")


def playground(learn_or_model, key: str = "my_model", *, vocab: Vocab | None = None,
               text: str | None = None, accuracy: float | None = None, seed: int | None = None,
               height: int = 900) -> Playground:
    """The playground for a model you trained, in a live notebook: ``playground(learn)``.

    ``text`` prefills the text box; ``accuracy`` and ``seed`` are shown with the model. The
    model's weights go into the page, so it keeps working after the kernel stops.
    """
    _model_of(learn_or_model, "learn_or_model")
    if text is not None:
        checks.text("text", text)
    checks.integer("height", height, 200, 10_000)
    data = encode(learn_or_model, key, vocab=vocab, seed=seed, accuracy=accuracy)
    return Playground(data, key, text, height)



# ---------------------------------------------------------------------------------------
# The translation box: chapter "Words to digits"'s attention model, run by translate.js.

TRANSLATOR_FORMAT = 1
EXPECTED = (1, 7, 13, 20, 42, 99, 100, 101, 315, 999, 1000, 1001, 2020, 4700, 5555, 8000,
            8042, 8117, 9009, 9999)
"""The numbers whose digits the export writes into its JSON as PyTorch translates them, for
the site's check of the page."""


def _attention_seq2seq(name: str, value: object) -> seq2seq.Seq2Seq:
    model = getattr(value, "model", value)
    if not isinstance(model, seq2seq.Seq2Seq):
        checks.refuse(name, value, "a Seq2Seq model or a Learner of one (recipe seq2seq_attn)",
                      wrong_type=True)
    if model.score is None or model.encoder.bidirectional:
        checks.refuse(name, value, "a Seq2Seq with attention=True and a one-directional encoder")
    return model


def _key(name: str, value: object) -> str:
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        checks.refuse(name, value, "1-64 letters, digits, '_', '-' or '.', not starting with "
                      "'-' or '.'")
    return value


def _template(words: str, holes: dict[str, str]) -> str:
    """The message ``words_to_number(words)`` raises, with each shown value of ``holes``
    replaced by its ``{name}`` (so the page fills in what the reader typed)."""
    try:
        seq2seq.words_to_number(words)
    except ValueError as e:
        message = str(e)
    else:
        raise AssertionError(f"{words!r} was read as a number")
    for hole, shown in holes.items():
        assert shown in message, (shown, message)
        message = message.replace(shown, "{" + hole + "}")
    return message


@door(learn_or_model=_attention_seq2seq, folder=checks.path, key=_key,
      seed=checks.maybe(functools.partial(checks.non_negative_int, at_most=checks.MAX_SEED)))
def export_translator(learn_or_model, folder: str | Path, *, key: str = "seq2seq_attn",
                      seed: int | None = None) -> Path:
    """Write a trained attention :class:`~rnnbook.seq2seq.Seq2Seq` (or its Learner) for the
    site's translation box (chapter "Words to digits"): ``folder/<key>.bin``, its weights as
    little-endian float32, and ``folder/<key>.json``, everything ``translate.js`` needs that
    Python knows: the sizes, each tensor's shape and offset, the word vocabulary,
    :data:`~rnnbook.seq2seq.DIGITS`, ``SRC_LEN``, ``TGT_LEN``, the padding, start and end
    ids, the words of the numbers, the characters ``str.split`` splits at, the messages of
    :func:`~rnnbook.seq2seq.words_to_number` (as templates) and, under ``expected``, the
    digits :func:`~rnnbook.seq2seq.translate` writes for a few numbers. Returns the JSON's
    path."""
    model = _attention_seq2seq("learn_or_model", learn_or_model)
    vocab = load_human_numbers().vocab
    if len(vocab) != model.i_h.num_embeddings:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model's embedding has "
                         f"{model.i_h.num_embeddings}")
    tensors, chunks, offset = [], [], 0
    for name, t in model.state_dict().items():
        data = t.detach().to("cpu", torch.float32).contiguous()
        tensors.append({"name": name, "shape": list(data.shape), "offset": offset})
        chunks.append(data.numpy().astype("<f4").tobytes())
        offset += data.numel()
    known = sorted(NUMBER_WORDS)
    show = checks.show
    recipe = RECIPES.get(key)
    config = {
        "format": TRANSLATOR_FORMAT, "key": key, "weights": f"{key}.bin", "seed": seed,
        "title": recipe.title if recipe else type(model).__name__,
        "n_hidden": model.cell.hidden_size, "tensors": tensors,
        "vocab": list(vocab.itos), "word_pad": model.pad_id,
        "digits": list(seq2seq.DIGITS), "src_len": seq2seq.SRC_LEN, "tgt_len": seq2seq.TGT_LEN,
        "pad": seq2seq.PAD, "bos": seq2seq.BOS, "eos": seq2seq.EOS,
        "known_words": known,
        "whitespace": "".join(c for c in map(chr, range(0x110000)) if c.isspace()),
        "show_limit": inspect.signature(show).parameters["limit"].default,
        "messages": {
            "empty": _template(" ", {"shown": show(" ")}),
            "unknown": _template("zzq eight", {"shown": show("zzq eight"), "word": repr("zzq")}),
            "not_number": _template("thousand eight", {"shown": show("thousand eight")}),
        },
        "expected": [[w, seq2seq.translate(model, w)] for w in map(number_to_words, EXPECTED)],
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{key}.bin").write_bytes(b"".join(chunks))
    path = folder / f"{key}.json"
    path.write_text(json.dumps(config, separators=(",", ":")) + "\n")
    return path


@door(key=_key, script=functools.partial(checks.text, empty=False))
def translator_box(key: str = "seq2seq_attn",
                   script: str = "../_static/playground/translate.js"):
    """The translation box of the playground page as notebook HTML (chapter "Words to
    digits"): the reader types a number in words and the model ``key`` (written by
    :func:`export_translator` into ``models/`` beside ``script``) writes its digits, in the
    page, with its attention drawn as a table. ``script``: ``translate.js`` as the page sees
    it."""
    from IPython.display import HTML

    return HTML(f'<div class="rnnbook-translate" data-model="{html.escape(key)}">\n'
                "<p>On the book's website this box translates number words with the chapter's "
                "model, in the page. In a notebook, call <code>translate(learn, words)</code>."
                f'</p>\n</div>\n<script src="{html.escape(script)}"></script>')
