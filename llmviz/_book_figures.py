"""How the website carries a plotly figure: an empty div and the figure's JSON.

``_static/llmviz-figures.js`` draws each such figure once plotly.js is there, and
fetches plotly.js (gzip-compressed) only on pages that have a figure. plotly's own HTML
renderers would inline plotly.js in every page, load it on every page, or fetch MathJax
from a CDN. Only the site's build uses this renderer (``llmviz.setup()`` under
``LLMVIZ_BOOK``); Colab and Jupyter keep plotly's own.
"""

from __future__ import annotations

import hashlib
import uuid

from plotly.io.base_renderers import MimetypeRenderer


def script_safe(json_text: str) -> str:
    """JSON with every "<" escaped, so that no label can end its script early (the
    Chinese edition rewrites the figures it translates the same way)."""
    return json_text.replace("<", "\\u003c")


def _script(kind: str, attribute: str, json_text: str) -> str:
    kind = f'type="application/json" class="llmviz-{kind}"'
    return f"<script {kind} {attribute}>{script_safe(json_text)}</script>"


def figure_html(fig_dict: dict, sent: set[str] | None = None, div_id: str = "") -> str:
    """The div and JSON of one figure; its template (plotly's look, 6.5 kB) only once.

    The template goes in its own script, keyed by its hash, unless ``sent`` holds that
    key already: a page's figures share one. The figure names the key.

    >>> sent = set()
    >>> first = figure_html({"layout": {"template": {"layout": {"height": 300}}}}, sent)
    >>> first.count("llmviz-template"), 'style="height:300px;' in first
    (1, True)
    >>> figure_html({"layout": {"template": {"layout": {"height": 300}}}}, sent).count(
    ...     "llmviz-template")
    0
    >>> figure_html({"layout": {"title": {"text": "</script>"}}}).count("</script>")
    1
    """
    from plotly.io.json import to_json_plotly

    div_id = div_id or str(uuid.uuid4())
    layout = dict(fig_dict.get("layout", {}))
    template = layout.pop("template", None)
    height = layout.get("height", ((template or {}).get("layout") or {}).get("height"))
    height = f"{height}px" if isinstance(height, (int, float)) else "100%"
    figure = {
        "data": fig_dict.get("data", []),
        "layout": layout,
        "frames": fig_dict.get("frames", []),
        "config": {"displaylogo": False, "responsive": True},
    }
    parts = []
    if template:
        template_json = to_json_plotly(template)
        figure["template"] = hashlib.sha1(template_json.encode()).hexdigest()[:12]
        if sent is None or figure["template"] not in sent:
            key = f'data-key="{figure["template"]}"'
            parts.append(_script("template", key, template_json))
        if sent is not None:
            sent.add(figure["template"])
    parts.append(
        f'<div id="{div_id}" class="plotly-graph-div" '
        f'style="height:{height}; width:100%;"></div>'
    )
    parts.append(_script("figure", f'data-for="{div_id}"', to_json_plotly(figure)))
    return "\n".join(parts)


class BookRenderer(MimetypeRenderer):
    """plotly's renderer for the website: each figure as figure_html writes it."""

    def __init__(self) -> None:
        self.sent: set[str] = set()  # the templates this kernel's page has already

    def to_mimebundle(self, fig_dict: dict) -> dict[str, str]:
        return {"text/html": figure_html(fig_dict, self.sent)}
