"""Check the playground on the built site, in headless Chromium, against PyTorch.

Usage: ``python -m sitecheck.playground [_build/html] [--shots DIR] [--plain book/data]``

- For every model in ``_static/playground/models/index.json`` (and at least ``rnn``, ``gru2``,
  ``lstm2_reg``, ``copy_gru``, ``mingru``, ``transformer``),
  ``window.rnnbookPlayground.run(key, text)`` on the playground page gives the same top-3
  words as PyTorch (``rnnbook.playground.predict`` on the model rebuilt from the same file)
  and probabilities and hidden states within 1e-4. Two words whose PyTorch probabilities
  differ by less than 1e-6 (float32 rounding, at probabilities near zero) may come in either
  order; such ties are counted and printed.
- On the counting stretch 8101..8160 written out, ``copy_gru`` predicts at least 95% of the
  next words right, and ``gru2`` gets the thousands digit after "," wrong at least a quarter
  of the time (the failure the errors chapter is about); both are printed.
- Continue: for every model, greedily (temperature 0), ``rnnbookPlayground.generate`` writes
  the very words ``rnnbook.generate`` writes after the same prompts, with the model rebuilt
  from the same file; the Continue button shows them, and at a temperature above 0 it writes
  a seeded, reproducible sample.
- The view: unknown words are reported, empty text shows a hint, a text over the cap is
  refused, every control has an accessible name and the heatmap a text alternative, the
  component fits a 390-px-wide screen, the pages that embed it render it too, once scrolled
  to, and fetch no model's weights before.
- Look inside: for every model, the occlusion drops the page colours the words by
  (``window.rnnbookInside.lookInside``) equal PyTorch's (:func:`occlusion`) within 1e-4, at
  a thousands digit with more than 60 words before it. In the view, at 1280 px and at 390 px
  (touch), for ``gru2`` and for a model trained on the widgets page and opened there (a short
  run): hovering or tapping a word, and the arrow keys, choose the word whose prediction colours
  the earlier words, another word gives other colours, picking a unit colours the text by that
  unit (other units, other colours; the value in each word's title), and nothing spills over.
- No request goes to another host, no JavaScript error; the weight of the playground page
  (bytes of every file it loads, with its first model) against a plain chapter is printed and
  must not exceed it by more than 2 MB.

``--shots DIR`` saves screenshots (desktop and 390 px wide). Exits 1 listing the problems.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sitecheck import report
from sitecheck.browser import open_browser, serve, watch

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("rnn", "gru2", "lstm2_reg", "copy_gru", "mingru", "transformer")
PAGE = "book/playground"
EMBEDDED = ("book/errors", "book/stronger", "book/today")
BUDGET = 2_000_000  # bytes the playground page may weigh more than a plain chapter
TOL = 1e-4
TIE = 1e-6

RENDERED = "() => !!document.querySelector('.rnnbook-playground tbody tr')"
MESSAGE = "() => (document.querySelector('.rnnpg-msg') || {}).textContent || ''"
CONTROLS = """() => [...document.querySelectorAll('.rnnpg :is(button, select, textarea, input)')]
  .filter(e => !((e.labels && e.labels.length && e.labels[0].textContent.trim())
                 || (e.getAttribute('aria-label') || '').trim() || e.textContent.trim()))
  .map(e => e.outerHTML.slice(0, 80))"""


def words(numbers) -> str:
    from rnnbook.data import number_to_words

    return " , ".join(number_to_words(n) for n in numbers) + " ,"


STRETCH = words(range(8101, 8161))
COUNT = words(range(8112, 8120))  # the playground's first example, "Counting on"
PROMPTS = {"from 8,101": words(range(8101, 8106)), "from 8,991": words(range(8991, 8996)),
           "mid-number": "hundred twelve , " + words(range(8113, 8116))}
N_WRITE = 60
CONTINUED = "() => (document.querySelector('.rnnpg-written') || {}).textContent || ''"
TEXTS = {"8101..8160": STRETCH,
         "into nine thousand": words(range(8990, 9011)),
         "mid-number, unknown word": "hundred twelve , eleventy " + words(range(8113, 8118))}


WIDGETS = "book/widgets.html"  # the training panel, whose runs open in a playground there
TRAINED = "() => !!(window.rnnbookTrain && document.querySelector('.rnntr'))"
TOK = ".rnnpg-inside .rnnpg-tok"
INSIDE_READY = f"() => document.querySelectorAll('{TOK}').length > 30"
COLOURS = f"() => [...document.querySelectorAll('{TOK}')].map(b => b.style.background)"
INSIDE_AT = 101  # in STRETCH: after "," (the thousands digit next), 100 words read before it


def occlusion(model, tokens: list[str], vocab, position: int, back: int = 60) -> dict:
    """What the page's "Look inside" view colours the words by, computed by PyTorch: the word
    the model predicts after ``tokens[position]`` (``target``, with probability ``p0``) and, for
    each of the last ``back`` words up to ``position``, how much that probability drops when the
    word is replaced by ``xxunk`` and ``tokens[:position + 1]`` is read again from a reset state
    (``drops``, one per token, ``None`` where not measured)."""
    import torch

    x = vocab.numericalize(tokens[:position + 1])  # (position + 1,)
    unk = vocab.stoi["xxunk"]
    reset = getattr(model, "reset", lambda: None)  # a stateless model has none

    def prob(row):  # (V,) after the last word of row
        reset()
        return torch.softmax(model(row[None])[0, -1].double(), -1)

    model.eval()
    with torch.no_grad():
        p = prob(x)
        target = int(p.argmax())
        drops: list[float | None] = [None] * len(tokens)
        for s in range(max(0, position - back + 1), position + 1):
            row = x.clone()
            row[s] = unk
            drops[s] = float(p[target] - prob(row)[target])
    reset()
    return {"target": vocab.itos[target], "p0": float(p[target]), "drops": drops}


def chosen_is(page, t: int) -> None:
    page.wait_for_function(f"() => (document.querySelector('{TOK}[aria-pressed=\"true\"]') || {{}})"
                           f".dataset?.pos === '{t}'", timeout=10000)


def look_inside(page, label: str, width: int, touch: bool = False) -> list[str]:
    """Use the "Look inside" view of the playground on ``page`` as a reader would: choose words
    (hover, or tap on a touch screen; then the arrow keys), pick units. Problems, prefixed with
    ``label``."""
    problems = []
    page.wait_for_function(INSIDE_READY, timeout=30000)
    page.locator(".rnnpg-inside").scroll_into_view_if_needed()
    page.check(".rnnpg-inside input[value='lean']")
    first, second = 30, 17
    word = page.locator(f"{TOK}[data-pos='{first}']")
    word.tap() if touch else word.hover()
    chosen_is(page, first)
    a = page.evaluate(COLOURS)
    page.locator(f"{TOK}[data-pos='{second}']").click()
    chosen_is(page, second)
    b = page.evaluate(COLOURS)
    if a == b:
        problems.append("choosing another word left the colours as they were")
    if sum(c not in ("", "transparent") for c in b[:second]) < second // 2:
        problems.append(f"after choosing word {second}, few earlier words are coloured: {b[:second]}")
    if any(c not in ("", "transparent") for c in b[second + 1:]):
        problems.append("words after the chosen one are coloured")
    page.keyboard.press("ArrowRight")
    chosen_is(page, second + 1)
    units = page.evaluate("() => [...document.querySelectorAll('.rnnpg-inside select option')]"
                          ".map(o => o.value)")
    page.select_option(".rnnpg-inside select", units[0])
    page.wait_for_function("() => document.querySelector(\".rnnpg-inside input[value='unit']\").checked",
                           timeout=10000)
    u0 = page.evaluate(COLOURS)
    page.select_option(".rnnpg-inside select", units[-1])
    page.wait_for_function(f"() => document.querySelector('{TOK}').title.includes('unit {units[-1]} =')",
                           timeout=10000)
    u1 = page.evaluate(COLOURS)
    if len(set(u0)) < 3 or u0 == u1 or u0 == b:
        problems.append(f"picking units 0 and {units[-1]} did not colour the text by them")
    named = page.evaluate("() => { const s = document.querySelector('.rnnpg-inside select');"
                          " return s.labels.length && s.labels[0].textContent.trim(); }")
    if not named:
        problems.append("the unit picker has no label")
    wide = page.evaluate("() => [document.documentElement.scrollWidth,"
                         " document.querySelector('.rnnpg-inside').getBoundingClientRect().right]")
    if wide[0] > width or wide[1] > width:
        problems.append(f"the view spills over at {width} px (page width, view's right edge: {wide})")
    print(f"  look inside, {label}: words {first}, {second}, {second + 1} chosen, units 0 and "
          f"{units[-1]} of {len(units)} picked: {'ok' if not problems else 'PROBLEMS'}")
    return [f"look inside, {label}: {p}" for p in problems]


def handed_over(browser, base: str, width: int, shots: Path | None) -> list[str]:
    """A short run trained on the widgets page, opened in the playground there, looked inside."""
    touch = width < 500
    page = browser.new_page(viewport={"width": width, "height": 900}, has_touch=touch)
    faults = watch(page, base)
    page.goto(f"{base}/{WIDGETS}", wait_until="load")
    page.wait_for_function(TRAINED, timeout=60000)
    res = page.evaluate("() => window.rnnbookTrain.train({model: 'gru2', epochs: 1, hidden: 16, bptt: 10})")
    if res["diverged"] or len(res["rows"]) != 1:
        page.close()
        return [f"widgets page, {width} px: the short run did not finish: {res.get('message')}"]
    button = page.locator(".rnntr button.rnntr-open[data-run='1']")
    button.tap() if touch else button.click()
    page.wait_for_function("() => (document.querySelector('.rnnbook-playground select') || {}).value"
                           " === 'run1-gru2'", timeout=30000)
    problems = look_inside(page, f"run1-gru2 from the widgets page, {width} px", width, touch)
    if shots:
        screenshot(page, shots / f"inside-handoff-{width}.png", ".rnnpg-inside")
    page.close()
    return problems + [f"widgets page, {width} px: {f}" for f in faults]


def compare(js: dict, ref: dict) -> tuple[list[str], int, float, float]:
    """Problems, the number of tolerated near-ties, and the largest probability and hidden-state
    differences between the page's result ``js`` and PyTorch's ``ref`` (with every word's
    probability)."""
    problems, ties, dp, dh = [], 0, 0.0, 0.0
    if js["tokens"] != ref["tokens"]:
        return [f"tokens differ: {js['tokens'][:8]} vs {ref['tokens'][:8]}"], 0, 0.0, 0.0
    for i, (top, full) in enumerate(zip(js["top"], ref["top"], strict=True)):
        probs = dict(full)
        for j, (word, p) in enumerate(top):
            dp = max(dp, abs(p - probs[word]))
            if word != full[j][0]:
                if abs(probs[word] - full[j][1]) < TIE:
                    ties += 1
                else:
                    problems.append(f"position {i}: top-3 {[w for w, _ in top]} vs "
                                    f"{[w for w, _ in full[:3]]}")
        if js["predictions"][i] != top[0][0]:
            problems.append(f"position {i}: prediction {js['predictions'][i]} is not top[0]")
    for a, b in zip(js["hidden"], ref["hidden"], strict=True):
        dh = max(dh, max(abs(x - y) for x, y in zip(a, b, strict=True)))
    if dp > TOL:
        problems.append(f"probabilities differ by up to {dp:.2e} (> {TOL:g})")
    if dh > TOL:
        problems.append(f"hidden states differ by up to {dh:.2e} (> {TOL:g})")
    return problems, ties, dp, dh


def stretch_scores(result: dict) -> tuple[float, int, int]:
    """Accuracy of the next-word predictions, and (right, total) for the thousands digit."""
    toks, preds = result["tokens"], result["predictions"]
    right = sum(p == t for p, t in zip(preds[:-1], toks[1:], strict=True))
    digits = [i for i in range(len(toks) - 1) if toks[i] == ","]
    return right / (len(toks) - 1), sum(preds[i] == toks[i + 1] for i in digits), len(digits)


def local_file(site: Path, base: str, url: str) -> Path | None:
    if not url.startswith(base):
        return None
    path = unquote(urlsplit(url).path).lstrip("/")
    target = site / path
    return target / "index.html" if target.is_dir() else target


def page_weight(browser, site: Path, base: str, name: str, wait: str | None) -> tuple[dict, list[str]]:
    """Bytes of every file the page ``name`` loads (once rendered; ``wait`` a JS condition)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(f"{base}/{name}.html", wait_until="load")
    if wait:
        page.wait_for_function(wait, timeout=60000)
    page.wait_for_load_state("networkidle")
    page.close()
    sizes, foreign = {}, []
    for url in dict.fromkeys(urls):  # each file once
        f = local_file(site, base, url)
        if f is None:
            if not url.startswith("data:"):
                foreign.append(url)
            continue
        sizes[url[len(base):]] = f.stat().st_size if f.is_file() else 0
    return sizes, foreign


