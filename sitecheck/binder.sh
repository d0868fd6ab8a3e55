#!/usr/bin/env bash
# The Binder door, tried as Binder builds it: an environment made from binder/ alone, every
# chapter executed in it, then the live explorer trained in JupyterLab in headless Chromium.
#
#   sitecheck/binder.sh [FOLDER]
#
# Builds a fresh virtual environment in FOLDER (default: a temporary folder, removed at the
# end) with only what a Binder image brings before the repository's files (JupyterLab and
# ipykernel), then binder/requirements.txt, then binder/postBuild, as repo2docker runs them.
# The browser test (sitecheck/lab.py) runs with the calling Python, which needs Playwright
# (the project's .venv); JupyterLab and the kernel run in the Binder environment.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1

DIR=${1:-}
if [ -z "$DIR" ]; then
  DIR=$(mktemp -d -t rnnbook-binder-XXXXXX)
  trap 'rm -rf "$DIR"' EXIT
fi
START=$(date +%s)
quiet_pip() { "$DIR/venv/bin/python" -m pip install -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; }

rm -rf "$DIR/venv"
python3 -m venv "$DIR/venv"
# What a Binder image has before it reads binder/: JupyterLab and a Python kernel.
quiet_pip jupyterlab ipykernel
# binder/requirements.txt, but offline: Binder reads the CPU build of torch from PyTorch's
# index (its --extra-index-url line, pinned torch==X+cpu); CI has no way out to that index and
# installs the same CPU build from local wheels. So drop the index line and pin torch==X, which
# the local X+cpu wheel satisfies. Every other line is used as written.
grep -v -e '--extra-index-url' binder/requirements.txt \
  | sed -E 's/^torch==([^+ ]+)\+cpu/torch==\1/' > "$DIR/requirements.txt"
quiet_pip -r "$DIR/requirements.txt"
# repo2docker runs postBuild in the repository, with the environment's pip first on PATH.
PATH="$DIR/venv/bin:$PATH" bash binder/postBuild > "$DIR/postBuild.log" 2>&1 \
  || { tail -n 40 "$DIR/postBuild.log"; exit 1; }

"$DIR/venv/bin/python" - <<'EOF'
import importlib.util, sys
import jupyterlab, rnnbook, torch
# The chapters must not need the book's build tools: glue() does nothing without myst-nb.
extra = [m for m in ("myst_nb", "jupyter_book", "sphinx") if importlib.util.find_spec(m)]
if extra:
    sys.exit(f"the Binder environment should not have the book's build tools: {extra}")
runtime = open("binder/runtime.txt").read().strip()  # python-3.11
if not runtime.startswith(f"python-{sys.version_info.major}.{sys.version_info.minor}"):
    print(f"note: Binder runs {runtime}, this check python {sys.version.split()[0]}")
print(f"Binder environment: python {sys.version.split()[0]}, JupyterLab {jupyterlab.__version__}, "
      f"torch {torch.__version__}, rnnbook {rnnbook.__version__}")
EOF
echo "built in $(( $(date +%s) - START )) s"

# Every chapter, each in a fresh kernel of the Binder environment.
"$DIR/venv/bin/python" -m sitecheck.chapters

# The live explorer in JupyterLab, in a browser.
SHOT=${LAB_SCREENSHOT:-$DIR/lab-explorer.png}
python -m sitecheck.lab --env "$DIR/venv" --screenshot "$SHOT"
echo "Binder check took $(( $(date +%s) - START )) s in all"
