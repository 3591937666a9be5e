"""End-to-end check of the built site in headless Chromium.

    python scripts/check_site.py _build/html

For every page listed in ``_toc.yml``: it loads over HTTP with no console error and no request
leaving the machine; it shows its title; every image is decoded (natural width > 0); pages
with math show typeset MathJax output; every internal link points at an existing page and
anchor. Also: the search page finds "convolution", each chapter's Colab button points at that
chapter's notebook, and a hidden exercise solution opens on click. A screenshot of each page
goes to ``_build/screenshots/``. Exits non-zero with a list of problems.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

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


def toc_pages() -> list[str]:
    """Document names in reading order, e.g. ['intro', 'chapters/01_why_cnn', 'glossary']."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [entry["file"] for entry in part.get("chapters") or []]
    pages += [entry["file"] for entry in toc.get("chapters") or []]
    return pages


# Console messages of third-party code that are known and harmless, with the reason.
KNOWN_CONSOLE_NOISE = (
    # pydata-sphinx-theme on a browser's very first visit: it reads the unset light/dark
    # preference from localStorage as "", logs this, and falls back to "auto" as intended.
    "Got invalid theme mode: . Resetting to auto.",
)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A page that navigates away closes its open requests: not a problem of the site."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def check_page(page, base: str, name: str, html_dir: Path, shots: Path, problems: list) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    url = urljoin(base, f"{name}.html")
    response = page.goto(url, wait_until="load")
    if response is None or response.status != 200:
        problems.append(f"{name}: HTTP {response.status if response else 'no response'}")
        return
    title = page.locator("main h1").first
    if title.count() == 0 or not title.inner_text().strip():
        problems.append(f"{name}: no visible title (h1)")
    source = (html_dir / f"{name}.html").read_text()
    if 'class="math' in source:
        try:
            # "attached", not "visible": the first typeset formula can sit in a hidden place
            # (the collapsed "on this page" sidebar, a closed solution)
            page.wait_for_selector("article mjx-container", state="attached", timeout=20_000)
        except Exception:
            problems.append(f"{name}: has math but MathJax typeset none of it")
    page.wait_for_load_state("networkidle")
    broken = page.evaluate(
        "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.getAttribute('src'))"
    )
    problems += [f"{name}: image not decoded: {src}" for src in broken]
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
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
    shot = shots / (name.replace("/", "__") + ".png")
    page.screenshot(path=str(shot), full_page=True)
    problems += [f"{name}: console error: {e}" for e in errors if e not in KNOWN_CONSOLE_NOISE]


def main(html_dir: Path) -> int:
    if not (html_dir / "index.html").exists():
        print(f"{html_dir}/index.html is missing: build the site first (make site)")
        return 1
    shots = html_dir.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    server, base = serve(html_dir)
    problems: list[str] = []
    outside: list[str] = []
    pages = toc_pages()
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )

        def gate(route):  # the site must work offline: nothing may leave the machine
            if route.request.url.startswith(base) or route.request.url.startswith("data:"):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        context.route("**/*", gate)
        for name in pages:
            page = context.new_page()
            check_page(page, base, name, html_dir, shots, problems)
            if name.startswith("chapters/"):
                colab = page.locator("a[href*='colab.research.google.com']")
                hrefs = [colab.nth(i).get_attribute("href") for i in range(colab.count())]
                if not any(h.endswith(f"/{name}.ipynb") for h in hrefs):
                    problems.append(f"{name}: no Colab button pointing at {name}.ipynb ({hrefs})")
                toggles = page.locator(
                    ".solution .toggle-button, details.solution summary, "
                    ".solution.dropdown .admonition-title"
                )
                if toggles.count():
                    hidden = page.locator(".solution").first
                    before = hidden.bounding_box()["height"]
                    toggles.first.click()
                    page.wait_for_timeout(500)
                    if hidden.bounding_box()["height"] <= before:
                        problems.append(f"{name}: clicking a solution toggle did not open it")
            page.close()
        page = context.new_page()
        page.goto(urljoin(base, "search.html?q=convolution"), wait_until="load")
        try:
            page.wait_for_selector("ul.search li", timeout=20_000)
        except Exception:
            problems.append("search: no result for 'convolution'")
        page.screenshot(path=str(shots / "search.png"), full_page=True)
        context.close()
    server.shutdown()
    problems += [f"request leaving the machine: {url}" for url in sorted(set(outside))]
    print(f"checked {len(pages)} pages + search; screenshots in {shots}")
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "html")))
