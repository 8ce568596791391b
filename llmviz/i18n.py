"""The words that figures draw and code prints, in the book's Chinese edition.

Sphinx translates the prose (book/i18n.py); the text inside figures and printed output
comes from running code, so it is translated here, from one catalog that the Chinese
build reads: ``llmviz/locale/zh_CN.json``, English to Chinese. A key is the English
text with each number written as a numbered slot, so that one entry serves every value
the code prints:

>>> template("top-2 of 8 experts, 12.5%")
('top-{0} of {1} experts, {2}%', ['2', '8', '12.5'])
>>> translate("top-2 of 8 experts, 12.5%", {"top-{0} of {1} experts, {2}%":
...                                        "{1} 个专家中的前 {0} 个，{2}%"})
'8 个专家中的前 2 个，12.5%'

Text the catalog lacks is returned as it is. ``translate_figure`` translates a plotly
figure's titles, axis titles, legends, annotations and slider and button labels.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("zh_CN",)
LOCALE = Path(__file__).parent / "locale"  # <language>.json: {English key: translation}
# A number not inside a word (cl100k, BatchNorm1d and q_0 keep theirs): 3, -2, 1,024,
# 0.5, 1e-05, and 4.3 in "4.3x" (a ratio)
_NUMBER = re.compile(
    r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?(?=x\b|(?!\w))"
)
_SLOT = re.compile(r"\{(\d+)\}")
LIVE: dict[str, str | None] = {"language": None}  # set by llmviz.language.use_language


def template(text: str) -> tuple[str, list[str]]:
    """``text`` with its numbers replaced by the slots {0}, {1}, … and the numbers."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    numbers: list[str] = []

    def slot(match: re.Match[str]) -> str:
        numbers.append(match.group())
        return f"{{{len(numbers) - 1}}}"

    return _NUMBER.sub(slot, text.replace("{", "{{").replace("}", "}}")), numbers


def _slots(text: str) -> set[int]:
    return {int(number) for number in _SLOT.findall(text.replace("{{", ""))}


def _messages(messages: Any) -> dict[str, str]:
    """A catalog given, or the catalog of the language named."""
    if isinstance(messages, str) and messages in LANGUAGES:
        return catalog(messages)
    if not isinstance(messages, dict):
        raise TypeError(
            f"messages must be a dict (English key -> translation) or one of "
            f"{LANGUAGES}, got {messages!r:.60}"
        )
    return messages


def _fill(translated: str, numbers: list[str]) -> str:
    filled = _SLOT.sub(lambda m: numbers[int(m.group(1))], translated)
    return filled.replace("{{", "{").replace("}}", "}")


def catalog(language: str = "zh_CN") -> dict[str, str]:
    """The catalog of ``language``, English key to translation (read once)."""
    if not isinstance(language, str) or language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r:.60}")
    return _read(language)


@cache
def _read(language: str) -> dict[str, str]:
    return json.loads((LOCALE / f"{language}.json").read_text(encoding="utf-8"))


def translate(text: str, messages: dict[str, str] | str = "zh_CN") -> str:
    """``text`` in the catalog's language (``messages``: a catalog, or a language
    whose catalog to read); unchanged where the catalog has no entry. A printed line
    keeps its indentation."""
    messages = _messages(messages)
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    body = text.strip()
    if not body:
        return text
    key, numbers = template(body)
    translated = messages.get(key)
    if translated is None:
        return text
    if not isinstance(translated, str) or _slots(translated) - {*range(len(numbers))}:
        raise ValueError(
            f"messages[{key!r}] must be a str whose slots are among the key's "
            f"{{0}}..{{{len(numbers) - 1}}}, got {translated!r:.60}"
        )
    start = text.index(body[0])
    return text[:start] + _fill(translated, numbers) + text[start + len(body) :]


