"""End-to-end check of the built site in headless Chromium.

    python scripts/check_site.py _build/html

For every page listed in ``_toc.yml``: it loads over HTTP with no console error
and no request leaving the machine; it shows its title; every image is decoded
(natural width > 0); pages with math show typeset MathJax output; every
internal link points at an existing page and anchor; no code block scrolls
sideways at 1280 px. Also: the search page finds "convolution", each chapter's
Colab button points at that chapter's notebook, and a hidden exercise solution
opens on click (a solution that is not displayed at all is reported, not
crashed on). A screenshot of each page goes to ``_build/screenshots/``. Exits
non-zero with a list of problems.

Every convolution playground (``playground/``) on a page is driven through its
labelled controls: for each setting whose PyTorch result the widget embeds, the
check sets input, kernel (a preset, or nine typed weights), padding mode and
size, stride and dilation, reads the numbers the widget displays (its table of
output values, and the hover read-out), and requires them to equal PyTorch's to
1e-4; a stride that does not fit must be flagged in words. It also moves the
window with the keyboard, loads an image file as a reader would (greyed in the
browser, compared with a NumPy cross-correlation), checks the text contrast in
the light and the dark theme, and saves two screenshots of the first widget (a
photo with a Laplacian kernel in the light theme; the lecture's stride 3
flagged, in the dark theme). Every wait is for a condition, never a fixed
sleep.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import struct
import sys
import tempfile
import threading
import zlib
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import numpy as np
import yaml
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def toc_pages(book: Path = ROOT) -> list[str]:
    """Document names in reading order, e.g. ['intro', 'chapters/01_why_cnn',
    'glossary'], from the ``_toc.yml`` of the book in ``book`` (the English
    book at the repository's root, or the Korean one in ``ko/``)."""
    toc = yaml.safe_load((book / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [entry["file"] for entry in part.get("chapters") or []]
    pages += [entry["file"] for entry in toc.get("chapters") or []]
    return pages


# Console messages of third-party code that are known and harmless, with the
# reason.
KNOWN_CONSOLE_NOISE = (
    # pydata-sphinx-theme on a browser's very first visit: it reads the unset
    # light/dark preference from localStorage as "", logs this, and falls back
    # to "auto" as intended.
    "Got invalid theme mode: . Resetting to auto.",
)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A page that navigates away closes its open requests: not a problem
        of the site."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def check_page(
    page, base: str, name: str, html_dir: Path, shots: Path, problems: list
) -> None:
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    url = urljoin(base, f"{name}.html")
    response = page.goto(url, wait_until="load")
    if response is None or response.status != 200:
        problems.append(
            f"{name}: HTTP {response.status if response else 'no response'}"
        )
        return
    title = page.locator("main h1").first
    if title.count() == 0 or not title.inner_text().strip():
        problems.append(f"{name}: no visible title (h1)")
    source = (html_dir / f"{name}.html").read_text()
    if 'class="math' in source:
        try:
            # "attached", not "visible": the first typeset formula can sit in a
            # hidden place (the collapsed "on this page" sidebar, a closed
            # solution)
            page.wait_for_selector(
                "article mjx-container", state="attached", timeout=20_000
            )
        except Exception:
            problems.append(f"{name}: has math but MathJax typeset none of it")
    try:
        page.wait_for_load_state("networkidle")
    except Exception:  # report it and go on checking the page
        problems.append(f"{name}: requests were still running after 60 s")
    broken = page.evaluate(
        "() => [...document.images]"
        ".filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.getAttribute('src'))"
    )
    problems += [f"{name}: image not decoded: {src}" for src in broken]
    for href in page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.href)"
    ):
        if not href.startswith(base):
            continue
        target, anchor = urldefrag(href)
        path = html_dir / urlparse(target).path.lstrip("/")
        if path.is_dir():
            path = path / "index.html"
        if not path.exists():
            problems.append(f"{name}: broken link {href}")
        elif anchor and path.suffix == ".html":
            if not re.search(rf'id="{re.escape(anchor)}"', path.read_text()):
                problems.append(f"{name}: link to missing anchor {href}")
    # code the student reads must fit the column (about 78 characters at 1280
    # px): a wider block hides its ends behind a horizontal scroll bar. Outputs
    # may scroll.
    wide = page.evaluate(
        "() => [...document.querySelectorAll('article div.highlight pre')]"
        ".filter(p => !p.closest('.cell_output') && p.clientWidth > 0"
        " && p.scrollWidth > p.clientWidth + 1)"
        ".map(p => p.textContent.split('\\n')"
        ".reduce((a, b) => a.length >= b.length ? a : b))"
    )
    problems += [
        f"{name}: code block scrolls sideways at 1280 px: {line[:60]!r}"
        for line in wide
    ]
    shot = shots / (name.replace("/", "__") + ".png")
    page.screenshot(path=str(shot), full_page=True)
    problems += [
        f"{name}: console error: {e}"
        for e in errors
        if e not in KNOWN_CONSOLE_NOISE
    ]


