"""The book's Sphinx extension.

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
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

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
    path = Path(app.outdir).parent / "exec_times.json"
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
    app.connect("config-inited", _footer)
    app.add_directive("build-machine", BuildMachine)
    app.connect("build-finished", _report)
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    app.connect("doctree-resolved", _unique_exercise_ids)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
