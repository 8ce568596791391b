// Draws the book's plotly figures, and loads plotly.js only on pages that have one.
// Each figure is an empty div.plotly-graph-div followed by <script type="application/json" class="llmviz-figure"
// data-for="its id"> holding {data, layout, frames, config, template} (llmviz/_book_figures.py writes them). plotly.js (4.8 MB)
// is served gzip-compressed (1.5 MB) from the site's plotly/ folder and decompressed here with the browser's
// DecompressionStream; a browser without it, or a failed fetch, loads the plain plotly.min.js beside it.
// Nothing here blocks the first paint: the work starts once the page is parsed, and figures are drawn one per task.
(function () {
  "use strict";
  const here = document.currentScript ? document.currentScript.src : document.baseURI;
  const PLOTLY = new URL("../plotly/plotly.min.js", here).href; // this file is served from _static/

  function runScript(attributes) {
    return new Promise(function (resolve, reject) {
      const script = document.createElement("script");
      Object.assign(script, attributes);
      if (attributes.src) {
        script.onload = resolve;
        script.onerror = function () {
          reject(new Error("llmviz: could not load " + attributes.src));
        };
      }
      document.head.appendChild(script);
      if (!attributes.src) resolve(); // inline code runs as it is appended
    });
  }

  function gunzipText(buffer) {
    const bytes = new Uint8Array(buffer);
    if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
      return Promise.resolve(new TextDecoder().decode(bytes)); // the server already decompressed it
    }
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text();
  }

  function loadPlotly() {
    if (window.Plotly) return Promise.resolve();
    const plain = function () {
      return runScript({ src: PLOTLY });
    };
    if (typeof DecompressionStream !== "function") return plain();
    return fetch(PLOTLY + ".gz")
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.url);
        return response.arrayBuffer();
      })
      .then(gunzipText)
      .then(function (code) {
        return runScript({ text: code + "\n//# sourceURL=" + PLOTLY });
      })
      .then(function () {
        if (!window.Plotly) throw new Error("plotly.js did not define Plotly");
      })
      .catch(plain);
  }

  function nextTask() {
    return new Promise(function (resolve) {
      setTimeout(resolve, 0);
    });
  }

  // plotly's template (its look, 6.5 kB) is written once per page, in <script class="llmviz-template" data-key=...>
  const templates = {};
  function template(key) {
    if (!(key in templates)) {
      const source = document.querySelector('script.llmviz-template[data-key="' + key + '"]');
      if (!source) throw new Error("no template " + key + " on the page");
      templates[key] = JSON.parse(source.textContent);
    }
    return templates[key];
  }

  function draw(source) {
    const div = document.getElementById(source.dataset.for);
    return new Promise(function (resolve) {
      const figure = JSON.parse(source.textContent);
      if (figure.template) figure.layout.template = template(figure.template);
      delete figure.template;
      if (window.llmvizTheme) window.llmvizTheme.colour(figure.layout);
      resolve(window.Plotly.newPlot(div, figure));
    }).catch(function (error) {
      console.error("llmviz: figure " + source.dataset.for + " was not drawn: " + error);
    });
  }

  function drawAll() {
    const sources = Array.from(document.querySelectorAll("script.llmviz-figure"));
    if (!sources.length) return;
    loadPlotly()
      .then(function () {
      return sources.reduce(function (previous, source) {
        return previous.then(function () {
          return draw(source).then(nextTask);
        });
      }, Promise.resolve());
      })
      .catch(function (error) {
        console.error("llmviz: plotly.js did not load: " + error);
      });
  }

  if (document.readyState === "loading") {
    // "interactive": the page is parsed; deferred scripts (MathJax) have not run yet, so plotly is fetched alongside
    document.addEventListener("readystatechange", function start() {
      document.removeEventListener("readystatechange", start);
      drawAll();
    });
  } else {
    drawAll();
  }
})();
