// Re-colour plotly figures when the reader switches the site between light and dark mode.
// pydata-sphinx-theme keeps the mode it resolved in <html data-theme="light|dark">. The palettes match
// llmviz/viz/theme.py (LIGHT, DARK); figure backgrounds are transparent, so only text and grid lines change.
(function () {
  "use strict";
  const PALETTES = {
    light: { font: "#1f2933", grid: "rgba(128, 128, 128, 0.25)" },
    dark: { font: "#e4e7eb", grid: "rgba(160, 160, 160, 0.25)" },
  };

  function currentPalette() {
    return PALETTES[document.documentElement.dataset.theme === "dark" ? "dark" : "light"];
  }

  function restyle(figure, palette) {
    const update = { "font.color": palette.font };
    for (const key of Object.keys(figure.layout || {})) {
      if (/^[xy]axis\d*$/.test(key)) {
        update[key + ".gridcolor"] = palette.grid;
        update[key + ".zerolinecolor"] = palette.grid;
        update[key + ".linecolor"] = palette.grid;
      }
    }
    (figure.layout.sliders || []).forEach(function (_, i) {
      update["sliders[" + i + "].font.color"] = palette.font;
      update["sliders[" + i + "].currentvalue.font.color"] = palette.font;
    });
    return window.Plotly.relayout(figure, update);
  }

  function restyleAll() {
    if (!window.Plotly) return;
    const palette = currentPalette();
    document.querySelectorAll(".js-plotly-plot").forEach(function (figure) {
      restyle(figure, palette);
    });
  }

  window.addEventListener("load", restyleAll);
  new MutationObserver(restyleAll).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ["data-theme"],
  });
})();
