#!/usr/bin/env bash
# The package as a reader installs it: a wheel in a fresh environment that cannot see the
# checkout, where the playground finds its static files and a chapter runs.
#
#   sitecheck/wheel.sh [DIST]
#
# DIST: a folder holding the sdist and the wheel (the release workflow's dist/). Without it,
# both are built (python -m build: the sdist, then the wheel from the sdist) from a clean copy
# of the checkout: its tracked files and new files that git does not ignore, so no build output
# (the book's exported models, say) can slip into the wheel.
#
# Then, in a temporary folder: a new virtual environment (not --system-site-packages: that one
# would see the checkout's editable install) with torch==2.13.0 (from TORCH_INDEX_URL when set:
# the release workflow points it at PyTorch's CPU index), the wheel, and nbclient + ipykernel to
# run a notebook. From a folder outside the checkout, without PYTHONPATH:
#   1. rnnbook is the installed wheel, its version is the wheel's and the data chapter's first
#      cell pins the tag of that version; the chapter's first cell runs (installing nothing:
#      rnnbook is there) and `playground(model)` inlines the wheel's playground scripts (shared.js, model.js, inside.js, playground.js) and .css;
#   2. the data chapter (a copy of book/data.ipynb) runs in that environment's kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
START=$(date +%s)
CHECKOUT=$(pwd)
DIR=$(mktemp -d -t rnnbook-wheel-XXXXXX)
trap 'rm -rf "$DIR"' EXIT

DIST=${1:-}
if [ -z "$DIST" ]; then
  mkdir "$DIR/src"
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -xf - -C "$DIR/src"
  python -m build --outdir "$DIR/dist" "$DIR/src" > "$DIR/build.log" 2>&1 \
    || { tail -n 40 "$DIR/build.log"; exit 1; }
  DIST=$DIR/dist
fi
DIST=$(cd "$DIST" && pwd)
shopt -s nullglob
wheels=("$DIST"/rnnbook-*.whl)
sdists=("$DIST"/rnnbook-*.tar.gz)
shopt -u nullglob
if [ ${#wheels[@]} -ne 1 ] || [ ${#sdists[@]} -ne 1 ]; then
  echo "expected one rnnbook wheel and one sdist in $DIST, found: $(ls "$DIST")"; exit 1
fi
WHEEL=${wheels[0]}
if [ -n "${1:-}" ]; then HOW="from $DIST"; else HOW="built in $(( $(date +%s) - START )) s"; fi
echo "$(basename "${sdists[0]}") and $(basename "$WHEEL"), $HOW"
echo "the wheel's playground files:"
python -m zipfile -l "$WHEEL" | grep -i playground

python3 -m venv "$DIR/venv"
PY=$DIR/venv/bin/python
quiet_pip() { "$PY" -m pip install -q --no-compile "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; }
quiet_pip torch==2.13.0 ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
quiet_pip "$WHEEL" nbclient ipykernel
echo "environment ready in $(( $(date +%s) - START )) s"

# A reader's folder: the chapter and the script that runs it, nothing else of the checkout.
mkdir "$DIR/reader"
cp book/data.ipynb sitecheck/chapters.py "$DIR/reader/"
cd "$DIR/reader"
unset PYTHONPATH RNNBOOK_INSTALL VIRTUAL_ENV
export PATH="$DIR/venv/bin:$PATH"

CHECKOUT="$CHECKOUT" "$PY" - <<'EOF'
import importlib.metadata, importlib.resources, json, os, re, subprocess, sys
from pathlib import Path

import rnnbook

checkout, prefix = Path(os.environ["CHECKOUT"]).resolve(), Path(sys.prefix).resolve()
here = Path(rnnbook.__file__).resolve()
assert here.is_relative_to(prefix) and not here.is_relative_to(checkout), here
assert not any(Path(p).resolve() == checkout for p in sys.path if p), "the checkout is on sys.path"
version = importlib.metadata.version("rnnbook")
assert rnnbook.__version__ == version, (rnnbook.__version__, version)

# The chapter's first cell, as Colab runs it; rnnbook is installed, so pip must not run.
cell = next(c for c in json.load(open("data.ipynb"))["cells"] if c["cell_type"] == "code")
source = "".join(cell["source"])
tag = re.search(r'^RELEASE = "rnnbook @ git\+\S+@(\S+)"$', source, re.M).group(1)
assert tag == f"v{version}", f"the first cell pins {tag}, the wheel is {version}"
ran_pip = []
run = subprocess.run
subprocess.run = lambda *a, **k: ran_pip.append(a) or run(*a, **k)
exec(compile(source, "data.ipynb: first cell", "exec"), {"__name__": "__main__"})
subprocess.run = run
assert not ran_pip, ran_pip

from rnnbook import build
from rnnbook.playground import STATIC, playground

assert not STATIC.exists(), f"{STATIC} exists: the check must not see a checkout"
document = playground(build("gru2").model, "gru2").document()
static = importlib.resources.files("rnnbook.playground_static")
for name in ("shared.js", "model.js", "inside.js", "playground.js", "playground.css"):
    text = static.joinpath(name).read_text(encoding="utf-8")
    assert len(text) > 1000 and text.replace("</", "<\\/")[:2000] in document, name
print(f"rnnbook {version} from {here.parent}: first cell ran, tag {tag}; playground document "
      f"{len(document) / 1e3:.0f} kB with the wheel's playground scripts and playground.css")
EOF

"$PY" chapters.py data.ipynb
echo "wheel check took $(( $(date +%s) - START )) s in all"
