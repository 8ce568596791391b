"""The Chinese edition's figure text and printed output, from llmviz's catalog.

The notebooks run once, for the English build; the Chinese pages reuse that output
(book/editions.py). So the words that code drew or printed arrive in English, and
this script translates them on the built pages, through ``llmviz.i18n`` and its
catalog ``llmviz/locale/zh_CN.json``:

* each figure's titles, axis titles, legends, annotations and slider and button
  labels (the JSON of ``llmviz/_book_figures.py``);
* each printed line (stream and plain-text output), such as reference_check's;
* each cell of a table that code printed (``llmviz.table``); Sphinx translates the
  prose's own tables.

    python book/zh_outputs.py export _build/html missing.json   # what to translate
    python book/zh_outputs.py fill translated.json              # into the catalog
    python book/zh_outputs.py coverage _build/html              # share per page
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # llmviz, when run as a script from anywhere

from llmviz._book_figures import script_safe  # noqa: E402
from llmviz._checks import check_path, check_str_dict  # noqa: E402
from llmviz.i18n import (  # noqa: E402
    LOCALE,
    _slots,
    figure_text,
    template,
    translate,
    translate_figure,
)
from llmviz.tokenization.base import check_text  # noqa: E402

CATALOG = LOCALE / "zh_CN.json"
FIGURE = re.compile(
    r'(<script type="application/json" class="llmviz-figure" data-for="[^"]*">)'
    r"(.*?)(</script>)",
    re.S,
)
PRINTED = re.compile(
    r'(<div class="output (?:stream|text_plain)[^"]*"><div class="highlight">'
    r"<pre><span></span>)(.*?)(</pre>)",
    re.S,
)
# A table that code printed (llmviz.table): in a cell's output, unlike the prose's
TABLE = re.compile(
    r'<div class="cell_output docutils container">\s*'
    r'<div class="pst-scrollable-table-container"><table.*?</table>',
    re.S,
)
CELL = re.compile(r"(<t[hd](?: class=\"head\")?><p>)([^<]*)(</p></t[hd]>)")
# A word of English prose: three or more letters, not inside a name the book keeps
# (a piece of a cut, ▁un|der|stand, is not a word either)
_WORD = re.compile(r"(?<![\w'‘“\"./\\|▁])[A-Za-z][a-z]{2,}(?![\w'’”\"(|])")


def _figure_json(figure: dict) -> str:
    return script_safe(json.dumps(figure, ensure_ascii=False, separators=(",", ":")))


def _lines(block: str, change: Callable[[str], str]) -> str:
    """A printed block's lines through ``change``; a line holding markup (colour)
    is left as it is."""
    return "\n".join(
        line if "<" in line else html.escape(change(html.unescape(line)), quote=False)
        for line in block.split("\n")
    )


def texts(page: str) -> Iterator[str]:
    """Every figure string, printed line and printed table cell of a built page."""
    return _texts(check_text("page", page))


def _texts(page: str) -> Iterator[str]:
    for match in FIGURE.finditer(page):
        yield from figure_text(json.loads(match.group(2)))
    for match in PRINTED.finditer(page):
        lines = match.group(2).split("\n")
        yield from (html.unescape(x) for x in lines if x.strip() and "<" not in x)
    for table in TABLE.finditer(page):
        yield from (html.unescape(m.group(2)) for m in CELL.finditer(table.group()))


def translate_page(page: str, messages: dict[str, str]) -> str:
    """The page with its figures, printed lines and table cells translated."""
    check_text("page", page)
    check_str_dict("messages", messages)

    def figure(match: re.Match[str]) -> str:
        translated = translate_figure(json.loads(match.group(2)), messages)
        return match.group(1) + _figure_json(translated) + match.group(3)

    def printed(match: re.Match[str]) -> str:
        block = _lines(match.group(2), lambda line: translate(line, messages))
        return match.group(1) + block + match.group(3)

    def cell(match: re.Match[str]) -> str:
        text = translate(html.unescape(match.group(2)), messages)
        return match.group(1) + html.escape(text, quote=False) + match.group(3)

    page = FIGURE.sub(figure, page)
    page = PRINTED.sub(printed, page)
    return TABLE.sub(lambda table: CELL.sub(cell, table.group()), page)


def is_english(text: str) -> bool:
    """Whether ``text`` holds English words to translate: not only names, numbers,
    code identifiers or quoted examples."""
    text = check_text("text", text)
    bare = re.sub(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’|<[^>]+>", " ", text)
    return any(word not in NAMES for word in _WORD.findall(bare))


NAMES = set(
    """BPE WordPiece Unigram SentencePiece GPT Llama Mistral Mixtral Qwen DeepSeek
    Gemma Falcon Phi BERT RoBERTa Switch Transformer Transformers ALiBi RoPE NoPE YaRN
    LongRoPE NTK PI xPos GQA MQA MHA MLA MoE MoBA NSA DCA LongLoRA Longformer BigBird
    SDPA Flash FlashAttention HF PyTorch NumPy torch Colab Jupyter Python Hugging Face
    Sinkhorn SwiGLU GeGLU GELU ReLU SiLU Swish LayerNorm RMSNorm BatchNorm
    DeepNorm Adam AdamW Kaiming Xavier Xu Zipf Shannon Meta Google OpenAI Anthropic
    Wikipedia Tolstoy Shakespeare Lewis Carroll Alice GloVe FastText Word2Vec
    CBOW Chinchilla Kaplan Hoffmann StreamingLLM Mamba RWKV Performer Linformer Reformer
    Mirostat""".split()
)


def english_pages(site: Path) -> Iterator[tuple[str, list[str]]]:
    """Each English page's name and its texts that hold English words."""
    return _english_pages(check_path("site", site, "dir"))