def check_language_switch(page, name: str, other: str, problems: list) -> None:
    """The page links to the same page in the other edition (``other``,
    e.g. ``ko/chapters/05_pooling``); the broken-link check above tells
    whether that page exists."""
    link = page.locator("p.language-switch a")
    if link.count() != 1:
        problems.append(f"{name}: no link to the other edition ({other})")
        return
    href = urldefrag(link.first.evaluate("a => a.href"))[0]
    if not href.endswith(f"/{other}.html"):
        problems.append(
            f"{name}: the language switch goes to {href}, not {other}"
        )


# Two different Hangul syllables drawn in the page's own font: if their pixels
# are identical, both are the same empty box (tofu) and no Korean font is used.
HANGUL_TOFU = """() => {
  const element = document.querySelector('article p') || document.body;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 48;
  const pen = canvas.getContext('2d');
  pen.font = '32px ' + getComputedStyle(element).fontFamily;
  const draw = (text) => {
    pen.clearRect(0, 0, 48, 48);
    pen.fillText(text, 4, 36);
    return Array.from(pen.getImageData(0, 0, 48, 48).data).join(',');
  };
  return draw('합') === draw('곱');
}"""


def check_hangul_glyphs(page, name: str, problems: list) -> None:
    if page.evaluate(HANGUL_TOFU):
        problems.append(
            f"{name}: Korean text is drawn as empty boxes (tofu): "
            "install fonts-noto-cjk"
        )


def check_solution_toggle(page, name: str, toggle, problems: list) -> None:
    """Clicking the first solution toggle must make its solution taller (open
    it)."""
    solution = page.locator(".solution").first
    box = solution.bounding_box()
    if box is None:  # display: none, or not in the layout at all
        problems.append(
            f"{name}: the first solution element is not displayed "
            "(no layout box), so its toggle cannot be tested"
        )
        return
    toggle.click()
    try:
        page.wait_for_function(
            "([el, h]) => el.getBoundingClientRect().height > h",
            arg=[solution.element_handle(), box["height"]],
            timeout=5_000,
        )
    except Exception:
        problems.append(f"{name}: clicking a solution toggle did not open it")


# ------------------------------------------------------------------ the
# convolution playground

PLAYGROUND_TOLERANCE = 1e-4
CONTROLS = (
    ("Padding p", "padding"),
    ("Stride s", "stride"),
    ("Dilation d", "dilation"),
)


def shown_number(text: str) -> float:
    """A number as the widget prints it ("−3", "12.3333") as a float."""
    return float(text.strip().replace("\u2212", "-"))


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS ``rgb(...)`` colours."""

    def luminance(css: str) -> float:
        channels = [float(v) / 255 for v in re.findall(r"[\d.]+", css)[:3]]
        linear = [
            c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
            for c in channels
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted(
        (luminance(foreground), luminance(background)), reverse=True
    )
    return (high + 0.05) / (low + 0.05)


def grey_png(pixels: np.ndarray) -> bytes:
    """A minimal 8-bit greyscale PNG (no colour profile, so the browser keeps
    the values)."""
    height, width = pixels.shape
    rows = b"".join(b"\x00" + bytes(row) for row in pixels.astype(np.uint8))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def correlate_zero_padded(
    image: np.ndarray, kernel: np.ndarray, padding: int
) -> np.ndarray:
    """F.conv2d's cross-correlation, stride 1, zero padding, in NumPy (for the
    uploaded file)."""
    padded = np.pad(image.astype(float), padding)
    windows = np.lib.stride_tricks.sliding_window_view(padded, kernel.shape)
    return np.einsum("ijkl,kl->ij", windows, kernel)


def wait_for_settings(page, widget, expected: dict) -> None:
    """Wait until the widget has rendered exactly these settings (weights to
    1e-12)."""
    page.wait_for_function(
        "([root, want]) => {\n"
        '            if (root.dataset.ready !== "true"'
        " || !root.dataset.settings) return false;\n"
        "            const got = JSON.parse(root.dataset.settings);\n"
        '            return Object.keys(want).every(key => key === "weights"\n'
        "                ? want.weights.every((w, k) =>"
        " got.weights[k] !== null\n"
        "                                               "
        "&& Math.abs(got.weights[k] - w) < 1e-12)\n"
        "                : got[key] === want[key]);\n"
        "        }",
        arg=[widget.element_handle(), expected],
        timeout=10_000,
    )


def parse_weight(text: str) -> float:
    """A kernel weight as the widget's data writes it: "2", "-0.5" or "1/9"."""
    numerator, _, denominator = text.partition("/")
    return (
        float(numerator) / float(denominator)
        if denominator
        else float(numerator)
    )


