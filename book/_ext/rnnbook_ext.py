"""The book's Sphinx extension.

- Execution: chapters are executed through Jupyter Book's cache (``execute_notebooks: cache``),
  so a rebuild re-executes only the chapters that changed; but when the package's source has
  changed since the cache was filled, every chapter is executed again (the cache knows only the
  notebooks' code, so it is emptied). ``RNNBOOK_EXECUTE=force`` (CI) executes every chapter
  whatever the cache.
- The run cache (:mod:`rnnbook.runs`): the build points ``RNNBOOK_RUN_CACHE`` at
  ``_build/runs`` and tells each chapter's kernel which chapter it runs, so a run that an
  earlier chapter trained is loaded, not trained again. The ``rnnbook-runs`` directive (on the
  Build report page) lists every training run of the build.
- It names the machine the chapters are executed on (``rnnbook.book.build_machine``: the GPU,
  its driver and CUDA version, or the CPU) at the end of every page's footer, and in the
  ``build-machine`` directive, a list the build report page shows above its per-chapter times.
- At the end of a build it writes ``exec_times.json`` next to the HTML output's folder
  (``_build/exec_times.json``) and prints how long each chapter took to execute.
- It drops script tags that a page would include twice (sphinx-thebe registers its
  configuration script once per read phase; the second copy is a JavaScript error).
- It gives the body of each exercise and solution (sphinx-exercise) an id of its own: the
  extension names every one ``exercise-content`` or ``solution-content``, so a page with several
  exercises would repeat an id.
"""

import datetime
import html
import json
import os
import shutil
import time
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from rnnbook import runs

EXECUTE_ENV = "RNNBOOK_EXECUTE"


def _build_dir(app) -> Path:
    return Path(app.outdir).parent  # _build, beside _build/html


def _source_stamp(app) -> Path:
    return _build_dir(app) / "rnnbook-source"


def _execution_mode(app, config):
    """Cache, unless ``RNNBOOK_EXECUTE`` says otherwise; the cache is emptied when the package
    changed since it was filled (it knows only the notebooks' code)."""
    mode = os.environ.get(EXECUTE_ENV) or config.nb_execution_mode
    stamp = _source_stamp(app)
    if mode == "cache" and (not stamp.exists() or stamp.read_text() != runs.source_hash()):
        cache = Path(config.nb_execution_cache_path or _build_dir(app) / ".jupyter_cache")
        if not cache.is_absolute():
            cache = Path(app.confdir) / cache
        shutil.rmtree(cache, ignore_errors=True)  # outputs made by other code: run them all
        print("rnnbook: the package changed since the last build: every chapter runs")
    config.nb_execution_mode = mode
    print(f"rnnbook: executing chapters with mode {mode!r}")


def _run_cache(app):
    os.environ.setdefault(runs.ENV, str(_build_dir(app) / "runs"))
    os.environ[runs.BUILD_ENV] = f"{time.time():.0f}-{os.getpid()}"


def _chapter(app, docname, source):
    os.environ[runs.CHAPTER_ENV] = docname  # the kernel started for this page inherits it


class runs_table(nodes.General, nodes.Element):
    """Where the ``rnnbook-runs`` directive's table goes, once every chapter has run."""


class RunsDirective(SphinxDirective):
    """``{rnnbook-runs}``: the table of this build's training runs."""

    def run(self):
        return [runs_table()]


_RUN_COLUMNS = ("chapter", "recipe", "settings", "seed", "seconds", "run")


def _runs_rows(entries: list[dict]) -> list[list[str]]:
    return [[e["chapter"].removeprefix("book/"), e["recipe"],
             f"bs {e['bs']}, bptt {e['bptt']}, hidden {e['hidden']}, {e['epochs']} epochs, "
             f"lr {e['lr']:g}", str(e["seed"]), f"{e['seconds']:.1f}", e["status"]]
            for e in entries]


def _table(rows: list[list[str]]) -> nodes.table:
    # Classed rnnbook-runs: on a phone, layout.css lays each run out as a short block of lines
    # instead of six narrow columns (it picks the cells by their place in _RUN_COLUMNS).
    table, group = nodes.table(classes=["rnnbook-runs"]), nodes.tgroup(cols=len(_RUN_COLUMNS))
    table += group
    group.extend(nodes.colspec(colwidth=1) for _ in _RUN_COLUMNS)
    head, body = nodes.thead(), nodes.tbody()
    head += nodes.row("", *(nodes.entry("", nodes.paragraph(text=c)) for c in _RUN_COLUMNS))
    for row in rows:
        body += nodes.row("", *(nodes.entry("", nodes.paragraph(text=v)) for v in row))
    group += head
    group += body
    return table


