"""The book's PDF (make pdf): what its scripts tell a user when something is
missing, and a source rule that keeps raw TeX out of the printed text.

The PDF itself is built and read back by ``make pdf`` (scripts/build_pdf.py,
scripts/check_pdf.py), which ``make test`` runs; these tests are the cheap
part.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_book import book_sources

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"

sys.path.insert(0, str(SCRIPTS))
import build_pdf  # noqa: E402


def run_script(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_build_pdf_without_the_one_page_site_says_how_to_build_it(tmp_path):
    pdf = tmp_path / "out" / "book.pdf"
    result = run_script("build_pdf.py", str(tmp_path / "nothing"), str(pdf))
    assert result.returncode == 1
    assert "intro.html is missing" in result.stderr
    assert "--builder singlehtml" in result.stderr
    assert not pdf.exists()
    leftovers = list(pdf.parent.glob("*")) if pdf.parent.exists() else []
    assert leftovers == []  # no temporary file either


def test_check_pdf_of_a_missing_file_says_to_run_make_pdf(tmp_path):
    result = run_script("check_pdf.py", str(tmp_path / "none.pdf"))
    assert result.returncode == 1
    assert "none.pdf is missing: run make pdf" in result.stdout


@pytest.mark.parametrize(
    ("config", "address"),
    [
        (
            "repository:\n  url: https://github.com/cnn-course/cnn-course\n",
            "https://cnn-course.github.io/cnn-course/",
        ),
        (
            "html:\n  baseurl: https://example.org/book\n"
            "repository:\n  url: https://github.com/a/b\n",
            "https://example.org/book/",
        ),
        (  # the Korean edition: make site publishes ko/ under ko/
            "repository:\n  url: https://github.com/cnn-course/cnn-course\n"
            '  path_to_book: "ko"\n',
            "https://cnn-course.github.io/cnn-course/ko/",
        ),
    ],
)
def test_the_pdf_links_to_the_published_site(tmp_path, config, address):
    path = tmp_path / "_config.yml"
    path.write_text(config)
    assert build_pdf.site_url(path) == address


def test_a_site_address_that_cannot_be_told_is_a_clear_error(tmp_path):
    path = tmp_path / "_config.yml"
    path.write_text("repository:\n  url: https://gitlab.com/a/b\n")
    with pytest.raises(ValueError, match="set html.baseurl"):
        build_pdf.site_url(path)


def test_each_edition_gets_the_notes_in_its_language():
    """The notes build_pdf.py adds follow sphinx.config.language of the
    book's _config.yml: the Korean edition's are Korean."""
    assert build_pdf.book_language(ROOT / "_config.yml") == "en"
    assert build_pdf.book_language(ROOT / "ko" / "_config.yml") == "ko"
    english, korean = build_pdf.notes_for("en"), build_pdf.notes_for("ko")
    assert english["solution"] == "(on the website)"
    assert korean["solution"] == "(웹사이트에서)"
    assert set(korean) == set(english)
    assert all(re.search("[\uac00-\ud7a3]", note) for note in korean.values())
    assert build_pdf.notes_for("ko_KR") == korean


def test_a_book_in_a_language_without_notes_is_a_clear_error():
    with pytest.raises(ValueError, match="add them to NOTES"):
        build_pdf.notes_for("fr")


def test_the_korean_book_links_the_print_styles():
    """Jupyter Book links the .css files of ko/_static only, and ko/ takes
    the English _static (html_static_path): without html_css_files, the
    Korean PDF would print toggles and playground controls."""
    config = yaml.safe_load((ROOT / "ko" / "_config.yml").read_text())
    linked = config["sphinx"]["config"].get("html_css_files", [])
    styles = sorted(p.name for p in (ROOT / "_static").glob("*.css"))
    assert "print.css" in styles
    assert sorted(linked) == styles


def test_build_pdf_of_the_korean_book_names_its_one_page_build(tmp_path):
    pdf = tmp_path / "book-ko.pdf"
    result = run_script(
        "build_pdf.py", "--book", "ko", str(tmp_path / "nothing"), str(pdf)
    )
    assert result.returncode == 1
    assert "intro.html is missing" in result.stderr
    assert "jupyter-book build ko --builder singlehtml" in result.stderr
    assert "--path-output _build/pdf-site-ko" in result.stderr
    assert not pdf.exists()


def test_check_pdf_of_a_folder_that_is_no_book_says_so(tmp_path):
    result = run_script(
        "check_pdf.py", "--book", str(tmp_path), str(tmp_path / "x.pdf")
    )
    assert result.returncode == 1
    assert "no _config.yml there" in result.stderr


def test_a_link_to_a_heading_with_math_gives_its_own_text():
    """{ref}`label` takes the heading's text as the link's text; a heading
    with $...$ math then shows raw TeX in the link (on the site and in the
    PDF, where check_pdf.py fails on it): give such links their own text,
    {ref}`words <label>`."""
    sources = book_sources()
    math_labels = {
        label
        for text in sources.values()
        for label, heading in re.findall(
            r"^\(([^)]+)\)=\s*\n#+ (.*)$", text, flags=re.M
        )
        if "$" in heading
    }
    bare = [
        f"{name}: {{ref}}`{label}`"
        for name, text in sources.items()
        for label in re.findall(r"\{ref\}`([^`<>]+)`", text)
        if label.strip() in math_labels
    ]
    assert bare == []
