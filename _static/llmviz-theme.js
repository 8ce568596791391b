// Re-colour plotly figures when the reader switches the site between light and dark mode.
// pydata-sphinx-theme keeps the mode it resolved in <html data-theme="light|dark">. The palettes match
// llmviz/viz/theme.py (LIGHT, DARK); figure backgrounds are transparent, so only text and grid lines change.
// llmviz-figures.js draws each figure already in the page's colours (window.llmvizTheme.colour).
(function () {
  "use strict";
  const PALETTES = {
    light: { font: "#1f2933", grid: "rgba(128, 128, 128, 0.25)" },
    dark: { font: "#e4e7eb", grid: "rgba(160, 160, 160, 0.25)" },
  };

  function currentPalette() {
    return PALETTES[document.documentElement.dataset.theme === "dark" ? "dark" : "light"];
  }

  // The colours to set, as Plotly.relayout's "path.to.key" updates.
  function update(layout, palette) {
    const keys = { "font.color": palette.font };
    for (const key of Object.keys(layout || {})) {
      if (/^[xy]axis\d*$/.test(key)) {
        keys[key + ".gridcolor"] = palette.grid;
        keys[key + ".zerolinecolor"] = palette.grid;
        keys[key + ".linecolor"] = palette.grid;
      }
    }
    ((layout || {}).sliders || []).forEach(function (_, i) {
      keys["sliders[" + i + "].font.color"] = palette.font;
      keys["sliders[" + i + "].currentvalue.font.color"] = palette.font;
    });
    return keys;
  }

  // Writes the current palette into a layout before it is drawn: no second drawing.
  function colour(layout) {
    const keys = update(layout, currentPalette());
    for (const path of Object.keys(keys)) {
      const parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
      let node = layout;
      parts.slice(0, -1).forEach(function (part) {
        if (node[part] === null || typeof node[part] !== "object") node[part] = {};
        node = node[part];
      });
      node[parts[parts.length - 1]] = keys[path];
    }
    return layout;
  }

  function restyleAll() {
    if (!window.Plotly) return;
    const palette = currentPalette();
    document.querySelectorAll(".js-plotly-plot").forEach(function (figure) {
      window.Plotly.relayout(figure, update(figure.layout, palette));
    });
  }

  window.llmvizTheme = { colour: colour };
  new MutationObserver(restyleAll).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ["data-theme"],
  });
})();
