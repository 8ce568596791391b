// Plotly's sliders by keyboard. Plotly draws a slider as SVG that only a pointer can move; this script makes each one
// a focusable ARIA slider (Tab reaches it, the focus shows on its rail) that ←/→ (↓/↑) move a step and Home/End move
// to the first/last step, running the step as a click would. Figures may be drawn late (plotly is loaded lazily, on
// pages with figures only), so the script waits for them with a MutationObserver and re-labels a slider after every
// redraw (plotly_afterplot) rather than assuming window.Plotly at load.
(function () {
  "use strict";
  const KEYS = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 };

  // The slider's index in layout.sliders: plotly binds its options to the group (d3's __data__), with _index.
  function sliderIndex(group) {
    const data = group.__data__;
    if (data && Number.isInteger(data._index)) return data._index;
    const figure = group.closest(".js-plotly-plot");
    return Array.prototype.indexOf.call(figure.querySelectorAll("g.slider-group"), group);
  }

  function label(figure) {
    (figure.layout.sliders || []).length &&
      figure.querySelectorAll("g.slider-group").forEach(function (group) {
        const slider = figure.layout.sliders[sliderIndex(group)];
        if (!slider || !slider.steps) return;
        const active = slider.active || 0;
        const name = ((slider.currentvalue && slider.currentvalue.prefix) || "").replace(/[\s=:]+$/, "");
        const title = figure._fullLayout && figure._fullLayout.title && figure._fullLayout.title.text;
        const step = slider.steps[active] || {};
        const attributes = {
          tabindex: "0",
          role: "slider",
          focusable: "true",
          "aria-label": (name || "slider") + (title ? " (" + title.replace(/<br\s*\/?>/gi, " ").replace(/<[^>]*>/g, "") + ")" : ""),
          "aria-valuemin": "0",
          "aria-valuemax": String(slider.steps.length - 1),
          "aria-valuenow": String(active),
          "aria-valuetext": String(step.label !== undefined ? step.label : active),
        };
        for (const key in attributes) group.setAttribute(key, attributes[key]);
      });
  }

  // Run step `to` of slider `index`, as plotly does on a click, then mark it active.
  function move(figure, index, to) {
    const slider = figure.layout.sliders[index];
    const step = slider.steps[to];
    let done;
    if (step.method === "animate") {
      done = window.Plotly.animate(figure, step.args[0], {
        mode: "immediate",
        frame: { duration: 0, redraw: true },
        transition: { duration: 0 },
      });
    } else if (step.method && step.method !== "skip" && window.Plotly[step.method]) {
      done = window.Plotly[step.method].apply(null, [figure].concat(step.args || []));
    }
    return Promise.resolve(done).then(function () {
      const update = {};
      update["sliders[" + index + "].active"] = to;
      return (figure.layout.sliders[index].active || 0) === to ? null : window.Plotly.relayout(figure, update);
    }).then(function () {
      label(figure);
    });
  }

  document.addEventListener("keydown", function (event) {
    const group = event.target.closest && event.target.closest("g.slider-group");
    const figure = group && group.closest(".js-plotly-plot");
    if (!figure || !window.Plotly || event.altKey || event.ctrlKey || event.metaKey) return;
    const index = sliderIndex(group);
    const slider = (figure.layout.sliders || [])[index];
    if (!slider || !slider.steps || !slider.steps.length) return;
    const last = slider.steps.length - 1;
    const active = slider.active || 0;
    let to;
    if (event.key in KEYS) to = Math.min(last, Math.max(0, active + KEYS[event.key]));
    else if (event.key === "Home") to = 0;
    else if (event.key === "End") to = last;
    else return;
    event.preventDefault();
    if (to !== active) move(figure, index, to);
  });

  function watch(figure) {
    if (figure.dataset.llmvizKeyboard || typeof figure.on !== "function") return;
    figure.dataset.llmvizKeyboard = "1";
    ["plotly_afterplot", "plotly_sliderchange", "plotly_animated", "plotly_relayout"].forEach(function (name) {
      figure.on(name, function () {
        label(figure);
      });
    });
    label(figure);
  }

  let pending = false;
  function scan() {
    pending = false;
    document.querySelectorAll(".js-plotly-plot").forEach(watch);
  }
  function schedule() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(scan);
    }
  }
  new MutationObserver(schedule).observe(document.documentElement, { childList: true, subtree: true });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", schedule);
  else schedule();
})();
