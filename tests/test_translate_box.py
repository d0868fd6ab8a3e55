"""The playground page's translation box (translate.js, run by Node) against PyTorch: the
digits and the attention weights of the exported model, and words_to_number's messages."""

import json
import shutil
import subprocess

import pytest
import torch

from rnnbook.data import number_to_words
from rnnbook.playground import STATIC, export_translator
from rnnbook.seq2seq import EOS, SRC_LEN, TGT_LEN, Seq2Seq, _rows, decode, translate, words_to_number

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
NUMBERS = [1, 8042, 9999, *range(7, 10000, 34)]  # 297 numbers of every length


def run_js(folder, body: str):
    """translate.js's core in Node, with the export in ``folder`` read as ``C`` (its JSON)
    and ``m`` (the model), then ``body`` (a function body returning a JSON-able value)."""
    script = ("".join((STATIC / n).read_text() for n in ("../facts.js", "shared.js", "translate.js"))
              + f"\nconst fs = require('fs'), T = rnnbookTranslate;"
              f" const C = JSON.parse(fs.readFileSync({json.dumps(str(folder / 'k.json'))}, 'utf8'));"
              f" const b = fs.readFileSync({json.dumps(str(folder / 'k.bin'))});"
              " const m = T.prepare(C, b.buffer.slice(b.byteOffset, b.byteOffset + b.length));"
              f"\nprocess.stdout.write(JSON.stringify((() => {{ {body} }})()));")
    out = subprocess.run(["node", "-"], input=script, capture_output=True, text=True, timeout=120,
                         check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, data):
    """A small, untrained, seeded attention model and its export: its attention sharpened (so the
    weights vary) and the end made likelier (so it writes 0 to 5 digits, by the number)."""
    torch.manual_seed(0)
    model = Seq2Seq(len(data.vocab), 12, attention=True).eval()
    with torch.no_grad():
        model.score.weight.mul_(6)
        model.h_o.bias[EOS] += 0.3
    folder = tmp_path_factory.mktemp("translator")
    export_translator(model, folder, key="k", seed=0)
    return model, folder


def test_the_box_writes_pytorchs_digits_and_attention(exported, data):
    model, folder = exported
    texts = [number_to_words(n) for n in NUMBERS]
    js = run_js(folder, f"return {json.dumps(texts)}.map((t) => {{ const p = T.parse(C, t);"
                        " return Object.assign({src: p.src}, T.decode(m, p.src)); });")
    x, _ = _rows(NUMBERS, data.vocab)
    src = x[:, :SRC_LEN]
    out = decode(model, src)  # (N, TGT_LEN)
    with torch.no_grad():
        model(torch.cat([src, x[:, SRC_LEN:]], 1))  # eval: greedy from its own guesses
    align = model.alignment  # (N, TGT_LEN, SRC_LEN)
    assert js[0]["src"] == src[0].tolist() and [r["src"] for r in js] == src.tolist()
    worst, steps, lengths = 0.0, 0, set()
    for i, r in enumerate(js):
        ids = out[i].tolist()
        n = ids.index(EOS) if EOS in ids else TGT_LEN
        assert r["digits"] == ids[:n], NUMBERS[i]
        assert len(r["alignment"]) == min(n + 1, TGT_LEN)  # every step up to the end's
        ref = align[i, :len(r["alignment"])]
        got = torch.tensor(r["alignment"], dtype=torch.float64)  # (steps, SRC_LEN)
        worst = max(worst, (got - ref.double()).abs().max().item())
        steps += len(r["alignment"])
        lengths.add(n)
        assert all(a[s] == 0 for a in r["alignment"] for s in range(SRC_LEN) if src[i, s] == Seq2Seq.pad_id)
    print(f"{len(js)} numbers, {steps} decoder steps, digits equal; max |d attention| {worst:.1e}; "
          f"written lengths {sorted(lengths)}")
    assert worst < 1e-5
    assert lengths == set(range(TGT_LEN + 1))  # the end written at every step, and never
    assert align.std() > 0.1  # weights far from uniform: something to compare


def python_message(text: str) -> str:
    with pytest.raises(ValueError) as e:
        words_to_number(text)
    return str(e.value)


BAD = ["", "   ", "\t\n", "Eight thousand forty two", "eight thousand eleventy", "thousand eight",
       "one one", "eight thousand forty two one", "don't", 'say "one"', "a\\b", "x" * 90,
       "eight thousand forty twoo " * 5, "zero", "eight\u200bthousand", "ünf", "one 🙂",
       "eight-thousand", "seven,", "\x1f", "\u00a0"]


def test_the_box_gives_words_to_numbers_messages(exported):
    _, folder = exported
    good = ["  eight   thousand\tforty two ", "eight\u00a0thousand\u3000forty\x1ctwo", "nine"]
    js = run_js(folder, f"return {json.dumps(BAD + good)}.map((t) => {{"
                        " try { return T.parse(C, t).words.join(' '); }"
                        " catch (e) { return 'error: ' + e.message; } });")
    for text, got in zip(BAD, js[:len(BAD)], strict=True):
        assert got == "error: " + python_message(text), text
    for text, got in zip(good, js[len(BAD):], strict=True):
        assert got == " ".join(text.split()) and words_to_number(text) > 0, text


def test_every_number_reads_as_python_reads_it(exported, data):
    """All of 1..9999: the page's words and source ids are the ones PyTorch is given."""
    _, folder = exported
    js = run_js(folder, "const out = []; for (let n = 1; n < 10000; n++)"
                        " out.push(T.parse(C, rnnbookShared.numberWords(n)).src); return out;")
    x, _ = _rows(list(range(1, 10000)), data.vocab)
    assert js == x[:, :SRC_LEN].tolist()


def test_the_export_holds_what_the_page_needs(exported):
    model, folder = exported
    config = json.loads((folder / "k.json").read_text())
    assert config["src_len"] == SRC_LEN and config["digits"][config["eos"]] == "xxeos"
    assert config["vocab"][config["word_pad"]] == "xxpad"
    assert (folder / "k.bin").stat().st_size == 4 * sum(p.numel() for p in model.state_dict().values())
    assert "eight thousand forty two" in [w for w, _ in config["expected"]]
    assert [d for _, d in config["expected"]] == [translate(model, w) for w, _ in config["expected"]]
    with pytest.raises(ValueError, match="attention=True"):
        export_translator(Seq2Seq(40, 4), folder)
