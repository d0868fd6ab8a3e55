// Where require.js places the modules that the widget manager (vendor/embed-amd.js) defines.
// Each module of that file fetches its assets (the icon fonts of its CSS) from the folder of
// its own require.js URL (module.uri). Two of them inject the icon font's CSS:
// "@jupyter-widgets/html-manager/dist/libembed-amd" and "@jupyter-widgets/html-manager"; by
// their names alone they would sit in vendor/@jupyter-widgets/html-manager/dist/ and in
// vendor/@jupyter-widgets/, one folder too high, so that the second copy of the CSS would
// point at fonts that are not there. The paths below give "@jupyter-widgets/html-manager"
// its file in the package, dist/index.js (as a CDN serves it), so both copies point at
// vendor/@jupyter-widgets/html-manager/dist/, where scripts/vendor-js.sh puts the fonts,
// whatever the depth of the page. This must run before embed-amd.js (see _config.yml).
(function () {
  var src = document.currentScript.src;
  require.config({
    baseUrl: src.substring(0, src.lastIndexOf("/") + 1) + "vendor/",
    paths: {
      "@jupyter-widgets/html-manager": "@jupyter-widgets/html-manager/dist/index",
      // the longer prefix wins: libembed-amd keeps its own name as its path
      "@jupyter-widgets/html-manager/dist": "@jupyter-widgets/html-manager/dist"
    }
  });
})();
