"""Print the one-page (singlehtml) build of the book to a PDF with Chromium.

    python scripts/build_pdf.py _build/pdf-site/_build/singlehtml \\
        _build/pdf/cnn-course.pdf [--copy-to _build/html]
    python scripts/build_pdf.py --book ko \\
        _build/pdf-site-ko/_build/singlehtml _build/pdf/cnn-course-ko.pdf \\
        [--copy-to _build/html/ko]

``make pdf`` builds the singlehtml site (``jupyter-book build . --builder
singlehtml``) and runs this script, then ``scripts/check_pdf.py``; then the
same for the Korean edition (``--book ko``: the book whose ``_config.yml`` and
``_toc.yml`` are in ``ko/``). The page is served over HTTP on 127.0.0.1 and
nothing may leave the machine; Debian's ``chromium`` is driven by Playwright
(``$CHROMIUM`` names another). Before printing, the script waits until MathJax
has typeset every formula (and fails if one is left as TeX), every image is
decoded and the fonts are loaded; it turns each collapsed check cell into the
one line of its claim and puts a note with the chapter's web address under
each convolution playground, whose canvases print as a still picture of its
first setting; these notes are in the book's language
(``sphinx.config.language``; ``NOTES``). The print styles are
``_static/print.css``. Chromium writes PDF bookmarks from the headings
(``outline=True``) and a tagged PDF (``tagged=True``). The PDF is written to a
temporary file and renamed, so a failed run leaves no half-written PDF.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import yaml
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from pypdf import PdfWriter
from pypdf.generic import NameObject, TextStringObject

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_site import CHROMIUM_FLAGS, serve, toc_pages  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_MS = 180_000  # the whole book is one page: typesetting takes a while

# The notes the PDF adds, in the book's language (``sphinx.config.language``
# of its _config.yml; English when unset). check_pdf.py looks for them.
NOTES = {
    "en": {
        # after the title of each closed solution
        "solution": "(on the website)",
        # after the claim of each collapsed check cell
        "check": "(a collapsed check cell on the website asserts this)",
        # under each playground, before the chapter's web address
        "playground": "Printed as a still picture of its first setting. "
        "The interactive playground (choose the input, the kernel, padding, "
        "stride and dilation, and see where each output number comes from) "
        "is on the course website: ",
    },
    "ko": {
        "solution": "(웹사이트에서)",
        "check": "(웹사이트의 접힌 확인 셀이 이를 검사한다)",
        "playground": "첫 설정의 정지 화면으로 인쇄했다. 입력, 커널, 패딩, "
        "스트라이드, 팽창을 직접 골라 보고 출력의 각 수가 어디에서 오는지 "
        "확인할 수 있는 대화형 플레이그라운드는 강좌 웹사이트에 있다: ",
    },
}

FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;color:#555;'
    'font-family:sans-serif"><span class="title"></span> \u00b7 '
    '<span class="pageNumber"></span> / <span class="totalPages"></span>'
    "</div>"
)

# Turns each collapsed check cell into the line of its claim, and returns
# how many it turned.
CHECK_NOTES_JS = """(suffix) => {
  let count = 0;
  for (const cell of document.querySelectorAll('div.cell.tag_hide-cell')) {
    const details = cell.querySelector('details.hide');
    const code = cell.querySelector('div.cell_input pre');
    if (!details || !code) continue;
    const lines = code.textContent.split('\\n');
    if (!lines[0].startsWith('# Check:')) continue;
    const claim = [];
    for (const line of lines) {
      if (!line.startsWith('#')) break;
      claim.push(line.replace(/^#\\s*/, ''));
    }
    const note = document.createElement('p');
    note.className = 'print-check-note';
    note.textContent = claim.join(' ') + ' ' + suffix;
    cell.insertBefore(note, details);
    count += 1;
  }
  return count;
}"""

# Puts a note under each playground: where it can be used. Returns the
# chapters' document names in the order of the playgrounds.
PLAYGROUND_NOTES_JS = """([site, text]) => {
  const starts = [...document.querySelectorAll('span[id^="document-"]')];
  const names = [];
  for (const widget of document.querySelectorAll('.cnnpg')) {
    let name = 'intro';
    for (const start of starts) {
      if (start.compareDocumentPosition(widget)
          & Node.DOCUMENT_POSITION_FOLLOWING) {
        name = start.id.slice('document-'.length);
      }
    }
    const url = site + name + '.html';
    const note = document.createElement('p');
    note.className = 'cnnpg-print-note';
    note.append(text);
    const link = document.createElement('a');
    link.href = url;
    link.textContent = url;
    note.append(link);
    widget.append(note);
    names.push(name);
  }
  return names;
}"""

# Says where a closed solution is; returns how many solutions are closed.
SOLUTION_NOTES_JS = """(text) => {
  const titles = document.querySelectorAll(
    '.solution.toggle-hidden > .admonition-title');
  for (const title of titles) {
    const note = document.createElement('span');
    note.className = 'print-solution-note';
    note.textContent = ' ' + text;
    title.append(note);
  }
  return titles.length;
}"""

# A relative link to anything but this page (the PDF itself, the student
# notebooks' zip) would point nowhere from a PDF: point it at the website.
# Returns how many links it changed.
ABSOLUTE_LINKS_JS = """([site, page]) => {
  let count = 0;
  for (const link of document.querySelectorAll('a[href]')) {
    const href = link.getAttribute('href');
    if (/^([a-z]+:|#)/i.test(href) || href.split('#')[0] === page) continue;
    link.setAttribute('href', new URL(href, site).href);
    count += 1;
  }
  return count;
}"""

# The headings Chromium turns into bookmarks, in order, as the page shows
# them.
HEADINGS_JS = """() => [...document.querySelectorAll(
    'h1, h2, h3, h4, h5, h6, [role=heading]')]
  .filter(el => el.getClientRects().length > 0
                && getComputedStyle(el).visibility !== 'hidden')
  .map(el => el.innerText.replace(/[\\u2061-\\u2064]/g, '')
    .replace(/\\s+/g, ' ').trim())
  .filter(text => text)"""

UNTYPESET_MATH_JS = """() => [...document.querySelectorAll(
    'article .math, article span.math, article div.math')]
  .filter(el => !el.querySelector('mjx-container')
                || el.querySelector('mjx-merror'))
  .map(el => el.textContent.trim().slice(0, 60))"""

BROKEN_IMAGES_JS = """() => [...document.images]
  .filter(img => !img.complete || img.naturalWidth === 0)
  .map(img => img.getAttribute('src'))"""


def site_url(config_path: Path) -> str:
    """The published site's address, ending in '/': ``html.baseurl`` of
    ``_config.yml``, else the GitHub Pages address of ``repository.url``
    followed by ``repository.path_to_book`` (make site publishes the book in
    ``ko/`` under ``ko/`` of the English site)."""
    config = yaml.safe_load(config_path.read_text()) or {}
    base = (config.get("html") or {}).get("baseurl")
    if base:
        return base.rstrip("/") + "/"
    repository = (config.get("repository") or {}).get("url", "")
    match = re.fullmatch(
        r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", repository
    )
    if match is None:
        raise ValueError(
            f"{config_path}: cannot tell the site's address for the PDF's "
            f"links: html.baseurl is unset and repository.url is "
            f"{repository!r}, not https://github.com/OWNER/REPO; set "
            "html.baseurl to the published site's address"
        )
    owner, name = match.groups()
    folder = str((config.get("repository") or {}).get("path_to_book") or "")
    folder = folder.strip("/")
    return f"https://{owner.lower()}.github.io/{name}/" + (
        f"{folder}/" if folder else ""
    )


def book_title(config_path: Path) -> str:
    return (yaml.safe_load(config_path.read_text()) or {}).get(
        "title", "The book"
    )


def book_language(config_path: Path) -> str:
    """The book's ``sphinx.config.language`` (``ko``), English when unset."""
    config = yaml.safe_load(config_path.read_text()) or {}
    sphinx_config = (config.get("sphinx") or {}).get("config") or {}
    return str(sphinx_config.get("language") or "en")


def notes_for(language: str) -> dict[str, str]:
    """The notes the PDF adds, in ``language`` (``ko``, or ``ko_KR``)."""
    notes = NOTES.get(language) or NOTES.get(re.split(r"[_-]", language)[0])
    if notes is None:
        raise ValueError(
            f"the book's language is {language!r}, and the PDF has no notes "
            f"in it (only {sorted(NOTES)}): add them to NOTES in "
            "scripts/build_pdf.py, and what its build prints to PRINTED in "
            "scripts/check_pdf.py"
        )
    return notes


def print_book(
    site_dir: Path, pdf_path: Path, book: Path = ROOT
) -> dict[str, object]:
    """Print a singlehtml build (its root page, ``_toc.yml``'s root) of the
    book in the folder ``book`` to ``pdf_path``."""
    config_path = book / "_config.yml"
    if not (config_path.exists() and (book / "_toc.yml").exists()):
        raise FileNotFoundError(
            f"--book {book}: no _config.yml and _toc.yml there; give the "
            "folder of a book (the repository's root, or ko)"
        )
    page_file = site_dir / f"{toc_pages(book)[0]}.html"
    if not page_file.exists():
        candidates = sorted(p.name for p in site_dir.glob("*.html"))
        is_root = book.resolve() == ROOT
        raise FileNotFoundError(
            f"{page_file} is missing (found {candidates or 'no HTML'}): build "
            "the one-page site first with `jupyter-book build "
            f"{'.' if is_root else os.path.relpath(book, ROOT)} --builder "
            "singlehtml --path-output _build/pdf-site"
            f"{'' if is_root else '-' + book.resolve().name}` (make pdf does)"
        )
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        raise FileNotFoundError(
            f"no Chromium at {chromium}: install Debian's chromium "
            "(scripts/setup.sh does) or set CHROMIUM=/path/to/chrome"
        )
    site = site_url(config_path)
    title = book_title(config_path)
    notes = notes_for(book_language(config_path))
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    server, base = serve(site_dir)
    outside: list[str] = []
    report: dict[str, object] = {}
    handle, temporary = tempfile.mkstemp(
        dir=pdf_path.parent, prefix=f".{pdf_path.name}.", suffix=".tmp"
    )
    os.close(handle)
    try:
        with (
            sync_playwright() as playwright,
            tempfile.TemporaryDirectory() as profile,
        ):
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=chromium,
                args=CHROMIUM_FLAGS,
                headless=True,
                viewport={"width": 1280, "height": 900},
            )
            context.set_default_timeout(TIMEOUT_MS)

            def gate(route):  # offline: nothing may leave the machine
                url = route.request.url
                if url.startswith(base) or url.startswith("data:"):
                    return route.continue_()
                outside.append(url)
                return route.abort()

            context.route("**/*", gate)
            page = context.new_page()
            page.emulate_media(media="print")
            start = time.monotonic()
            page.goto(urljoin(base, page_file.name), wait_until="load")
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup"
                " && MathJax.startup.promise"
            )
            page.evaluate("() => MathJax.startup.promise")
            untypeset = page.evaluate(UNTYPESET_MATH_JS)
            if untypeset:
                raise RuntimeError(
                    f"MathJax left {len(untypeset)} formulas untypeset or "
                    f"in error, the first: {untypeset[:3]}; fix their TeX "
                    "in the chapter (the site shows the same error)"
                )
            report["formulas"] = page.evaluate(
                "() => document.querySelectorAll('article mjx-container')"
                ".length"
            )
            report["check_notes"] = page.evaluate(
                CHECK_NOTES_JS, notes["check"]
            )
            report["closed_solutions"] = page.evaluate(
                SOLUTION_NOTES_JS, notes["solution"]
            )
            report["playgrounds"] = page.evaluate(
                PLAYGROUND_NOTES_JS, [site, notes["playground"]]
            )
            report["links_to_site"] = page.evaluate(
                ABSOLUTE_LINKS_JS, [site, page_file.name]
            )
            page.evaluate(
                "() => document.querySelectorAll('img[loading]')"
                ".forEach(img => img.removeAttribute('loading'))"
            )
            page.wait_for_function(
                "() => [...document.images].every(i => i.complete)"
            )
            broken = page.evaluate(BROKEN_IMAGES_JS)
            if broken:
                raise RuntimeError(
                    f"{len(broken)} images did not load, e.g. {broken[:3]}"
                )
            page.evaluate("() => document.fonts.ready.then(() => true)")
            page.evaluate("t => { document.title = t; }", title)
            headings = page.evaluate(HEADINGS_JS)
            report["prepare_s"] = round(time.monotonic() - start, 1)
            start = time.monotonic()
            page.pdf(
                path=temporary,
                format="A4",
                margin={
                    "top": "16mm",
                    "bottom": "16mm",
                    "left": "14mm",
                    "right": "14mm",
                },
                print_background=True,
                display_header_footer=True,
                header_template="<div></div>",
                footer_template=FOOTER,
                outline=True,
                tagged=True,
            )
            report["print_s"] = round(time.monotonic() - start, 1)
            context.close()
        if outside:
            raise RuntimeError(
                "the page asked for files outside the machine (the PDF must "
                f"build offline): {sorted(set(outside))[:5]}"
            )
        report["bookmarks_repaired"] = repair_outline(
            Path(temporary), headings
        )
        os.chmod(temporary, 0o644)  # mkstemp's 0600 is for the half-written
        os.replace(temporary, pdf_path)
    finally:
        server.shutdown()
        if os.path.exists(temporary):
            os.remove(temporary)
    return report


def outline_items(writer: PdfWriter) -> list:
    """The PDF's bookmark dictionaries, depth first (document order)."""
    items: list = []

    def walk(node) -> None:
        child = node.get("/First")
        while child is not None:
            child = child.get_object()
            items.append(child)
            walk(child)
            child = child.get("/Next")

    outlines = writer.root_object.get("/Outlines")
    if outlines is not None:
        walk(outlines.get_object())
    return items


def is_subsequence(short: str, long: str) -> bool:
    """Whether ``short`` is ``long`` with some characters left out."""
    rest = iter(long)
    return all(character in rest for character in short)


def repair_outline(pdf_path: Path, headings: list[str]) -> int:
    """Give each bookmark its heading's text; returns how many changed.

    Chromium writes a bookmark's title from the heading's laid-out text, and
    where a heading was moved to the next page (it may not end a page) the
    title can hold its text twice ("ExercisesExercises"), and the formulas
    of a heading are missing ("Why weight_decay is "). The bookmarks are the
    headings in document order, so each one gets its heading's text (its
    formulas as MathJax's MathML gives them: "2 𝜆"), but only if
    the two lists line up (same length, and each bookmark holds every word
    of its heading or is its heading with characters left out); otherwise
    nothing changes and check_pdf.py reports what is wrong.
    """
    writer = PdfWriter(pdf_path, incremental=True)
    items = outline_items(writer)
    if len(items) != len(headings):
        print(
            f"build_pdf: {len(items)} bookmarks but {len(headings)} "
            "headings; bookmarks left as Chromium wrote them",
            file=sys.stderr,
        )
        return 0
    changes = []
    for item, heading in zip(items, headings, strict=True):
        title = str(item.get("/Title", ""))
        if " ".join(title.split()) == heading:
            continue
        if not (
            all(word in title for word in heading.split())  # doubled
            or is_subsequence("".join(title.split()), heading)  # math left
        ):
            print(
                f"build_pdf: bookmark {title!r} does not match heading "
                f"{heading!r}; bookmarks left as Chromium wrote them",
                file=sys.stderr,
            )
            return 0
        changes.append((item, heading))
    if not changes:
        return 0
    for item, heading in changes:
        item[NameObject("/Title")] = TextStringObject(heading)
    handle, repaired = tempfile.mkstemp(
        dir=pdf_path.parent, prefix=f".{pdf_path.name}.", suffix=".tmp"
    )
    os.close(handle)
    try:
        with open(repaired, "wb") as stream:
            writer.write(stream)
        os.replace(repaired, pdf_path)
    finally:
        if os.path.exists(repaired):
            os.remove(repaired)
    return len(changes)


def copy_atomically(source: Path, folder: Path) -> Path:
    if not folder.is_dir():
        raise FileNotFoundError(
            f"--copy-to {folder}: no such folder; build the site first "
            "(make site) or leave out --copy-to"
        )
    target = folder / source.name
    handle, temporary = tempfile.mkstemp(
        dir=folder, prefix=f".{source.name}.", suffix=".tmp"
    )
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site_dir", type=Path, help="the singlehtml build")
    parser.add_argument("pdf", type=Path, help="the PDF to write")
    parser.add_argument(
        "--copy-to",
        type=Path,
        help="also put the PDF into this folder (the html site, to publish)",
    )
    parser.add_argument(
        "--book",
        type=Path,
        default=ROOT,
        help="the book's folder, with its _config.yml and _toc.yml (default: "
        "the repository's root; ko for the Korean edition)",
    )
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        report = print_book(args.site_dir, args.pdf, args.book)
        copied = (
            copy_atomically(args.pdf, args.copy_to) if args.copy_to else None
        )
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"build_pdf: {error}", file=sys.stderr)
        return 1
    except PlaywrightError as error:
        print(
            f"build_pdf: Chromium failed while printing: {error.message}",
            file=sys.stderr,
        )
        return 1
    size = args.pdf.stat().st_size / 2**20
    print(
        f"build_pdf: wrote {args.pdf} ({size:.1f} MiB) in "
        f"{time.monotonic() - start:.0f} s: {report['formulas']} formulas "
        f"typeset, {report['check_notes']} check cells as claims, "
        f"{report['closed_solutions']} solutions closed, "
        f"{report['bookmarks_repaired']} bookmark titles repaired, "
        f"{report['links_to_site']} links pointed at the website, "
        f"playgrounds in {report['playgrounds']}; page ready in "
        f"{report['prepare_s']} s, printed in {report['print_s']} s"
        + (f"; copied to {copied}" if copied else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
