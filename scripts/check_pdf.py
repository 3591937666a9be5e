"""Check the PDF of the book that ``make pdf`` prints.

    python scripts/check_pdf.py _build/pdf/cnn-course.pdf
    python scripts/check_pdf.py --book ko _build/pdf/cnn-course-ko.pdf

What a reader of the PDF would notice, read back from the file with
poppler's ``pdfinfo``, ``pdftotext`` and ``pdftoppm`` and with pypdf:

- the page count is sane for the table of contents (not a few pages of a
  failed print, not thousands of pages of a layout gone wrong);
- every page of the book's ``_toc.yml`` (``--book``: the repository's root,
  or ``ko`` for the Korean edition) has its title (the first heading of its
  source) in the text layer, and a bookmark (PDF outline entry) with that
  title;
- no TeX that MathJax should have typeset survives in the text (``$$``,
  ``\\frac``, ``\\mathbf`` ...);
- Korean text is in the text layer, and every Korean character sampled is
  drawn with a Noto CJK font embedded in the PDF (a font without Hangul
  would draw empty boxes: tofu);
- no collapsed cell's toggle, solution button or playground control is
  printed, and every exercise's solution prints closed (its title followed
  by "(on the website)"; in the book's language, ``PRINTED``);
- the first page, the first playground's page and a middle page render to
  PNG (``_build/pdf/pages/cnn-course/`` for ``cnn-course.pdf``) and are not
  blank.

Exits non-zero with a list of problems. ``poppler-utils`` provides the
``pdf*`` commands (scripts/setup.sh installs it).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_pdf import book_language, notes_for  # noqa: E402
from check_site import toc_pages  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# a sane book has at least this many pages per _toc.yml entry on average ...
MIN_PAGES_PER_DOCUMENT = 2
# ... and at most this many (today's chapters take 5 to 45 pages each)
MAX_PAGES_PER_DOCUMENT = 80
TEX_LEFT_OVER = re.compile(
    r"\$\$|\\[()\[\]]|\\(?:frac|dfrac|mathbf|mathrm|mathcal|mathbb|"
    r"operatorname|sum|prod|int|sqrt|cdot|times|left|right|begin|end|text|"
    r"partial|nabla|alpha|beta|gamma|delta|sigma|mu|lambda|epsilon|theta|"
    r"odot|otimes|lfloor|rfloor|lceil|rceil|hat|tilde|bar|quad|qquad|leq|"
    r"geq|approx|infty|exp|log|max|min|top)(?![A-Za-z])"
)
HANGUL = re.compile("[\uac00-\ud7a3]")
CJK_FONT = re.compile(r"Noto(Sans|Serif)CJK", re.IGNORECASE)
KOREAN_PAGES_SAMPLED = 3
# What the singlehtml build prints in each language (sphinx.config.language)
# besides build_pdf.py's NOTES. MyST-NB's toggle of a collapsed cell and the
# playground's controls are English in the Korean build too;
# sphinx-togglebutton and sphinx-exercise have Korean strings.
PLAYGROUND_CONTROLS = {
    "Slide the window": "a playground's controls are printed",
    "Or load your own image": "a playground's controls are printed",
}
PRINTED = {
    "en": {
        # the start of a solution's title, before the exercise's number
        "solution": r"Solution to\s*Exercise",
        # text that only the screen may show, and what printing it means
        "screen_only": {
            "Show code cell": "a collapsed cell's toggle is printed",
            "Hide code cell": "a collapsed cell is printed open",
            "Click to show": "a solution's toggle button is printed",
            **PLAYGROUND_CONTROLS,
        },
    },
    "ko": {
        "solution": r"해답\s*연습",  # "해답 연습 3.2"
        "screen_only": {
            "Show code cell": "a collapsed cell's toggle is printed",
            "Hide code cell": "a collapsed cell is printed open",
            "표시하려면 클릭": "a solution's toggle button is printed",
            **PLAYGROUND_CONTROLS,
        },
    },
}


def spaced(text: str) -> str:
    """A pattern for ``text`` that also matches it with white space added or
    missing anywhere (the text layer breaks a Korean line between any two
    syllables)."""
    return r"\s*".join(re.escape(c) for c in text if not c.isspace())


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def document_title(name: str, book: Path = ROOT) -> str:
    """The first ``# `` heading of a _toc.yml document, as plain text."""
    notebook = book / f"{name}.ipynb"
    if notebook.exists():
        cells = json.loads(notebook.read_text())["cells"]
        lines = [
            line
            for cell in cells
            if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines()
        ]
    else:
        lines = (book / f"{name}.md").read_text().splitlines()
    heading = next((line for line in lines if line.startswith("# ")), None)
    if heading is None:
        raise ValueError(f"{name}: no '# ' heading, so no title to look for")
    return re.sub(r"[`*_]", "", heading[2:]).strip()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def run(command: list[str]) -> str:
    if shutil.which(command[0]) is None:
        raise FileNotFoundError(
            f"{command[0]} is missing: install Debian's poppler-utils "
            "(scripts/setup.sh does)"
        )
    return subprocess.run(
        command, check=True, capture_output=True, text=True
    ).stdout


