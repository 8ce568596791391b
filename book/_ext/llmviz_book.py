"""What the site does to every page at build time, so that the notebooks stay plain.

- Exercises are numbered per chapter, ``Exercise 3.1``, from the chapter's file name,
  instead of one count across the book.
- The first use of each glossary term in a page's prose links to the glossary. The
  notebooks carry no ``{term}`` roles, which Colab would show as raw text.
- A code cell's Colab form line, ``# @title Solution``, is dropped from the shown code.
- An exercise's title is a message to translate, as a heading is (sphinx-exercise
  builds it without the source that Sphinx's gettext needs).
- The source of a folded cell (``hide-input``, ``hide-cell``) is shown without colours:
  Pygments wraps every token in a ``<span>``, seven times the bytes of the code, and a
  reader opens few folded cells. On chapter 4 that was 0.6 MB of a 1.9 MB page.
- Only ``search.html`` loads Sphinx's search index and tools. The theme loads them on
  every page for a search-as-you-type dialog that this book leaves off (its dialog sends
  the query to ``search.html``): 0.16 MB per page with eight chapters, and growing.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.transforms import SphinxTransform

GLOSSARY_DOC = "book/glossary"
CHAPTER = re.compile(r"notebooks/(\d\d)_")
TOO_COMMON = {"key", "value", "query", "PI"}  # words of everyday prose, or ambiguous
SKIP = (nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.title,
        nodes.reference, nodes.raw, nodes.caption, nodes.rubric, addnodes.pending_xref,
        nodes.citation, nodes.footnote, nodes.target)  # fmt: skip


def glossary_terms(text: str) -> dict[str, str]:
    """alias -> glossary term, read from the glossary's source.

    "mixture of experts (MoE)" gives "mixture of experts" and "MoE"; "top-k, top-p"
    gives both names. Each alias links to its term's entry.
    """
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    aliases = {}
    for term in re.findall(r"^(\S.*)$", block, flags=re.MULTILINE):
        term = term.strip()
        names = re.split(r",\s*|\s*\(|\)", term)
        for name in filter(None, (n.strip() for n in names)):
            if name not in TOO_COMMON:
                aliases[name] = term
    return aliases


def _pattern(alias: str) -> re.Pattern:
    """Acronyms match as written; lower-case words in any case, plurals too; Chinese
    (llmviz_terms.py adds it) as written, wherever it is."""
    if re.search(r"[\u4e00-\u9fff]", alias):
        return re.compile(re.escape(alias))
    if alias != alias.lower():
        return re.compile(rf"(?<![\w-]){re.escape(alias)}(?![\w-])")
    return re.compile(rf"(?<![\w-]){re.escape(alias)}(?:s|es)?(?![\w-])", re.IGNORECASE)


def _in_prose(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, SKIP):
            return False
        if isinstance(parent, nodes.Element) and "cell_output" in parent["classes"]:
            return False
        parent = parent.parent
    return True


def _in_paragraph(text: nodes.Text) -> bool:
    """Text of a paragraph, or of an emphasis or bold phrase in one (a term is often
    introduced in italics)."""
    parent = text.parent
    if isinstance(parent, (nodes.emphasis, nodes.strong)):
        parent = parent.parent
    return isinstance(parent, nodes.paragraph)


def link_glossary_terms(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    if docname == GLOSSARY_DOC or docname not in app.env.found_docs:
        return
    aliases = app.env.llmviz_glossary
    patterns = {alias: _pattern(alias) for alias in aliases}
    linked: set[str] = set()
    for text in list(doctree.findall(nodes.Text)):
        if not _in_paragraph(text) or not _in_prose(text):
            continue
        _link_first_uses(text, docname, aliases, patterns, linked)


def _link_first_uses(text, docname, aliases, patterns, linked) -> None:
    """Replace ``text`` by text and links for each term not yet linked on the page."""
    value, pieces = str(text), []
    while True:
        found = [
            (m.start(), -len(m.group()), alias, m)
            for alias, pattern in patterns.items()
            if aliases[alias] not in linked and (m := pattern.search(value))
        ]
        if not found:
            break
        _, _, alias, match = min(found)
        linked.add(aliases[alias])
        pieces.append(nodes.Text(value[: match.start()]))
        words = match.group()
        xref = addnodes.pending_xref(
            "", nodes.inline(words, words, classes=["xref", "std", "std-term"]),
            refdomain="std", reftype="term", reftarget=aliases[alias].lower(),
            refexplicit=True, refwarn=True, refdoc=docname,
        )  # fmt: skip
        pieces.append(xref)
        value = value[match.end() :]
    if pieces:
        pieces.append(nodes.Text(value))
        text.parent.replace(text, pieces)


def drop_form_titles(app: Sphinx, doctree: nodes.document) -> None:
    for block in doctree.findall(nodes.literal_block):
        source = block.astext()
        if source.startswith("# @title"):
            rest = source.split("\n", 1)[1] if "\n" in source else ""
            block.children = [nodes.Text(rest)]
            block.rawsource = rest


FOLDED = {"tag_hide_input", "tag_hide_cell"}


def _classes(node: nodes.Element) -> set[str]:
    """Class names, - read as _ (myst-nb: tag_hide-input; docutils: tag-hide-input)."""
    return {name.replace("-", "_") for name in node["classes"]}


def plain_folded_code(app: Sphinx, doctree: nodes.document) -> None:
    for cell in doctree.findall(nodes.container):
        if not FOLDED & _classes(cell):
            continue
        for block in cell.findall(nodes.literal_block):
            parent = block.parent
            if isinstance(parent, nodes.container) and "cell_input" in _classes(parent):
                block["language"] = "text"


class TranslatableExerciseTitles(SphinxTransform):
    """Give each exercise's subtitle the source and raw text that make it a message
    (extracted by ``book/i18n.py update``, translated in the Chinese edition)."""

    default_priority = 10  # before sphinx.transforms.i18n.Locale (20)

    def apply(self, **kwargs) -> None:
        mark_exercise_titles(self.document, self.document["source"])


def mark_exercise_titles(doctree: nodes.Node, source: str) -> None:
    """Make each exercise subtitle under ``doctree`` a message of ``source``."""
    from sphinx_exercise.nodes import exercise_subtitle

    for node in doctree.findall(exercise_subtitle):
        node.rawsource = node.rawsource or node.astext()
        node.source = node.source or source
        node.line = node.line or 1


def catalog_exercise_titles(app: Sphinx, doctree, docname: str) -> None:
    """The gettext builder reads the resolved doctree, where sphinx-exercise has
    already replaced the subtitles: add the read doctree's to the page's catalog."""
    if app.builder.name != "gettext":
        return
    from sphinx.util.i18n import docname_to_domain
    from sphinx_exercise.nodes import exercise_subtitle

    domain = docname_to_domain(docname, app.config.gettext_compact)
    for node in app.env.get_doctree(docname).findall(exercise_subtitle):
        node.uid = ""
        app.builder.catalogs[domain].add(node.rawsource, node)


def number_exercises_per_chapter(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Exercise n of chapter N becomes N.n (Sphinx numbers them across the book).

    Runs after Sphinx's toctree collector has numbered every figure and exercise."""
    for docname, numbers in env.toc_fignumbers.items():
        chapter = CHAPTER.match(docname)
        exercises = numbers.get("exercise")
        if not chapter or not exercises:
            continue
        order = sorted(exercises, key=lambda label: exercises[label])
        for index, label in enumerate(order, start=1):
            exercises[label] = (int(chapter.group(1)), index)
    return []


