"""Tools for the chapter notebooks: the shared Colab setup cell, and re-execution.

    python scripts/notebook_tools.py sync                 # write the setup cell into every chapter
    python scripts/notebook_tools.py run chapters/03_*.ipynb   # execute top to bottom, in place

Every chapter's first code cell is the Colab setup alone, tagged ``hide-input`` (collapsed on
the site, run everywhere); ``sync`` rewrites it and saves only the notebooks that changed.

The repository URL and branch come from ``_config.yml`` (one place), so a fork changes them once.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "# --- Colab setup (from scripts/notebook_tools.py; a no-op outside Colab) ---"
END = "# --- end of Colab setup ---"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def repository() -> tuple[str, str]:
    """The repository URL and branch named in ``_config.yml``."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"], config["repository"].get("branch", "main")


def setup_block() -> str:
    """The Colab bootstrap every chapter's first code cell starts with."""
    url, branch = repository()
    return f"""{BEGIN}
import sys

if "google.colab" in sys.modules:  # fetch the course's utils; keep Colab's own torch
    import os
    import subprocess

    if not os.path.isdir("/content/cnn-course"):
        repository = "{url}"
        subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "{branch}",
                        repository, "/content/cnn-course"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "torchinfo"], check=True)
    sys.path.insert(0, "/content/cnn-course")
{END}"""


def sync(path: Path) -> bool:
    """Make the notebook's first code cell the current setup cell; write only if it changed."""
    notebook = nbformat.read(path, as_version=4)
    index, first = next((i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END) + "\n?", re.S)
    if pattern.search(first.source):
        rest = pattern.sub("", first.source).strip()
        if rest:  # the setup block shared a cell with imports: split it into a cell of its own
            first.source = rest
            first = nbformat.v4.new_code_cell(setup_block())
            notebook.cells.insert(index, first)
    else:
        first = nbformat.v4.new_code_cell(setup_block())
        notebook.cells.insert(index, first)
    before = (first.source, list(first.metadata.get("tags", [])))
    first.source = setup_block()
    first.metadata["tags"] = ["hide-input"]
    changed = before != (first.source, first.metadata["tags"]) or first.get("id") is None
    if changed:
        nbformat.write(notebook, path)
    return changed


def collapse_carriage_returns(text: str) -> str:
    """Keep what a terminal shows: on each line, only the text after the last ``\\r``."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def merge_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) messages, then keep what a terminal would show."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous["name"] == output["name"]
        ):
            previous["text"] += output["text"]
        else:
            merged.append(output)
    for output in merged:
        if output.get("output_type") == "stream":
            output["text"] = collapse_carriage_returns(output["text"])
    return [o for o in merged if o.get("output_type") != "stream" or o["text"].strip()]


def run(path: Path, timeout: int = 900) -> float:
    """Execute a notebook top to bottom in a fresh kernel (cwd = its folder); save outputs."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    notebook.metadata["kernelspec"] = KERNELSPEC
    start = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    nbformat.write(notebook, path)
    return seconds


if __name__ == "__main__":
    command, *paths = sys.argv[1:] or ["help"]
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "chapters").glob("*.ipynb"))
    os.environ["CNN_COURSE_PROGRESS"] = "0"  # stored pages show no half-drawn progress bar
    os.environ.setdefault("CNN_COURSE_DEVICE", "cpu")  # stored outputs come from the CPU
    if command == "sync":
        for nb in notebooks:
            print(f"{nb}: {'updated' if sync(nb) else 'up to date'}")
    elif command == "run":
        for nb in notebooks:
            print(f"{nb}: executed in {run(nb):.1f} s", flush=True)
    else:
        sys.exit(__doc__)
