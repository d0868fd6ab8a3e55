"""The book's Sphinx extension.

- At the end of a build it writes ``exec_times.json`` next to the HTML output's folder
  (``_build/exec_times.json``) and prints how long each chapter took to execute.
- It drops script tags that a page would include twice (sphinx-thebe registers its
  configuration script once per read phase; the second copy is a JavaScript error).
- It gives the body of each exercise and solution (sphinx-exercise) an id of its own: the
  extension names every one ``exercise-content`` or ``solution-content``, so a page with several
  exercises would repeat an id.
"""

import json
from pathlib import Path


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
    app.connect("build-finished", _report)
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    app.connect("doctree-resolved", _unique_exercise_ids)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
