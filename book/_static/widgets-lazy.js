/* The widgets of a page, loaded when they are wanted (book/_ext/fast_pages.py writes this tag).
 *
 * The page's HTML holds only the places of its widgets (myst-nb's widget-view scripts); their
 * state (data-state, a script beside this one that calls rnnbookWidgetState with the JSON) and
 * the widget manager (data-manager: [path, attributes] of each script, in order, paths relative
 * to this script's folder, as nb_ipywidgets_js in _config.yml) load when a widget comes within
 * MARGIN of the viewport, or, a reader who stays near the top, AFTER_LOAD_MS after the load
 * event, when the browser is idle (so the first paint and the first taps do not wait for the
 * manager, and the widgets are drawn by the time the reader scrolls to them). The state goes into the page as the script type the manager reads
 * (data-state-type); then the manager's scripts run one after the other and draw the widgets,
 * as they would have on the page's load. Everything comes from this site: it works offline.
 */
(function () {
  "use strict";
  const me = document.currentScript;
  const base = me.src.substring(0, me.src.lastIndexOf("/") + 1);
  const MARGIN = "600px"; // start this far before a widget scrolls into view
  const AFTER_LOAD_MS = 3000;
  let started = false;

  function script(src, attrs) {
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      for (const [k, v] of Object.entries(attrs || {})) s.setAttribute(k, v);
      s.src = src;
      s.async = false;
      s.onload = resolve;
      s.onerror = () => reject(new Error("could not load " + src));
      document.head.appendChild(s);
    });
  }

  function start() {
    if (started) return;
    started = true;
    if (observer) observer.disconnect();
    const stated = new Promise((resolve) => { window.rnnbookWidgetState = resolve; });
    script(base + me.dataset.state)
      .then(() => stated)
      .then((json) => {
        const s = document.createElement("script");
        s.type = me.dataset.stateType;
        s.textContent = json;
        document.head.appendChild(s);
        return JSON.parse(me.dataset.manager).reduce(
          (p, [path, attrs]) => p.then(() => script(base + path, attrs)), Promise.resolve());
      })
      .catch((err) => console.error("widgets: " + err.message));
  }

  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  const observer = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) start();
  }, { rootMargin: MARGIN }) : null;
  if (!observer) { start(); return; }
  views.forEach((v) => observer.observe(v.parentElement));

  function whenIdle() {
    setTimeout(() => {
      if ("requestIdleCallback" in window) requestIdleCallback(start, { timeout: 2000 });
      else start();
    }, AFTER_LOAD_MS);
  }
  if (document.readyState === "complete") whenIdle();
  else window.addEventListener("load", whenIdle);
})();
