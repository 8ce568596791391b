// Draws the book's plotly figures, and loads plotly.js only on pages that have one.
// Each figure is an empty div.plotly-graph-div followed by <script type="application/json" class="llmviz-figure"
// data-for="its id"> holding {data, layout, frames, config, template} (llmviz/_book_figures.py writes them).
// plotly.js (4.8 MB) is served gzip-compressed (1.5 MB) from the site's plotly/ folder, decompressed with the browser's
// DecompressionStream, then run from a blob: URL (parsed off the main thread); a browser without DecompressionStream,
// or a failed fetch, loads the plain plotly.min.js beside it. Nothing here blocks the first paint: plotly.js is fetched
// once the parser meets the first figure, and the figures are drawn once the page is parsed, one per task, nearest
// the reader first (drawAll).
(function () {
  "use strict";
  const here = document.currentScript ? document.currentScript.src : document.baseURI;
  const PLOTLY = new URL("../plotly/plotly.min.js", here).href; // this file is served from _static/

  function runScript(src) {
    return new Promise(function (resolve, reject) {
      const script = document.createElement("script");
      script.onload = function () {
        if (src.startsWith("blob:")) URL.revokeObjectURL(src); // run: its 4.8 MB of text can go
        resolve();
      };
      script.onerror = function () {
        reject(new Error("could not load " + src));
      };
      script.src = src;
      document.head.appendChild(script);
    });
  }

  // plotly.js as a blob: URL, so that the browser parses it off the main thread as it does a fetched script
  function gunzipURL(buffer) {
    const bytes = new Uint8Array(buffer);
    const type = { type: "text/javascript" };
    if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
      return Promise.resolve(URL.createObjectURL(new Blob([bytes], type))); // the server decompressed it
    }
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer().then(function (code) {
      return URL.createObjectURL(new Blob([code], type));
    });
  }

  function loadPlotly() {
    if (window.Plotly) return Promise.resolve();
    const plain = function () {
      return runScript(PLOTLY);
    };
    if (typeof DecompressionStream !== "function") return plain();
    return fetch(PLOTLY + ".gz")
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.url);
        return response.arrayBuffer();
      })
      .then(gunzipURL)
      .then(runScript)
      .then(function () {
        if (!window.Plotly) throw new Error("plotly.js did not define Plotly");
      })
      .catch(plain);
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

  // A link in an annotation (the model diagram's chapters) is SVG that plotly redraws on a click, so the browser
  // never follows it: follow it here.
  function followLinks(gd) {
    gd.on("plotly_clickannotation", function (event) {
      const link = /<a href=["']([^"']+)["']/.exec((event.annotation || {}).text || "");
      if (link) window.location.href = new URL(link[1], window.location.href).href;
    });
    return gd;
  }

  function draw(source) {
    const div = document.getElementById(source.dataset.for);
    return new Promise(function (resolve) {
      const figure = JSON.parse(source.textContent);
      if (figure.template) figure.layout.template = template(figure.template);
      delete figure.template;
      if (window.llmvizTheme) window.llmvizTheme.colour(figure.layout);
      resolve(window.Plotly.newPlot(div, figure).then(followLinks));
    }).catch(function (error) {
      console.error("llmviz: figure " + source.dataset.for + " was not drawn: " + error);
    });
  }

  let plotly = null; // plotly.js's promise, started once
  function startPlotly() {
    if (!plotly) {
      plotly = loadPlotly().then(function () {
        performance.mark("llmviz: plotly.js ready"); // benchmarks/bench_site.py prints these marks
      });
    }
    return plotly;
  }

  // A page holds up to ~20 figures at ~0.1 s each, so they are drawn nearest the reader first: a figure on screen, or
  // within half a screen of it, as soon as plotly.js is there (the one nearest the middle of the screen first); the
  // others one per idle moment, in page order, so that a reader who scrolls or jumps down finds them drawn. Each
  // drawing is marked with its div's id (benchmarks/bench_site.py times the figures on screen from these marks).
  function drawAll() {
    const waiting = new Map(); // div -> the JSON it is drawn from
    document.querySelectorAll("script.llmviz-figure").forEach(function (source) {
      const div = document.getElementById(source.dataset.for);
      if (div) waiting.set(div, source);
    });
    if (!waiting.size) return;
    const near = new Set();
    const watch = new IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) near.add(entry.target);
          else near.delete(entry.target);
        });
        pump();
      },
      { rootMargin: "50% 0px" },
    );
    waiting.forEach(function (_, div) {
      watch.observe(div);
    });
    const idle = window.requestIdleCallback || function (run) {
      return setTimeout(run, 100);
    };
    let busy = false;
    let idleAsked = false;

    function nearest() {
      let best = null;
      let distance = Infinity;
      near.forEach(function (div) {
        const box = div.getBoundingClientRect();
        const d = Math.abs(box.top + box.height / 2 - window.innerHeight / 2);
        if (d < distance) {
          best = div;
          distance = d;
        }
      });
      return best;
    }

    function drawOne(div) {
      const source = waiting.get(div);
      waiting.delete(div);
      near.delete(div);
      watch.unobserve(div);
      busy = true;
      draw(source).then(function () {
        performance.mark("llmviz: figure drawn", { detail: div.id });
        busy = false;
        setTimeout(pump, 0); // one figure per task: the page stays responsive
      });
    }

    function pump() {
      if (busy || !waiting.size || !window.Plotly) return;
      const div = nearest();
      if (div) return drawOne(div);
      if (idleAsked) return;
      idleAsked = true;
      idle(function () {
        idleAsked = false;
        if (!busy && waiting.size) drawOne(nearest() || waiting.keys().next().value);
      });
    }

    startPlotly()
      .then(pump)
      .catch(function (error) {
        console.error("llmviz: plotly.js did not load: " + error);
      });
  }

  if (document.readyState === "loading") {
    // plotly.js is fetched as soon as the parser reaches the first figure, and the figures are drawn once the page
    // is parsed ("interactive": deferred scripts such as MathJax have not run yet)
    const watch = new MutationObserver(function () {
      if (document.querySelector("script.llmviz-figure")) {
        watch.disconnect();
        startPlotly();
      }
    });
    watch.observe(document.documentElement, { childList: true, subtree: true });
    document.addEventListener("readystatechange", function start() {
      document.removeEventListener("readystatechange", start);
      watch.disconnect();
      drawAll();
    });
  } else {
    drawAll();
  }
})();
