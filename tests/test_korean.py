"""The Korean edition (ko/): every chapter translated and up to date with
the English, the same code and outputs, the glossary's Korean terms, and the
roles, math and code of every cell carried over unchanged."""

import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from translation import KO, load_memory, problems, source_hash

from notebook_tools import ROOT

ENGLISH_TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
KOREAN_TOC = yaml.safe_load((KO / "_toc.yml").read_text())


def toc_files(toc: dict) -> list[str]:
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


CHAPTERS = [
    ROOT / f"{name}.ipynb"
    for name in toc_files(ENGLISH_TOC)
    if name.startswith("chapters/")
]
ROLE = re.compile(r"\{(term|doc|ref|numref|eq|cite:p|cite:t|cite)\}`([^`]*)`")
MARKDOWN = MarkdownIt("commonmark").use(dollarmath_plugin).use(amsmath_plugin)
KEPT = {"code_inline", "math_inline", "math_block", "amsmath", "fence"}


def kept_spans(text: str) -> list[str]:
    """The code, math and fenced blocks of a cell (which a translation keeps
    as they are), from the parsed Markdown."""
    spans, stack = [], MARKDOWN.parse(ROLE.sub("", text))
    while stack:
        token = stack.pop()
        if token.type in KEPT and not token.info.startswith("{"):
            spans.append(token.content.strip())
        stack += token.children or []
    return spans


def role_target(text: str) -> str:
    """``{term}`합성곱 <convolution>``` links ``convolution``."""
    match = re.search(r"<([^<>]+)>$", text)
    return match.group(1) if match else text


def korean_cells(notebook: Path):
    """(index, English source, Korean text) of every markdown cell."""
    memory = load_memory(notebook)
    english = nbformat.read(notebook, as_version=4)
    for index, cell in enumerate(english.cells):
        if cell.cell_type == "markdown" and cell.id in memory:
            yield index, cell.source, memory[cell.id]["ko"]


def glossary_korean_names() -> dict[str, str]:
    """English glossary term -> its Korean name (the definition's first
    words, before a parenthesis or the first full stop)."""
    text = (ROOT / "glossary.md").read_text()
    names = {}
    for term, definition in re.findall(
        r"^(\S[^\n]*)\n  (\S[^\n]*)", text, re.M
    ):
        name = re.split(r" \(|\. ", definition, maxsplit=1)[0]
        names[term.strip().lower()] = name.strip()
    return names


def test_the_korean_toc_lists_the_english_pages_in_order():
    assert toc_files(KOREAN_TOC) == toc_files(ENGLISH_TOC)
    for name in toc_files(KOREAN_TOC):
        suffix = ".ipynb" if name.startswith("chapters/") else ".md"
        assert (KO / f"{name}{suffix}").exists(), f"ko/{name}{suffix}"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_every_markdown_cell_has_up_to_date_korean_text(notebook):
    stale = problems(notebook)
    assert not stale, "redo the Korean text of:\n" + "\n".join(stale)


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_korean_notebook_is_the_english_code_and_outputs(notebook):
    english = nbformat.read(notebook, as_version=4)
    korean = nbformat.read(KO / "chapters" / notebook.name, as_version=4)
    memory = load_memory(notebook)
    assert [c.id for c in korean.cells] == [c.id for c in english.cells]
    for ours, theirs in zip(korean.cells, english.cells, strict=True):
        if theirs.cell_type == "code":
            assert ours == theirs, f"{notebook.name} cell {theirs.id}"
        else:
            assert ours.source == memory[theirs.id]["ko"].rstrip("\n"), (
                f"{notebook.name} cell {theirs.id}: run python "
                "scripts/notebook_tools.py translate"
            )
    assert korean.metadata == english.metadata


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_roles_math_and_code_are_carried_over(notebook):
    for index, english, korean in korean_cells(notebook):
        where = f"{notebook.name} cell {index}"
        assert Counter(
            (kind, role_target(text)) for kind, text in ROLE.findall(english)
        ) == Counter(
            (kind, role_target(text)) for kind, text in ROLE.findall(korean)
        ), f"{where}: roles differ"
        flat = " ".join(korean.split())  # line breaks may move
        for span in kept_spans(english):
            assert " ".join(span.split()) in flat, (
                f"{where}: {span!r} is missing"
            )


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_linked_terms_use_the_glossarys_korean_name(notebook):
    names = glossary_korean_names()
    for index, english, korean in korean_cells(notebook):
        for kind, text in ROLE.findall(english):
            if kind != "term":
                continue
            name = names[role_target(text).lower()]
            assert name in korean, (
                f"{notebook.name} cell {index} links the term "
                f"{role_target(text)!r}: its Korean text should use the "
                f"glossary's {name!r}"
            )


PAGES = [
    name for name in toc_files(ENGLISH_TOC) if not name.startswith("chapters/")
]


@pytest.mark.parametrize("name", PAGES)
def test_korean_page_is_up_to_date_with_the_english(name):
    english = (ROOT / f"{name}.md").read_bytes()
    first = (KO / f"{name}.md").read_text().splitlines()[0]
    expected = (
        f"<!-- translated from {name}.md sha256:{source_hash(english)} -->"
    )
    assert first == expected, (
        f"ko/{name}.md was translated from another version of {name}.md: "
        f"bring the Korean up to date (git diff the English since then), "
        f"then make its first line {expected}"
    )
