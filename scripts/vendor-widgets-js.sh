#!/usr/bin/env bash
# Fetch the JavaScript that renders ipywidgets on the static site, so the built book needs no CDN.
# The files are committed under book/_static/vendor/; rerun this to update them.
set -euo pipefail
HTML_MANAGER=1.0.15   # @jupyter-widgets/html-manager 1.x renders ipywidgets 8 state
REQUIREJS=2.3.8
dest="$(cd "$(dirname "$0")/.." && pwd)/book/_static/vendor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "@jupyter-widgets/html-manager@$HTML_MANAGER" "requirejs@$REQUIREJS" >/dev/null
mkdir hm rq
tar xzf jupyter-widgets-html-manager-$HTML_MANAGER.tgz -C hm
tar xzf requirejs-$REQUIREJS.tgz -C rq
rm -rf "$dest" && mkdir -p "$dest"
cp hm/package/dist/embed-amd.js "$dest/"
# the font files the bundle's CSS refers to (Font Awesome, for button icons)
find hm/package/dist -maxdepth 1 -regex '.*\.\(woff2?\|ttf\|eot\|svg\)' -exec cp {} "$dest/" \;
cp rq/package/require.js "$dest/require.js"


printf '@jupyter-widgets/html-manager %s (BSD-3-Clause, Jupyter Project)\nrequirejs %s (MIT, the Dojo Foundation)\n' "$HTML_MANAGER" "$REQUIREJS" > "$dest/VERSIONS"
echo "vendored into $dest:"; ls "$dest"