def screenshot(page, path: Path, part: str = ".rnnpg") -> None:
    """The playground (or its ``part``) as laid out in the page (a full-page shot, so the
    theme's sticky header stays at the top), with nothing focused."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    box = page.locator(part).bounding_box()
    scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
    clip = {"x": box["x"] + scroll[0], "y": box["y"] + scroll[1],
            "width": box["width"], "height": box["height"]}
    page.screenshot(path=str(path), full_page=True, clip=clip)


def check(site: Path, shots: Path | None, plain: str) -> list[str]:
    import torch

    from rnnbook.playground import load_model, predict

    torch.set_num_threads(1)
    problems: list[str] = []
    models_dir = site / "_static" / "playground" / "models"
    index = json.loads((models_dir / "index.json").read_text())["models"]
    keys = [e["key"] for e in index]
    problems += [f"model {k} was not exported" for k in REQUIRED if k not in keys]
    with serve(site) as base, open_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        faults = watch(page, base)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{base}/{PAGE}.html", wait_until="load")
        page.wait_for_function(RENDERED, timeout=60000)

        print("browser vs PyTorch (top-3 words, probabilities and hidden states):")
        stretch = {}
        for entry in index:
            key = entry["key"]
            model, vocab, header = load_model(models_dir / entry["file"])
            for label, text in TEXTS.items():
                js = page.evaluate("([k, t]) => window.rnnbookPlayground.run(k, t)", [key, text])
                ref = predict(model, js["tokens"], vocab, k=len(vocab))
                bad, ties, dp, dh = compare(js, ref)
                problems += [f"{key}, {label}: {b}" for b in bad[:5]]
                print(f"  {key:<10} {label:<26} {len(js['tokens']):4} words  "
                      f"{'same' if not bad else 'DIFFERENT'} top-3 ({ties} near-ties)  "
                      f"max |dp| {dp:.1e}  max |dh| {dh:.1e}")
                if label == "8101..8160":
                    stretch[key] = stretch_scores(js)
        back = page.evaluate("() => window.rnnbookPlaygroundModel.EXPLAIN_BACK")
        print(f"look inside: occlusion after word {INSIDE_AT} of 8101..8160, browser vs PyTorch:")
        for entry in index:
            key = entry["key"]
            model, vocab, _ = load_model(models_dir / entry["file"])
            js = page.evaluate("([k, t, p]) => window.rnnbookInside.lookInside(k, t, p)",
                               [key, STRETCH, INSIDE_AT])
            ref = occlusion(model, js["tokens"], vocab, INSIDE_AT, back)
            pairs = [(a, b) for a, b in zip(js["occlusion"], ref["drops"], strict=True)
                     if a is not None or b is not None]
            bad = len(pairs) != back or any(a is None or b is None for a, b in pairs)
            dd = 0.0 if bad else max(abs(a - b) for a, b in pairs)
            if bad or dd > TOL or js["target"] != ref["target"]:
                problems.append(f"{key}, look inside: occlusion differs from PyTorch's "
                                f"({js['target']} vs {ref['target']}, max |d| {dd:.1e})")
            top = max(range(INSIDE_AT), key=lambda s: abs(ref["drops"][s] or 0))  # an earlier word
            print(f"  {key:<10} predicts {js['target']!r} ({js['p0']:.1%}); max |d| {dd:.1e}; "
                  f"leans most on word {top} {js['tokens'][top]!r} ({ref['drops'][top]:+.3f})")
        print(f"Continue, greedy, {N_WRITE} words: browser vs rnnbook.generate:")
        from rnnbook import generate

        greedy = {}
        for entry in index:
            key = entry["key"]
            model, vocab, _ = load_model(models_dir / entry["file"])
            for label, prompt in PROMPTS.items():
                js = page.evaluate("([k, p, n]) => window.rnnbookPlayground.generate(k, p, n, 0)",
                                   [key, prompt, N_WRITE])
                ref = generate(model, prompt, N_WRITE, vocab=vocab)
                same = js["text"] == ref
                greedy[key, label] = js["text"]
                if not same:
                    problems.append(f"{key}, Continue {label}: the page writes {js['text'][:60]!r}, "
                                    f"rnnbook.generate {ref[:60]!r}")
                print(f"  {key:<10} {label:<12} {'same' if same else 'DIFFERENT'}: {js['text'][:56]}…")
        print("counting 8101..8160 in the browser:")
        for key, (acc, right, total) in stretch.items():
            print(f"  {key:<10} next word right {acc:.1%}; "
                  f"thousands digit after ',' right {right} of {total}")
        if "copy_gru" in stretch and stretch["copy_gru"][0] < 0.95:
            problems.append(f"copy_gru gets {stretch['copy_gru'][0]:.1%} of 8101..8160 right (< 95%)")
        if "gru2" in stretch:
            _, right, total = stretch["gru2"]
            if total - right < total / 4:
                problems.append(f"gru2 gets {right} of {total} thousands digits right: no failure shown")

        # the view: bad input, accessible names, the copy head
        text = page.locator(".rnnpg textarea")
        text.fill("eight thousand eleventy , eight thousand")
        page.wait_for_function(f"() => ({MESSAGE})().includes('eleventy')", timeout=10000)
        message = page.evaluate(MESSAGE)
        if "'eleventy' is not a word of the book's vocabulary; it is read as xxunk" not in message:
            problems.append(f"unknown word not reported: {message!r}")
        text.fill("")
        page.wait_for_function(f"() => ({MESSAGE})().startsWith('Type some words')", timeout=10000)
        text.fill("one , " * 1001)
        page.wait_for_function(f"() => ({MESSAGE})().includes('at most')", timeout=10000)
        if page.evaluate("() => !document.querySelector('.rnnpg-results').hidden"):
            problems.append("a text over the cap was not refused")
        page.select_option(".rnnpg select", "copy_gru")
        page.click("button.rnnpg-example[data-example='nine']")
        page.wait_for_function("() => document.querySelectorAll('.rnnpg tbody tr').length > 20",
                               timeout=10000)
        page.click(".rnnpg tbody tr[data-pos='20'] button.rnnpg-pick")
        page.wait_for_function(
            "() => !!document.querySelector('[aria-label=\"Copy head attention on earlier words\"]')",
            timeout=10000)
        # the Continue button, greedy then sampled
        text.fill(PROMPTS["from 8,991"])
        page.wait_for_function(RENDERED, timeout=10000)
        page.fill(".rnnpg-continue input[id$='-temp']", "0")
        page.fill(".rnnpg-continue input[id$='-nwords']", str(N_WRITE))
        page.click(".rnnpg-continue-btn")
        page.wait_for_function(f"() => ({CONTINUED})().includes('writes')", timeout=10000)
        shown = page.evaluate("() => document.querySelector('.rnnpg-written .rnnpg-text').textContent")
        if shown != greedy.get(("copy_gru", "from 8,991")):
            problems.append(f"the Continue button wrote {shown[:60]!r}, not the greedy words")
        page.fill(".rnnpg-continue input[id$='-temp']", "1.5")
        page.fill(".rnnpg-continue input[id$='-seed']", "3")
        samples = []
        for _ in range(2):
            page.click(".rnnpg-continue-btn")
            page.wait_for_function(f"() => ({CONTINUED})().includes('temperature 1.5')",
                                   timeout=10000)
            samples.append(page.evaluate(CONTINUED))
            page.evaluate("() => { document.querySelector('.rnnpg-written').textContent = ''; }")
        if samples[0] != samples[1]:
            problems.append("the same seed and temperature wrote different words")
        print(f"  Continue button, copy_gru, T = 1.5, seed 3: {samples[0][:90]}…")
        page.fill(".rnnpg-continue input[id$='-temp']", "-1")
        page.click(".rnnpg-continue-btn")
        page.wait_for_function(f"() => ({CONTINUED})().startsWith('Cannot continue')", timeout=10000)
        page.fill(".rnnpg-continue input[id$='-temp']", "0")
        page.click(".rnnpg-continue-btn")
        page.wait_for_function(f"() => ({CONTINUED})().includes('(greedy)')", timeout=10000)
        unnamed = page.evaluate(CONTROLS)
        problems += [f"control without an accessible name: {u}" for u in unnamed]
        alt = page.evaluate("() => document.querySelector('.rnnpg canvas').getAttribute('aria-label')")
        if not alt or len(alt) < 40:
            problems.append("the heatmap has no text alternative")
        page.select_option(".rnnpg select", "gru2")
        page.click("button.rnnpg-example[data-example='count']")
        page.wait_for_function(f"() => document.querySelector('.rnnpg-about').textContent.startsWith('gru2:')"
                               f" && document.querySelectorAll('{TOK}').length === {len(COUNT.split())}",
                               timeout=10000)
        problems += look_inside(page, "gru2, 1280 px", 1280)
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
            screenshot(page, shots / "playground-desktop.png")
            screenshot(page, shots / "inside-gru2-1280.png", ".rnnpg-inside")
        page.close()

        # a phone screen, 390 px wide
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                 has_touch=True)
        faults += watch(phone, base)
        phone.on("request", lambda r: requests.append(r.url))
        phone.goto(f"{base}/{PAGE}.html", wait_until="load")
        phone.wait_for_function(RENDERED, timeout=60000)
        overflow = phone.evaluate(
            """() => { const r = document.querySelector('.rnnpg').getBoundingClientRect();
                       return [r.left, r.right, document.documentElement.scrollWidth]; }""")
        if overflow[0] < 0 or overflow[1] > 390 or overflow[2] > 390:
            problems.append(f"at 390 px the playground spills over (left, right, page width: {overflow})")
        problems += look_inside(phone, "gru2, 390 px", 390, touch=True)
        if shots:
            screenshot(phone, shots / "playground-phone.png")
            screenshot(phone, shots / "inside-gru2-390.png", ".rnnpg-inside")
        phone.close()
        if (site / WIDGETS).is_file():
            for width in (1280, 390):
                problems += handed_over(browser, base, width, shots)
        else:
            problems.append(f"the site has no {WIDGETS}: no model to hand over")

        for name in EMBEDDED:
            p = browser.new_page()
            faults += watch(p, base)
            start = len(requests)
            p.on("request", lambda r: requests.append(r.url))
            p.goto(f"{base}/{name}.html", wait_until="load")
            p.wait_for_load_state("networkidle")
            early = [u for u in requests[start:] if u.endswith(".bin")]
            if early:  # the box is far down the chapter: its weights wait until it is wanted
                problems.append(f"{name}: model weights fetched before the playground is near: {early}")
            p.locator(".rnnbook-playground").scroll_into_view_if_needed()
            try:
                p.wait_for_function(RENDERED, timeout=60000)
                print(f"  {name}: the playground renders once scrolled to (no weights before)")
            except Exception:
                problems.append(f"{name}: the embedded playground did not render")
            p.close()

        problems += [f"request to another host: {u}" for u in dict.fromkeys(requests)
                     if not u.startswith((base, "data:", "about:"))]
        problems += faults

        weight, foreign = page_weight(browser, site, base, PAGE, RENDERED)
        plain_weight, plain_foreign = page_weight(browser, site, base, plain, None)
        problems += [f"request to another host: {u}" for u in foreign + plain_foreign]
    print(f"page weight of {PAGE} (bytes of every file it loads, with its first model):")
    for url, size in sorted(weight.items(), key=lambda kv: -kv[1]):
        print(f"  {size:>9,}  {url}{'' if url in plain_weight else '   (not on ' + plain + ')'}")
    total, plain_total = sum(weight.values()), sum(plain_weight.values())
    extra = sum(s for u, s in weight.items() if u not in plain_weight)
    print(f"  {total:>9,}  in all, {len(weight)} files; {plain}: {plain_total:,} bytes in "
          f"{len(plain_weight)} files; difference {total - plain_total:+,}; files only the "
          f"playground page loads: {extra:,}")
    models = sum(f.stat().st_size for f in models_dir.glob("*.bin"))
    print(f"  all {len(index)} model files together: {models:,} bytes (each loads only when chosen)")
    if total - plain_total > BUDGET:
        problems.append(f"the playground page weighs {total - plain_total:,} bytes more than {plain} "
                        f"(> {BUDGET:,})")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--shots", type=Path, default=None, help="save screenshots into this folder")
    parser.add_argument("--plain", default="book/data", help="the plain chapter to weigh against")
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / f"{PAGE}.html").is_file():
        parser.error(f"{site} has no {PAGE}.html; build the book first")
    problems = check(site, args.shots, args.plain)
    return report("playground check", problems)


if __name__ == "__main__":
    sys.exit(main())
