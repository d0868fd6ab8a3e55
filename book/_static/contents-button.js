// The button at the top right of the article opens the page's table of contents ("Contents")
// as a drawer, on screens where the contents have no room beside the article (below 1600 px,
// see layout.css). The theme (sphinx-book-theme 1.x on pydata-sphinx-theme 0.16 or later)
// wires only the copy of that button in the top bar, which sphinx-book-theme hides, so the
// article's button would do nothing; it passes its click on to the wired one.
(function () {
  "use strict";

  function start() {
    var wired = document.querySelector(".bd-header .secondary-toggle");
    if (!wired) return;
    document.querySelectorAll(".bd-header-article .secondary-toggle").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        wired.click();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