def _english_pages(site: Path) -> Iterator[tuple[str, list[str]]]:
    for page in sorted(site.rglob("*.html")):
        name = page.relative_to(site).as_posix()
        if name.split("/")[0] in ("zh", "_static"):
            continue
        english = [t for t in texts(page.read_text("utf-8")) if is_english(t)]
        if english:
            yield name, english


def export(site: Path, out: Path) -> int:
    """Write the keys the catalog lacks, by page, with an example each, for a
    translator: {page: {key: example}}."""
    pages, out = english_pages(site), check_path("out", out)  # each checks its own
    messages = json.loads(CATALOG.read_text(encoding="utf-8"))
    missing: dict[str, dict[str, str]] = {}
    seen: set[str] = set()
    for name, english in pages:
        for text in english:
            key = template(text.strip())[0]
            if key not in messages and key not in seen:
                missing.setdefault(name, {})[key] = text.strip()
                seen.add(key)
    out.write_text(json.dumps(missing, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(seen)} keys to translate, in {out}")
    return 0


def fill(translated: Path) -> int:
    """Add a translator's keys (the JSON ``export`` wrote, values replaced) to the
    catalog; a translation must keep its key's slots."""
    translated = check_path("translated", translated, "file")
    try:
        new = check_str_dict("translated", json.loads(translated.read_text("utf-8")))
    except (TypeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(
            f"translated must hold a JSON object of str to str, as export writes: "
            f"{translated} does not ({error})"
        ) from None
    messages = json.loads(CATALOG.read_text(encoding="utf-8"))
    bad = [key for key, value in new.items() if _slots(key) != _slots(value)]
    for key in bad:
        print(f"slots differ: {key!r} -> {new[key]!r}")
    messages |= {key: value for key, value in new.items() if key not in bad}
    text = json.dumps(dict(sorted(messages.items())), ensure_ascii=False, indent=1)
    CATALOG.write_text(text + "\n", encoding="utf-8")
    print(f"{len(new) - len(bad)} keys added; the catalog holds {len(messages)}")
    return 1 if bad else 0


def coverage(site: Path) -> dict[str, tuple[int, int]]:
    """Per English page: (in the catalog, all) of its texts that hold English words.
    An entry may keep its text as it is: data, such as an English sample text."""
    pages = english_pages(site)  # checks site
    messages = json.loads(CATALOG.read_text(encoding="utf-8"))
    return {
        name: (sum(template(t.strip())[0] in messages for t in english), len(english))
        for name, english in pages
    }


if __name__ == "__main__":
    command, *args = sys.argv[1:] or ["help"]
    if command == "export":
        sys.exit(export(Path(args[0]), Path(args[1])))
    if command == "fill":
        sys.exit(fill(Path(args[0])))
    if command == "coverage":
        for name, (done, total) in coverage(Path(args[0])).items():
            print(f"{name:<40} {done:>5} / {total:<5} {100 * done / total:5.1f}%")
        sys.exit(0)
    print(__doc__)
    sys.exit(2)