def outline_titles(reader: PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(items) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(squeeze(item.title))

    walk(reader.outline)
    return titles


def font_name(font) -> str:
    """A font's name: BaseFont, or the descriptor's FontName (Chromium's
    Type 3 fonts, such as the CFF-based Noto CJK, have only the latter)."""
    name = font.get("/BaseFont")
    if name is None and font.get("/FontDescriptor") is not None:
        name = font["/FontDescriptor"].get_object().get("/FontName")
    return str(name or "")


def korean_fonts(reader: PdfReader, page_numbers: list[int]) -> set[str]:
    """The names of the fonts that draw Hangul on these pages (0-based)."""
    names: set[str] = set()

    def visit(text, cm, tm, font, size) -> None:
        if font is not None and HANGUL.search(text or ""):
            names.add(font_name(font))

    for number in page_numbers:
        reader.pages[number].extract_text(visitor_text=visit)
    return names


def not_blank(png: Path) -> float:
    """The fraction of pixels that are not near-white."""
    from matplotlib.image import imread

    pixels = imread(png)[..., :3]
    return float((pixels.min(axis=-1) < 0.9).mean())


def check(
    pdf: Path, pages_dir: Path, book: Path = ROOT
) -> tuple[list[str], dict]:
    problems: list[str] = []
    facts: dict = {}
    if not pdf.exists():
        return [f"{pdf} is missing: run make pdf"], facts
    language = book_language(book / "_config.yml")
    notes = notes_for(language)
    printed = PRINTED.get(language) or PRINTED.get(
        re.split(r"[_-]", language)[0]
    )
    if printed is None:
        raise ValueError(
            f"the book's language is {language!r}: add what its build "
            "prints to PRINTED in scripts/check_pdf.py"
        )
    facts["language"] = language
    info = run(["pdfinfo", str(pdf)])
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    facts["pages"] = pages
    facts["MiB"] = round(pdf.stat().st_size / 2**20, 1)
    documents = toc_pages(book)
    low = MIN_PAGES_PER_DOCUMENT * len(documents)
    high = MAX_PAGES_PER_DOCUMENT * len(documents)
    if not low <= pages <= high:
        problems.append(
            f"{pages} pages: expected {low} to {high} for "
            f"{len(documents)} documents in _toc.yml"
        )
    # -raw: in the order Chromium drew it (the default reading order puts
    # the Korean of a heading, in its own font, on a line of its own)
    page_texts = run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"]
    ).split("\f")
    text = squeeze(" ".join(page_texts))
    # a title wrapped over two lines gains a line break where it had none
    # (between two Hangul syllables)
    compact_text = re.sub(r"\s+", "", text)

    reader = PdfReader(pdf)
    bookmarks = outline_titles(reader)
    facts["bookmarks"] = len(bookmarks)
    for name in documents:
        title = squeeze(document_title(name, book))
        if re.sub(r"\s+", "", title) not in compact_text:
            problems.append(f"{name}: its title {title!r} is not in the text")
        numbered = re.compile(rf"(?:\d+\.\s+)?{re.escape(title)}")
        if not any(numbered.fullmatch(b) for b in bookmarks):
            near = [b for b in bookmarks if title[:12] in b]
            problems.append(
                f"{name}: no bookmark {title!r} (similar: {near[:2]})"
            )

    reported_to = -1  # one problem per place, not per command
    for match in TEX_LEFT_OVER.finditer(text):
        if match.start() <= reported_to:
            continue
        reported_to = match.end() + 40
        around = text[max(0, match.start() - 40) : reported_to]
        problems.append(
            f"raw TeX in the text (MathJax did not typeset it): {around!r}"
        )

    for screen_text, meaning in printed["screen_only"].items():
        if compact(screen_text) in compact_text:
            problems.append(f"{meaning}: {screen_text!r} is in the text")
    solution = re.compile(
        rf"{printed['solution']}\s*[\d.]+\s*({spaced(notes['solution'])})?"
    )
    solutions = solution.findall(text)
    facts["solutions"] = len(solutions)
    if solutions.count("") or not solutions:
        problems.append(
            f"{solutions.count('')} of {len(solutions)} solutions are "
            "printed open (each should print closed, its title followed by "
            f"{notes['solution']!r})"
        )

    korean_pages = [i for i, t in enumerate(page_texts) if HANGUL.search(t)]
    facts["pages_with_korean"] = len(korean_pages)
    if not korean_pages:
        problems.append("no Korean text in the text layer")
    else:
        sample = sorted(
            {
                korean_pages[0],
                korean_pages[len(korean_pages) // 2],
                korean_pages[-1],
            }
        )[:KOREAN_PAGES_SAMPLED]
        fonts = korean_fonts(reader, sample)
        facts["korean_fonts"] = sorted(fonts)
        others = sorted(f for f in fonts if not CJK_FONT.search(f))
        if not fonts or others:
            problems.append(
                f"Korean on pages {[p + 1 for p in sample]} is drawn with "
                f"{others or 'no font'}, not (only) a Noto CJK font: install "
                "Debian's fonts-noto-cjk (scripts/setup.sh does)"
            )

    # the note's first sentence (build_pdf.py's NOTES)
    playground_note = compact(re.split(r"(?<=[.:])\s", notes["playground"])[0])
    playground = next(
        (i for i, t in enumerate(page_texts) if playground_note in compact(t)),
        None,
    )
    if playground is None:
        problems.append("no playground note in the text (build_pdf.py adds)")
    pages_dir.mkdir(parents=True, exist_ok=True)
    for old in pages_dir.glob("page-*.png"):
        old.unlink()
    wanted = sorted({1, pages // 2, (playground or 0) + 1})
    facts["png"] = []
    for number in wanted:
        stem = pages_dir / f"page-{number:03d}"
        run(
            [
                "pdftoppm", "-png", "-r", "60", "-f", str(number),
                "-l", str(number), "-singlefile", str(pdf), str(stem),
            ]
        )  # fmt: skip
        png = stem.with_suffix(".png")
        inked = not_blank(png) if png.exists() else 0.0
        if inked < 0.005:
            problems.append(f"page {number} renders blank ({png})")
        facts["png"].append(str(png))
    return problems, facts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "pdf",
        type=Path,
        nargs="?",
        default=ROOT / "_build" / "pdf" / "cnn-course.pdf",
        help="the PDF to check (default: %(default)s)",
    )
    parser.add_argument(
        "--book",
        type=Path,
        default=ROOT,
        help="the book's folder, with its _config.yml and _toc.yml (default: "
        "the repository's root; ko for the Korean edition)",
    )
    args = parser.parse_args(argv)
    pdf = args.pdf
    try:
        if not (args.book / "_config.yml").exists():
            raise FileNotFoundError(
                f"--book {args.book}: no _config.yml there; give the folder "
                "of a book (the repository's root, or ko)"
            )
        problems, facts = check(
            pdf, pdf.parent / "pages" / pdf.stem, args.book
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"check_pdf: {error}", file=sys.stderr)
        return 1
    print(f"check_pdf: {pdf}: {json.dumps(facts, ensure_ascii=False)}")
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
