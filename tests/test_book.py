"""The book's apparatus: glossary and bibliography stay in step with the
chapters."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def glossary_entries() -> dict[str, str]:
    """Glossary term -> its definition text, parsed from the glossary
    directive."""
    text = (ROOT / "glossary.md").read_text()
    body = text.split(":::{glossary}", 1)[1].split(":::", 1)[0]
    entries, term = {}, None
    for line in body.splitlines():
        if line and not line[0].isspace():
            term = line.strip()
            entries[term] = ""
        elif line.strip() and term:
            entries[term] += line.strip() + " "
    return entries


def book_sources() -> dict[str, str]:
    """Markdown text of every page in the table of contents (notebooks:
    markdown cells)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = [toc["root"]] + [
        e["file"] for p in toc.get("parts", []) for e in p["chapters"]
    ]
    sources = {}
    for name in names:
        if (ROOT / f"{name}.ipynb").exists():
            notebook = nbformat.read(ROOT / f"{name}.ipynb", as_version=4)
            sources[name] = "\n".join(
                c.source for c in notebook.cells if c.cell_type == "markdown"
            )
        else:
            sources[name] = (ROOT / f"{name}.md").read_text()
    return sources


def term_uses(text: str) -> set[str]:
    """Targets of {term}`x` and {term}`text <x>` roles."""
    targets = set()
    for role in re.findall(r"\{term\}`([^`]+)`", text):
        match = re.search(r"<([^>]+)>$", role)
        targets.add((match.group(1) if match else role).strip().lower())
    return targets


def test_glossary_entries_are_bilingual_and_say_where_they_start():
    for term, definition in glossary_entries().items():
        assert HANGUL.search(definition), (
            f"glossary: {term!r} lacks its Korean name"
        )
        where = re.search(r"Chapter \d|Appendix", definition)
        assert where, f"glossary: {term!r} lacks its chapter"


def test_every_linked_term_is_in_the_glossary_and_every_entry_is_used():
    terms = {term.lower() for term in glossary_entries()}
    used = set()
    for name, text in book_sources().items():
        uses = term_uses(text)
        missing = uses - terms
        assert not missing, (
            f"{name} links terms the glossary lacks: {sorted(missing)}"
        )
        used |= uses
    unused = terms - used
    assert not unused, (
        f"glossary terms no chapter links with {{term}}: {sorted(unused)}"
    )


def test_every_citation_exists_and_every_reference_is_cited():
    keys = set(
        re.findall(
            r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), re.M
        )
    )
    cited = set()
    for text in book_sources().values():
        for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", text):
            cited |= {key.strip() for key in group.split(",")}
    assert not cited - keys, (
        f"citations missing from references.bib: {sorted(cited - keys)}"
    )
    assert not keys - cited, (
        f"references.bib entries no page cites: {sorted(keys - cited)}"
    )


def chapter_label(page: str) -> str | None:
    """'Chapter 6' for the sixth chapter of the numbered parts (the number
    the site shows), 'Appendix' for an appendix chapter, None otherwise."""
    if not re.fullmatch(r"chapters/\d\d_\w+", page):
        return None
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    numbered = [
        e["file"]
        for p in toc["parts"]
        if p.get("numbered")
        for e in p["chapters"]
    ]
    if page not in numbered:
        return "Appendix"
    return f"Chapter {numbered.index(page) + 1}"


def test_glossary_names_the_chapter_that_first_links_each_term():
    first_page: dict[str, str] = {}
    for name, text in book_sources().items():  # in reading order
        for term in term_uses(text):
            if chapter_label(name):
                first_page.setdefault(term, name)
    for term, definition in glossary_entries().items():
        page = first_page.get(term.lower())
        if page is None:
            continue  # reported by the test above
        stated = re.search(r"\*(Chapter \d+|Appendix)\b[^*]*\*", definition)
        assert stated and stated.group(1) == chapter_label(page), (
            f"glossary: {term!r} says "
            f"{stated.group(1) if stated else 'nothing'}, but "
            f"{page} is the first chapter that links it"
        )