def set_playground(page, widget, setting: dict) -> None:
    """Drive the widget's labelled controls to ``setting``, as a reader
    would."""
    weights = [parse_weight(w) for w in setting["weights"]]
    widget.get_by_label("Input image", exact=True).select_option(
        setting["input"]
    )
    if setting["kernel"] == "custom":
        for k, text in enumerate(setting["weights"]):
            field = widget.get_by_label(
                f"weight, row {k // 3 + 1}, column {k % 3 + 1}", exact=True
            )
            field.fill(text)
    else:
        widget.get_by_label("Kernel", exact=True).select_option(
            setting["kernel"]
        )
    widget.get_by_label("Padding mode", exact=True).select_option(
        setting["padding_mode"]
    )
    for label, key in CONTROLS:
        widget.get_by_label(label, exact=True).fill(str(setting[key]))
    wait_for_settings(
        page,
        widget,
        {
            "input": setting["input"],
            "kernel": setting["kernel"],
            "weights": weights,
            "padding": setting["padding"],
            "padding_mode": setting["padding_mode"],
            "stride": setting["stride"],
            "dilation": setting["dilation"],
        },
    )


def displayed_table(widget) -> list[list[float]]:
    """The numbers in the widget's table of output values, row by row."""
    texts = widget.evaluate(
        "root => [...root.querySelectorAll('table.cnnpg-table tbody tr')]"
        ".map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent))"
    )
    return [[shown_number(t) for t in row] for row in texts]


