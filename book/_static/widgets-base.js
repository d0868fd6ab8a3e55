// The widget manager (vendor/embed-amd.js) fetches its icon fonts relative to require.js's
// base URL, which defaults to the page's folder. Point it at vendor/, where
// scripts/vendor-js.sh puts them, whatever the depth of the page.
(function () {
  var src = document.currentScript.src;
  require.config({ baseUrl: src.substring(0, src.lastIndexOf("/") + 1) + "vendor/" });
})();