def _fill_runs_tables(app, doctree, docname):
    found = list(doctree.findall(runs_table))
    if not found:
        return
    base = runs.folder()
    entries = runs.build_runs(base) if base is not None else []
    trained = [e for e in entries if e["status"] == "trained"]
    loaded = [e for e in entries if e["status"] == "loaded"]
    summary = nodes.paragraph(text=(
        f"{len(entries)} training runs: {len(trained)} trained "
        f"({sum(e['seconds'] for e in trained):.0f} s), {len(loaded)} loaded from the run cache "
        f"({sum(e['seconds'] for e in loaded):.1f} s)."))
    for node in found:
        node.replace_self([summary.deepcopy(), _table(_runs_rows(entries))])
_MACHINE: dict = {}


def machine() -> dict:
    """This build's machine (``rnnbook.book.build_machine``), found once per process."""
    if not _MACHINE:
        from rnnbook.book import build_machine

        _MACHINE.update(build_machine())
    return _MACHINE


def _footer(app, config):
    from rnnbook.book import describe_machine

    options = dict(config.html_theme_options or {})
    line = html.escape(f"Built on {describe_machine(machine())}.")
    footer = options.get("extra_footer") or ""
    options["extra_footer"] = f"{footer} {line}" if footer else line
    config.html_theme_options = options


class BuildMachine(SphinxDirective):
    """``{build-machine}``: the device, its driver and CUDA version, torch, Python and the date
    of the build, as a list."""

    def run(self):
        m = machine()
        gpu = m["device"] in ("cuda", "mps")
        rows = [("Device", f"{'GPU' if gpu else 'CPU'}: {m['name']}"
                 + ("" if gpu else f" ({m['cores']} cores)"))]
        if m["device"] == "cuda":
            rows += [("Driver", m["driver"] or "unknown"), ("CUDA", m["cuda"] or "unknown")]
        rows += [("torch", m["torch"]), ("Python", m["python"]),
                 ("Built", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"))]
        fields = nodes.field_list(classes=["build-machine"])
        for name, value in rows:
            fields += nodes.field("", nodes.field_name(text=name),
                                  nodes.field_body("", nodes.paragraph(text=value)))
        return [fields]


def _report(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    rows = []
    for docname, data in sorted(getattr(app.env, "nb_metadata", {}).items()):
        exec_data = data.get("exec_data") if isinstance(data, dict) else None
        if exec_data:
            rows.append({"chapter": docname, "seconds": round(exec_data.get("runtime") or 0.0, 1),
                         "succeeded": bool(exec_data.get("succeeded"))})
    stamp = _source_stamp(app)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(runs.source_hash())  # the cached outputs are now this code's
    path = _build_dir(app) / "exec_times.json"
    path.write_text(json.dumps(rows, indent=2) + "\n")
    total = sum(r["seconds"] for r in rows)
    print("chapter execution times:")
    for r in rows:
        print(f"  {r['seconds']:7.1f} s  {r['chapter']}")
    print(f"  {total:7.1f} s  all chapters ({len(rows)})")


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        key = (getattr(script, "filename", None) or "", tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _unique_exercise_ids(app, doctree, docname):
    for section in doctree.findall(lambda node: node.tagname == "section"):
        if section.get("ids") in (["exercise-content"], ["solution-content"]):
            owner = section.parent.get("ids") if section.parent is not None else None
            section["ids"] = [f"{owner[0] if owner else docname}-{section['ids'][0]}"]


def setup(app):
    app.connect("config-inited", _execution_mode)
    app.connect("builder-inited", _run_cache)
    app.connect("source-read", _chapter)
    app.add_node(runs_table)
    app.add_directive("rnnbook-runs", RunsDirective)
    app.connect("doctree-resolved", _fill_runs_tables)
    app.connect("config-inited", _footer)
    app.add_directive("build-machine", BuildMachine)
    app.connect("build-finished", _report)
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    app.connect("doctree-resolved", _unique_exercise_ids)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