def hover_readout(
    page, widget, row: int, column: int, shape: list[int]
) -> float | None:
    """Hover over output cell (row, column); the number the read-out line
    shows."""
    canvas = widget.locator("canvas.cnnpg-output-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    if box is None:
        return None
    page.mouse.move(
        box["x"] + (column + 0.5) * box["width"] / shape[1],
        box["y"] + (row + 0.5) * box["height"] / shape[0],
    )
    readout = widget.locator(".cnnpg-readout")
    page.wait_for_function(
        "([el, r, c]) => el.dataset.row === String(r)"
        " && el.dataset.column === String(c)",
        arg=[readout.element_handle(), row, column],
        timeout=5_000,
    )
    return shown_number(readout.inner_text().rsplit("=", 1)[1])


def widget_screenshot(page, widget, path: Path) -> None:
    """The widget alone, with the page's fixed and sticky bars hidden for the
    moment."""
    page.evaluate(
        "() => document.activeElement && document.activeElement.blur()"
    )
    hidden = page.evaluate_handle(
        "() => [...document.querySelectorAll('body *')].filter(el =>"
        " ['fixed', 'sticky'].includes(getComputedStyle(el).position))"
        ".map(el => { el.dataset.cnnpgVisibility = el.style.visibility;"
        " el.style.visibility = 'hidden'; return el; })"
    )
    try:
        widget.screenshot(path=str(path))
    finally:
        hidden.evaluate(
            "els => els.forEach(el => {"
            " el.style.visibility = el.dataset.cnnpgVisibility;"
            " delete el.dataset.cnnpgVisibility; })"
        )


def check_playgrounds(
    page, name: str, shots: Path, problems: list, first: bool
) -> None:
    """Drive every convolution playground on the page and compare it with
    PyTorch."""
    widgets = page.locator(".cnnpg")
    for index in range(widgets.count()):
        widget = widgets.nth(index)
        where = f"{name}: playground {index + 1}"
        try:
            page.wait_for_function(
                "el => el.dataset.ready === 'true'",
                arg=widget.element_handle(),
                timeout=10_000,
            )
        except Exception:
            problems.append(
                f"{where}: never became ready (its script did not run)"
            )
            continue
        config = json.loads(widget.locator("script.cnnpg-data").text_content())
        widget.locator(
            "details.cnnpg-values > summary"
        ).click()  # show the table of values
        compared = 0
        for reference in config["references"]:
            setting = reference["setting"]
            label = ", ".join(
                f"{k}={v}" for k, v in setting.items() if k != "weights"
            )
            try:
                set_playground(page, widget, setting)
            except Exception as error:
                problems.append(
                    f"{where}: could not set {label}: {type(error).__name__}"
                )
                continue
            expected = np.reshape(reference["values"], reference["shape"])
            shown = displayed_table(widget)
            if [len(shown), len(shown[0]) if shown else 0] != reference[
                "shape"
            ]:
                problems.append(
                    f"{where}, {label}: shows a {len(shown)}-row table, "
                    f"PyTorch gives {reference['shape']}"
                )
                continue
            error = float(np.abs(np.array(shown) - expected).max())
            if error > PLAYGROUND_TOLERANCE:
                problems.append(
                    f"{where}, {label}: largest difference to PyTorch "
                    f"{error:.3g}"
                )
            row, column = reference["shape"][0] - 1, reference["shape"][1] // 2
            hovered = hover_readout(
                page, widget, row, column, reference["shape"]
            )
            if (
                hovered is None
                or abs(hovered - expected[row, column]) > PLAYGROUND_TOLERANCE
            ):
                problems.append(
                    f"{where}, {label}: hovering output [{row}, {column}] "
                    f"shows {hovered}, PyTorch gives {expected[row, column]}"
                )
            status = widget.locator(".cnnpg-status").inner_text()
            valid = widget.get_attribute("data-valid")
            if reference["fits"] and valid != "true":
                problems.append(
                    f"{where}, {label}: flagged although it fits: {status!r}"
                )
            if not reference["fits"]:
                size = len(config["inputs"][setting["input"]]["pixels"])
                span = 2 * setting["dilation"] + 1
                fraction = f"""{
                    (size + 2 * setting["padding"] - span) / setting["stride"]
                    + 1:.2f}"""
                if (
                    valid != "false"
                    or "does not fit" not in status
                    or fraction not in status
                ):
                    problems.append(
                        f"{where}, {label}: the uneven stride is not "
                        f"explained (expected 'does not fit' and {fraction}): "
                        f"{status!r}"
                    )
            compared += 1
            if first and index == 0 and setting["kernel"] == "laplacian":
                widget_screenshot(
                    page,
                    widget,
                    shots / "playground-photo-laplacian-light.png",
                )
        if compared != len(config["references"]) or not compared:
            problems.append(
                f"{where}: compared {compared} of "
                f"{len(config['references'])} settings"
            )
        check_playground_keyboard(page, widget, where, problems)
        check_playground_file(page, widget, where, problems)
        check_playground_marks(page, widget, where, problems)
        check_playground_themes(
            page,
            widget,
            where,
            problems,
            config,
            shots if first and index == 0 else None,
        )


def check_playground_keyboard(
    page, widget, where: str, problems: list
) -> None:
    """The output map takes focus and the arrow keys move the window."""
    canvas = widget.locator("canvas.cnnpg-output-canvas")
    readout = widget.locator(".cnnpg-readout")
    try:
        canvas.focus()
        for key in ("Home", "ArrowRight", "ArrowDown"):
            page.keyboard.press(key)
        page.wait_for_function(
            "el => el.dataset.row === '1' && el.dataset.column === '1'",
            arg=readout.element_handle(),
            timeout=5_000,
        )
    except Exception:
        problems.append(
            f"{where}: Home, ArrowRight, ArrowDown did not move the window "
            "to [1, 1]"
        )


def check_playground_file(page, widget, where: str, problems: list) -> None:
    """A reader's own image file: loaded, greyed and convolved in the
    browser."""
    rows, cols = np.indices((12, 16))
    pixels = ((rows * 37 + cols * 11) % 256).astype(
        np.uint8
    )  # grey already: nothing to round
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "own.png"
        path.write_bytes(grey_png(pixels))
        try:
            widget.get_by_label("Kernel", exact=True).select_option("sobel_x")
            widget.get_by_label("Padding mode", exact=True).select_option(
                "zeros"
            )
            for label, value in (
                ("Padding p", 1),
                ("Stride s", 1),
                ("Dilation d", 1),
            ):
                widget.get_by_label(label, exact=True).fill(str(value))
            widget.locator("input[type=file]").set_input_files(str(path))
            wait_for_settings(
                page,
                widget,
                {
                    "input": "own",
                    "kernel": "sobel_x",
                    "padding": 1,
                    "stride": 1,
                    "dilation": 1,
                },
            )
        except Exception as error:
            problems.append(
                f"{where}: loading an image file failed: "
                f"{type(error).__name__}"
            )
            return
    error = float(
        np.abs(
            np.array(displayed_table(widget))
            - correlate_zero_padded(pixels, sobel_x, 1)
        ).max()
    )
    if error > PLAYGROUND_TOLERANCE:
        problems.append(
            f"{where}: an uploaded image gives a Sobel map off by {error:.3g}"
        )
    # issue #31: a non-square image is rows x columns in picker and caption
    size = f"{pixels.shape[0]}\u00d7{pixels.shape[1]} (rows\u00d7columns)"
    picked = widget.locator(
        "select[name=input] option[value=own]"
    ).inner_text()
    caption = widget.locator(".cnnpg-input-caption").inner_text()
    if size not in picked or size not in caption:
        problems.append(
            f"{where}: a 12-row, 16-column upload is labelled {picked!r} "
            f"in the picker and {caption!r} under the input (expected {size})"
        )


def check_playground_marks(page, widget, where: str, problems: list) -> None:
    """Issue #31: the selected output cell has a black and a white ring (seen
    on any colour), and a stride larger than the kernel hatches the row and
    column that no window reads (7x7, padding 0, stride 4: row/column 3)."""
    setting = {
        "input": "lecture7",
        "kernel": "sobel_x",
        "weights": ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"],
        "padding": 0,
        "padding_mode": "zeros",
        "stride": 4,
        "dilation": 1,
    }
    try:
        set_playground(page, widget, setting)
    except Exception as error:
        problems.append(f"{where}: could not set stride 4: {error}")
        return
    caption = widget.locator(".cnnpg-input-caption").inner_text()
    if "hatched" not in caption:
        problems.append(
            f"{where}: 7x7, p0, s4 reads no row or column 3 but hatches "
            f"nothing: {caption!r}"
        )
    # the ring's pixels in output cell [0, 0]: black on the border, white
    # just inside, whatever the cell's own colour
    canvas = widget.locator("canvas.cnnpg-output-canvas")
    canvas.focus()
    page.keyboard.press("Home")  # select output [0, 0]
    page.wait_for_function(
        "el => el.dataset.row === '0' && el.dataset.column === '0'",
        arg=widget.locator(".cnnpg-readout").element_handle(),
        timeout=5_000,
    )
    ring = canvas.evaluate(
        "canvas => { const r = canvas.width / canvas.clientWidth;"
        " const cell = canvas.clientWidth / 2;"
        " const at = (x, y) => [...canvas.getContext('2d')"
        ".getImageData(Math.floor(x * r), Math.floor(y * r), 1, 1).data];"
        " return [at(0.2, cell / 2), at(2.5, cell / 2)]; }"
    )
    if max(ring[0][:3]) > 60 or min(ring[1][:3]) < 195:
        problems.append(
            f"{where}: the selected cell's ring is not black outside and "
            f"white inside (pixels {ring[0]} and {ring[1]})"
        )


def check_playground_themes(
    page, widget, where: str, problems: list, config: dict, shots: Path | None
) -> None:
    """Readable text in the light and the dark theme; screenshot the flagged
    stride in dark."""
    uneven = next((r for r in config["references"] if not r["fits"]), None)
    if uneven is not None:
        set_playground(page, widget, uneven["setting"])
    original = page.evaluate(
        "() => document.documentElement.dataset.theme || ''"
    )
    for theme in ("light", "dark"):
        page.evaluate(
            "t => { document.documentElement.dataset.theme = t; }", theme
        )
        page.wait_for_function(
            "([el, dark]) => {"
            " const c = getComputedStyle(el).backgroundColor.match(/\\d+/g);"
            " const bright = c && (+c[0] + +c[1] + +c[2]) > 384;"
            " return bright !== dark; }",
            arg=[widget.element_handle(), theme == "dark"],
            timeout=5_000,
        )
        for part in (
            ".cnnpg-status",
            ".cnnpg-formula",
            "label",
            "legend",
            "select",
        ):
            element = widget.locator(part).first
            colours = element.evaluate(
                "el => { let bg = 'rgba(0, 0, 0, 0)', node = el;"
                " while (node && /rgba\\(.*, 0\\)|transparent/.test(bg)) {"
                " bg = getComputedStyle(node).backgroundColor;"
                " node = node.parentElement; }"
                " return [getComputedStyle(el).color, bg]; }"
            )
            ratio = contrast(*colours)
            if ratio < 4.5:
                problems.append(
                    f"{where}: {part} text has contrast {ratio:.1f} in the "
                    f"{theme} theme (WCAG asks for 4.5)"
                )
        if theme == "dark" and shots is not None:
            widget_screenshot(
                page, widget, shots / "playground-uneven-stride-dark.png"
            )
    page.evaluate(
        "t => { document.documentElement.dataset.theme = t; }", original
    )


def main(html_dir: Path) -> int:
    if not (html_dir / "index.html").exists():
        print(
            f"{html_dir}/index.html is missing: build the site first "
            "(make site)"
        )
        return 1
    shots = html_dir.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    server, base = serve(html_dir)
    problems: list[str] = []
    outside: list[str] = []
    pages = toc_pages()
    with (
        sync_playwright() as playwright,
        tempfile.TemporaryDirectory() as profile,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )

        def gate(
            route,
        ):  # the site must work offline: nothing may leave the machine
            if route.request.url.startswith(
                base
            ) or route.request.url.startswith("data:"):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        context.route("**/*", gate)
        context.set_default_timeout(
            60_000
        )  # generous: CI machines can be busy
        playground_shots = False  # screenshots of the first playground only
        for name in pages:
            page = context.new_page()
            check_page(page, base, name, html_dir, shots, problems)
            check_language_switch(page, name, f"ko/{name}", problems)
            if name.startswith("chapters/"):
                colab = page.locator("a[href*='colab.research.google.com']")
                hrefs = [
                    colab.nth(i).get_attribute("href")
                    for i in range(colab.count())
                ]
                if not any(h.endswith(f"/{name}.ipynb") for h in hrefs):
                    problems.append(
                        f"{name}: no Colab button pointing at {name}.ipynb "
                        f"({hrefs})"
                    )
                toggles = page.locator(
                    ".solution .toggle-button, details.solution summary, "
                    ".solution.dropdown .admonition-title"
                )
                if toggles.count():
                    check_solution_toggle(page, name, toggles.first, problems)
            if page.locator(".cnnpg").count():
                check_playgrounds(
                    page, name, shots, problems, first=not playground_shots
                )
                playground_shots = True
            page.close()
        for name in pages:  # the Korean edition: the same pages under ko/
            page = context.new_page()
            check_page(page, base, f"ko/{name}", html_dir, shots, problems)
            check_language_switch(page, f"ko/{name}", name, problems)
            check_hangul_glyphs(page, f"ko/{name}", problems)
            page.close()
        page = context.new_page()
        page.goto(urljoin(base, "ko/search.html?q=합성곱"), wait_until="load")
        try:
            page.wait_for_selector("ul.search li", timeout=20_000)
        except Exception:
            problems.append("Korean search: no result for '합성곱'")
        page.screenshot(path=str(shots / "search_ko.png"), full_page=True)
        page.close()
        page = context.new_page()
        page.goto(
            urljoin(base, "search.html?q=convolution"), wait_until="load"
        )
        try:
            page.wait_for_selector("ul.search li", timeout=20_000)
        except Exception:
            problems.append("search: no result for 'convolution'")
        page.screenshot(path=str(shots / "search.png"), full_page=True)
        context.close()
    server.shutdown()
    problems += [
        f"request leaving the machine: {url}" for url in sorted(set(outside))
    ]
    print(
        f"checked {len(pages)} pages in each edition + both searches; "
        f"screenshots in {shots}"
    )
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(
        main(
            Path(
                sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "html"
            )
        )
    )
