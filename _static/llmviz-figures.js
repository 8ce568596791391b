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

  // plotly draws a figure at its layout's margins and then, when an axis's labels and title (automargin) need more
  // room than those give, draws the whole figure again at the wider margins: a third of a chart's drawing time, the
  // cost of most charts in the book. reserveMargins widens the margins beforehand where the figure itself tells the
  // need: 58 px below a plot whose x axis has a title, and at the left the widest category label, measured on a
  // canvas in the axis's font, plus the title's room. Where it cannot tell (numbers that plotly formats, rotated
  // labels, a plot kept square) plotly widens the margins as before. The figure looks as it did, its margins at
  // most a few pixels wider.
  const X_TITLE_ROOM = 58; // px below the plot: 13 px tick labels, the title's standoff (15) and a 13 px title
  const Y_LABEL_ROOM = 18; // px beside the widest y label: plotly's 16 and 2 to spare (canvas and SVG differ)
  const Y_TITLE_ROOM = 26; // px more for a y axis title: a 13 px line and plotly's gap
  let ruler = null; // a canvas's 2d context, which measures text

  function axisKeys(layout, letter) {
    return Object.keys(layout).filter(function (key) {
      return new RegExp("^" + letter + "axis\\d*$").test(key);
    });
  }

  function titled(axis) {
    const title = axis.title;
    return Boolean(title && (typeof title === "string" ? title : title.text));
  }

  // the text a label shows: without plotly's tags, the common entities as their characters
  function shown(label) {
    const entities = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&nbsp;": " ", "&quot;": '"', "&#39;": "'" };
    return String(label)
      .replace(/<br\s*\/?>/gi, " ")
      .replace(/<\/?(b|i|em|sup|sub|span|a|s|u)\b[^>]*>/gi, "") // the tags plotly knows; others show as text
      .replace(/&[#\w]+;/g, function (entity) {
        return entities[entity] || "_";
      });
  }

  // a y axis's category labels (its ticktext, or the strings its traces put on it), or null for a numeric axis
  function categories(figure, key, axis) {
    if (Array.isArray(axis.ticktext)) return axis.ticktext;
    const ref = "y" + key.slice(5);
    const found = [];
    for (const trace of figure.data || []) {
      if ((trace.yaxis || "y") !== ref) continue;
      if (!Array.isArray(trace.y) || !trace.y.every((v) => typeof v === "string")) return null;
      found.push.apply(found, trace.y);
    }
    return found.length ? found : null;
  }

  function reserveMargins(figure) {
    const layout = figure.layout;
    const base = (layout.template || {}).layout || {};
    const margin = layout.margin || {};
    const font = Object.assign({}, base.font, layout.font);
    const size = font.size || 12;
    const axis = function (key) {
      return Object.assign({}, base[key.replace(/\d+$/, "")], layout[key]);
    };
    const labelled = function (a) {
      return a.visible !== false && a.automargin !== false && a.showticklabels !== false;
    };
    const xTitled = axisKeys(layout, "x").some(function (key) {
      const a = axis(key);
      const big = ((a.tickfont || {}).size || size) > 13 || ((a.title || {}).font || {}).size > 13;
      return labelled(a) && a.side !== "top" && titled(a) && !a.tickangle && !big;
    });
    if (typeof margin.b === "number" && margin.b < X_TITLE_ROOM && size <= 13 && xTitled) {
      margin.b = X_TITLE_ROOM;
    }
    if (typeof margin.l !== "number") return;
    axisKeys(layout, "y").forEach(function (key) {
      const a = axis(key);
      const anchor = layout[(a.anchor || "x").replace(/^x/, "xaxis")] || {};
      const inner = anchor.domain && anchor.domain[0] > 0.01; // its labels lie inside the figure
      if (!labelled(a) || a.side === "right" || inner || a.scaleanchor || anchor.scaleanchor) return;
      const labels = categories(figure, key, a);
      if (!labels || !labels.length) return;
      ruler = ruler || document.createElement("canvas").getContext("2d");
      const tick = Object.assign({}, font, a.tickfont);
      ruler.font = (tick.size || size) + "px " + (tick.family || "sans-serif");
      const widest = Math.max.apply(
        null,
        labels.map(function (label) {
          return ruler.measureText(shown(label)).width;
        }),
      );
      const need = Math.ceil(widest) + Y_LABEL_ROOM + (titled(a) ? Y_TITLE_ROOM : 0);
      if (need > margin.l) margin.l = need;
    });
  }

  // A figure with Chinese text waits for the site's CJK font (book/fonts.py): plotly sizes legends and margins by
  // the text it measures, and text measured in a fallback font overlaps once the font arrives.
  const CJK = /[\u3000-\u9fff\uff00-\uffef]|\\u(?:3[0-9a-f]|[4-9][0-9a-f]|ff[0-9a-f])[0-9a-f]{2}/i;
  function fontFor(source) {
    if (!document.fonts || !CJK.test(source.textContent)) return Promise.resolve();
    return document.fonts.load('16px "llmviz CJK"', "中").catch(function () {});
  }

  function draw(source) {
    const div = document.getElementById(source.dataset.for);
    return fontFor(source).then(function () {
      return drawNow(source, div);
    });
  }

  function drawNow(source, div) {
    return new Promise(function (resolve) {
      const figure = JSON.parse(source.textContent);
      if (figure.template) figure.layout.template = template(figure.template);
      delete figure.template;
      if (window.llmvizTheme) window.llmvizTheme.colour(figure.layout);
      reserveMargins(figure);
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
