"""Notebook hygiene: every chapter executed top to bottom, listed, set up
alike, and written for the page."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from notebook_tools import setup_block

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
TOC = (ROOT / "_toc.yml").read_text()
NBVAL_TAGS = {
    "nbval-ignore-output",
    "raises-exception",
    "nbval-raises-exception",
    "nbval-skip",
}


def code_cells(notebook):
    return [
        cell
        for cell in notebook.cells
        if cell.cell_type == "code" and cell.source.strip()
    ]


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
class TestChapter:
    def test_name_and_toc(self, path):
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), (
            f"{path.name}: use NN_slug.ipynb"
        )
        assert f"chapters/{path.stem}" in TOC, (
            f"{path.name} is missing from _toc.yml"
        )

    def test_executed_top_to_bottom_in_one_run(self, path):
        notebook = nbformat.read(path, as_version=4)
        counts = [cell.execution_count for cell in code_cells(notebook)]
        assert counts == list(range(1, len(counts) + 1)), (
            f"{path.name}: execution counts {counts} are not 1..N; "
            "re-run it with "
            "`python scripts/notebook_tools.py run chapters/{path.name}`"
        )
        for cell in code_cells(notebook):
            assert not any(o.output_type == "error" for o in cell.outputs), (
                "stored error output"
            )

    def test_metadata_for_the_site(self, path):
        notebook = nbformat.read(path, as_version=4)
        assert notebook.metadata["kernelspec"]["language"] == "python"
        assert notebook.metadata["language_info"]["name"] == "python"
        first_markdown = next(
            c for c in notebook.cells if c.cell_type == "markdown"
        )
        assert first_markdown.source.startswith("# "), (
            "a chapter starts with its # title"
        )

    def test_setup_cell_is_the_shared_colab_block(self, path):
        notebook = nbformat.read(path, as_version=4)
        setup, imports = code_cells(notebook)[:2]
        assert setup.source == setup_block(), (
            f"{path.name}: the first code cell must be the shared setup "
            "cell alone; run "
            "`python scripts/notebook_tools.py sync`"
        )
        assert "hide-input" in setup.metadata.get("tags", []), (
            "the setup cell is hide-input"
        )
        assert (
            "seed_everything(" in imports.source
            and "get_device()" in imports.source
        )

    def test_no_nbval_plumbing_and_tags_say_why(self, path):
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
            assert "NBVAL" not in cell.source, (
                f"{path.name}, cell {index}: use a cell tag"
            )
            tags = set(cell.metadata.get("tags", [])) & NBVAL_TAGS
            if tags:
                first = (
                    cell.source.lstrip().splitlines()[0]
                    if cell.source.strip()
                    else ""
                )
                assert re.fullmatch(r"#\s*\S.{5,}", first), (
                    f"{path.name}, cell {index}: tagged {sorted(tags)}; its "
                    "first line must be a # comment saying why "
                    "(e.g. # timings differ on every machine)"
                )

    def test_asserts_check_computed_values(self, path):
        """An assert that holds no variable compares literals: it checks
        nothing."""
        for cell in code_cells(nbformat.read(path, as_version=4)):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue  # IPython magics; nbval runs them
            for node in ast.walk(tree):
                if isinstance(node, ast.Assert):
                    names = [
                        n
                        for n in ast.walk(node.test)
                        if isinstance(n, (ast.Name, ast.Attribute))
                    ]
                    assert names, (
                        f"{path.name}: `assert {ast.unparse(node.test)}` "
                        "compares literals; "
                        "assert a value the notebook computed"
                    )

    def test_check_cells_are_collapsed_and_say_what_they_check(self, path):
        """Long verification sits in a folded cell that names its claim."""
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(code_cells(notebook)):
            tags = cell.metadata.get("tags", [])
            is_check = cell.source.lstrip().startswith("# Check:")
            if "hide-cell" in tags or is_check:
                where = f"{path.name}, code cell {index}"
                assert is_check, (
                    f"{where}: a hide-cell starts with # Check: <claim>"
                )
                assert "hide-cell" in tags, (
                    f"{where}: a # Check: cell is hide-cell"
                )
                hidden = cell.metadata.get("jupyter", {}).get("source_hidden")
                assert hidden is True, f"{where}: set jupyter.source_hidden"

    def test_visible_cells_teach_more_than_they_assert(self, path):
        """A visible code cell is at most half assert lines."""
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(code_cells(notebook)):
            if "hide-cell" in cell.metadata.get("tags", []):
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue  # IPython magics
            assert_lines = {
                line
                for node in ast.walk(tree)
                if isinstance(node, ast.Assert)
                for line in range(node.lineno, node.end_lineno + 1)
            }
            lines = [
                n
                for n, text in enumerate(cell.source.splitlines(), 1)
                if text.strip()
            ]
            assert 2 * len(assert_lines) <= len(lines), (
                f"{path.name}, code cell {index}: {len(assert_lines)} of "
                f"{len(lines)} lines are asserts; move them to a # Check: cell"
            )

    def test_code_fits_the_page(self, path):
        """The site shows about 78 characters of code: no line over 79."""
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(code_cells(notebook)):
            for line in cell.source.splitlines():
                assert len(line) <= 79, (
                    f"{path.name}, code cell {index}: {len(line)} characters: "
                    f"{line[:40]}...; run ruff format and shorten comments"
                )
            assert "fmt: skip" not in cell.source, f"{path.name}: # fmt: skip"

    def test_chapters_parse_no_files_with_regular_expressions(self, path):
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(code_cells(notebook)):
            found = re.search(
                r"^\s*(import (re|ast)\b|from (re|ast) import)",
                cell.source,
                re.M,
            )
            assert not found, (
                f"{path.name}, code cell {index}: {found.group(0).strip()!r}; "
                "print a stored result as it is or load its JSON"
            )

    def test_has_a_self_checking_exercise(self, path):
        registered = set()
        for spec_file in (ROOT / "utils" / "exercises").glob("*.json"):
            registered |= set(json.loads(spec_file.read_text()))
        source = "\n".join(
            c.source for c in nbformat.read(path, as_version=4).cells
        )
        used = set(re.findall(r'check\("([^"]+)"', source))
        assert used & registered, (
            f"{path.name}: no exercise calls check() with a registered id"
        )
        assert used <= registered, (
            f"{path.name}: unregistered exercise ids {used - registered}"
        )

    def test_no_unfinished_text(self, path):
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
            found = re.search(r"\b(PLACEHOLDER|TODO|FIXME|TBD)\b", cell.source)
            assert not found, (
                f"{path.name}, cell {index}: unfinished text "
                f"{found.group(0)!r}"
            )


def test_every_toc_chapter_exists():
    for entry in re.findall(r"file:\s*(\S+)", TOC):
        matches = list(ROOT.glob(entry + ".*"))
        assert matches, f"_toc.yml lists {entry}, which does not exist"


def test_sanitize_rules_all_parse():
    text = (ROOT / "tests" / "sanitize.cfg").read_text()
    declared = len(re.findall(r"^\s*regex", text, re.M))
    parsed = get_sanitize_patterns(text)
    assert len(parsed) == declared, (
        "a sanitize rule is malformed and nbval would drop it"
    )
    for pattern, _ in parsed:
        re.compile(pattern)


def test_sanitize_rules_apply():
    rules = get_sanitize_patterns(
        (ROOT / "tests" / "sanitize.cfg").read_text()
    )

    def clean(text):
        for pattern, replacement in rules:
            text = re.sub(pattern, replacement, text)
        return text

    assert clean(
        "epoch 1/3:  50%|#   | 2/4\repoch 1/3  loss 0.5  |  8.1 s\n"
    ) == clean("epoch 1/3  loss 0.5  |  9.4 s\n")
    assert clean("<object at 0x7f3a2c>") == clean("<object at 0x55aa00>")
    assert clean("read /usr/share/datasets/fashion-mnist") == clean(
        "read /root/.cache/cnn-course/x"
    )


def test_strict_nbval_everywhere():
    for name in ("Makefile", "pytest.ini", ".ci/run"):
        path = ROOT / name
        if path.exists():
            assert "--nbval-lax" not in path.read_text(), (
                f"{name}: nbval must run strict"
            )