SEARCH_SCRIPTS = re.compile(
    r'[ \t]*<script src="(?:\.\./)*(?:_static/searchtools\.js|_static/language_data\.js'
    r'|searchindex\.js)(?:\?[^"]*)?"></script>\n?'
)


def search_index_on_search_page_only(app: Sphinx, exception: Exception | None) -> None:
    """Drop the search scripts from every page but ``search.html`` (see the module's
    docstring); rewriting a page that has none is a no-op, so every build may run it."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        if page.name == "search.html":
            continue
        text = page.read_text(encoding="utf-8")
        trimmed = SEARCH_SCRIPTS.sub("", text)
        if trimmed != text:
            page.write_text(trimmed, encoding="utf-8")


def read_glossary(app: Sphinx) -> None:
    path = Path(app.srcdir) / f"{GLOSSARY_DOC}.md"
    app.env.llmviz_glossary = glossary_terms(path.read_text(encoding="utf-8"))


def setup(app: Sphinx) -> dict:
    app.add_transform(TranslatableExerciseTitles)
    app.connect("doctree-resolved", catalog_exercise_titles)
    app.connect("builder-inited", read_glossary)
    app.connect("doctree-read", link_glossary_terms)
    app.connect("doctree-read", drop_form_titles)
    app.connect("doctree-read", plain_folded_code)
    app.connect("env-get-updated", number_exercises_per_chapter, priority=900)
    app.connect("build-finished", search_index_on_search_page_only)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