# Where a plotly figure keeps its words: a path of keys, "*" for every item of a list
# or every key of a dict that matches the pattern in brackets.
_AXES = r"[xyz]axis\d*|coloraxis\d*|polar\d*|ternary\d*"
_FIGURE_TEXT = [
    ("title", "text"),
    ("legend", "title", "text"),
    (f"*[{_AXES}]", "title", "text"),
    (f"*[{_AXES}]", "colorbar", "title", "text"),
    ("scene*", f"*[{_AXES}]", "title", "text"),
    ("annotations", "*", "text"),
    ("sliders", "*", "currentvalue", "prefix"),
    ("sliders", "*", "steps", "*", "label"),
    ("updatemenus", "*", "buttons", "*", "label"),
]
_TRACE_TEXT = [
    ("name",),
    ("legendgrouptitle", "text"),
    ("colorbar", "title", "text"),
    ("marker", "colorbar", "title", "text"),
]
# A trace's text is mostly data (tokens, words, numbers), left out of figure_text; the
# labels among it that the catalog has (a row's name, a gloss) are translated too.
_TRACE_LABELS = [("text",), ("text", "*")]


def _walk(node: Any, path: tuple[str, ...], change: Callable[[str], str]) -> None:
    """Replace, in place, each string at ``path`` below ``node`` by ``change`` of it."""
    if not path:
        return
    step, rest = path[0], path[1:]
    if isinstance(node, list) and step == "*":
        children: list[Any] = list(range(len(node)))
    elif isinstance(node, dict) and step.startswith("*"):
        pattern = step[2:-1] if step.startswith("*[") else r".*"
        children = [key for key in node if re.fullmatch(pattern, key)]
    elif isinstance(node, dict) and step.endswith("*"):
        children = [key for key in node if key.startswith(step[:-1])]
    elif isinstance(node, dict) and step in node:
        children = [step]
    else:
        return
    for child in children:
        value = node[child]
        if not rest and isinstance(value, str):
            node[child] = change(value)
        elif rest:
            _walk(value, rest, change)


def _each_text(
    figure: dict[str, Any], change: Callable[[str], str], labels: bool = False
) -> None:
    """Apply ``change`` to every string of figure text, in place, frames included;
    ``labels``: the traces' text too."""
    trace_paths = _TRACE_TEXT + (_TRACE_LABELS if labels else [])
    for part in [figure, *figure.get("frames", [])]:
        for path in _FIGURE_TEXT:
            _walk(part.get("layout", {}), path, change)
        for trace in part.get("data", []):
            for path in trace_paths:
                _walk(trace, path, change)


def _check_figure(figure: Any) -> dict[str, Any]:
    if not isinstance(figure, dict):
        raise TypeError(f"figure must be a plotly figure's dict, got {figure!r:.60}")
    return figure


def figure_text(figure: dict[str, Any]) -> list[str]:
    """Every string of figure text in a plotly figure's dict, in order.

    >>> figure_text({"layout": {"title": {"text": "Loss"}, "xaxis": {"title":
    ...     {"text": "step"}}}, "data": [{"name": "train"}]})
    ['Loss', 'step', 'train']
    """
    found: list[str] = []

    def keep(text: str) -> str:
        found.append(text)
        return text

    _each_text(copy.deepcopy(_check_figure(figure)), keep)
    return found


def translate_figure(
    figure: dict[str, Any], messages: dict[str, str] | str = "zh_CN"
) -> dict[str, Any]:
    """A copy of a plotly figure's dict (``fig.to_dict()``, or its JSON loaded) with
    its titles, axis titles, legends, annotations, trace names and slider and button
    labels translated, and those of its traces' text labels the catalog has; its
    frames' too. The figure given is left as it was."""
    figure = copy.deepcopy(_check_figure(figure))
    messages = _messages(messages)
    _each_text(figure, lambda text: translate(text, messages), labels=True)
    return figure


def say(text: str) -> str:
    """``text`` in the language a live notebook chose (``llmviz.setup(language=…)``),
    as llmviz prints its checks; English by default.

    >>> say("loss")
    'loss'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    language = LIVE["language"]
    return text if language is None else translate(text, language)
