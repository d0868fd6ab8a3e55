// Accessible names that the page's parts leave out, set in the browser (scripts/check_a11y.py
// checks the result with axe-core):
// - a widget slider's handle (role="slider") gets the slider's description as its name
//   (aria-labelledby) and the readout as its value text: for a SelectionSlider, noUiSlider
//   would announce the index (3) rather than the value on show (20);
// - the theme's search fields are named by their visible text ("Search Ctrl+K"), not by an
//   aria-label that leaves part of it out; the icons inside labelled buttons are decoration
//   (hidden, without a title that would read as part of the button's text);
// - a hidden cell's toggle is named by what it says ("Show code cell source").
// Widgets, icons and toggles are drawn by JavaScript after the page loads, so this runs again
// whenever the page changes.
(function () {
  "use strict";
  var count = 0;

  function set(el, name, value) {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  }

  function labelSliders() {
    document.querySelectorAll(".widget-slider").forEach(function (slider) {
      var label = slider.querySelector(".widget-label");
      var readout = slider.querySelector(".widget-readout");
      slider.querySelectorAll('.noUi-handle[role="slider"]').forEach(function (handle) {
        if (label && label.textContent.trim()) {
          if (!label.id) label.id = "rnnbook-slider-label-" + ++count;
          set(handle, "aria-labelledby", label.id);
        }
        if (readout && readout.textContent.trim()) {
          set(handle, "aria-valuetext", readout.textContent.trim());
        }
      });
    });
  }

  function nameByVisibleText() {
    document.querySelectorAll(".search-button-field[aria-label]").forEach(function (button) {
      button.removeAttribute("aria-label");
      set(button, "aria-keyshortcuts", "Control+K");
    });
    document.querySelectorAll("button[aria-label] svg").forEach(function (icon) {
      // an icon's <title> would count as the button's visible text ("Light" in a button
      // named "Color mode"); the button's own name says what it does
      icon.querySelectorAll("title").forEach(function (t) { t.remove(); });
      if (icon.hasAttribute("aria-labelledby")) icon.removeAttribute("aria-labelledby");
      set(icon, "aria-hidden", "true");
    });
    document.querySelectorAll('summary[aria-label="Toggle hidden content"]').forEach(function (s) {
      s.removeAttribute("aria-label");
    });
  }

  function fix() {
    labelSliders();
    nameByVisibleText();
  }

  function start() {
    fix();
    new MutationObserver(fix).observe(document.body, {
      childList: true, subtree: true, characterData: true,
      attributes: true, attributeFilter: ["aria-valuetext", "aria-label"],
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
