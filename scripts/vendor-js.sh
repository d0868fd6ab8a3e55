#!/usr/bin/env bash
# Fetch the JavaScript the static site needs, so the built book loads nothing from a CDN:
# the ipywidgets embed manager (and require.js, which it needs) and MathJax for the equations.
# The files are committed under book/_static/vendor/; rerun this to update them.
# It also fetches axe-core into sitecheck/vendor/: test tooling for sitecheck/a11y.py, kept out
# of the site (committed, so the accessibility check runs offline like the rest of CI).
set -euo pipefail
HTML_MANAGER=1.0.15   # @jupyter-widgets/html-manager 1.x renders ipywidgets 8 state
REQUIREJS=2.3.8
MATHJAX=3.2.2
AXE=4.14.1
dest="$(cd "$(dirname "$0")/.." && pwd)/book/_static/vendor"
tools="$(cd "$(dirname "$0")" && pwd)/vendor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "@jupyter-widgets/html-manager@$HTML_MANAGER" "requirejs@$REQUIREJS" \
  "mathjax@$MATHJAX" "axe-core@$AXE" >/dev/null
mkdir hm rq mj ax
tar xzf jupyter-widgets-html-manager-$HTML_MANAGER.tgz -C hm
tar xzf requirejs-$REQUIREJS.tgz -C rq
tar xzf mathjax-$MATHJAX.tgz -C mj
tar xzf axe-core-$AXE.tgz -C ax
rm -rf "$dest" && mkdir -p "$dest"
cp hm/package/dist/embed-amd.js "$dest/"
# the font files the bundle's CSS refers to (Font Awesome, for button icons), where the bundle
# looks for them: relative to require.js's base URL (book/_static/widgets-base.js sets it)
fonts="$dest/@jupyter-widgets/html-manager/dist"
mkdir -p "$fonts"
find hm/package/dist -maxdepth 1 -regex '.*\.\(woff2?\|ttf\|eot\|svg\)' -exec cp {} "$fonts/" \;
cp rq/package/require.js "$dest/require.js"
# MathJax: the TeX-to-HTML bundle, its fonts, and the parts it loads on demand (not speech)
mkdir -p "$dest/mathjax/output/chtml/fonts" "$dest/mathjax/input/tex"
cp mj/package/es5/tex-chtml.js "$dest/mathjax/"
cp -r mj/package/es5/output/chtml/fonts/woff-v2 "$dest/mathjax/output/chtml/fonts/"
cp -r mj/package/es5/input/tex/extensions "$dest/mathjax/input/tex/"
cp -r mj/package/es5/ui mj/package/es5/a11y "$dest/mathjax/"


printf '@jupyter-widgets/html-manager %s (BSD-3-Clause, Jupyter Project)\nrequirejs %s (MIT, the Dojo Foundation)\nmathjax %s (Apache-2.0, MathJax Consortium)\n' \
  "$HTML_MANAGER" "$REQUIREJS" "$MATHJAX" > "$dest/VERSIONS"
echo "vendored into $dest:"; ls "$dest"; du -sh "$dest"
mkdir -p "$tools"
cp ax/package/axe.min.js "$tools/"
cp ax/package/LICENSE "$tools/axe-core.LICENSE"
printf 'axe-core %s (MPL-2.0, Deque Systems): axe.min.js, for sitecheck/a11y.py only (not a site asset)\n' \
  "$AXE" > "$tools/VERSIONS"
echo "vendored into $tools:"; ls "$tools"
