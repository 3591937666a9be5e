"""The Korean edition's translation memory: one YAML file per chapter,
``ko/chapters/NN_slug.yml``, with an entry for every markdown cell of the
English notebook (its cell id, a hash of its English source, the Korean
text). Code cells are not translated: the Korean notebooks are the English
ones with the markdown replaced, outputs and all, so the English book's
strict nbval vouches for both.

    python scripts/notebook_tools.py translate   # write ko/chapters/*.ipynb
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
KO = ROOT / "ko"


def source_hash(text: str | bytes) -> str:
    """The first 16 hex digits of the SHA-256 of an English cell's source
    (or of a whole page's bytes)."""
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:16]


def memory_path(notebook: Path) -> Path:
    return KO / "chapters" / f"{notebook.stem}.yml"


def load_memory(notebook: Path) -> dict[str, dict]:
    """The translation memory of ``notebook``, by cell id."""
    path = memory_path(notebook)
    if not path.exists():
        return {}
    entries = yaml.safe_load(path.read_text())["cells"]
    return {entry["id"]: entry for entry in entries}


def problems(notebook: Path) -> list[str]:
    """What must be (re)translated before the Korean notebook can be
    written: one line per cell, naming the chapter and the cell."""
    english = nbformat.read(notebook, as_version=4)
    memory = load_memory(notebook)
    notebook = notebook.resolve()
    name = notebook.relative_to(ROOT)
    if not memory:
        return [f"{name}: no translation memory at {memory_path(notebook)}"]
    found, lines = set(), []
    for index, cell in enumerate(english.cells):
        if cell.cell_type != "markdown":
            continue
        found.add(cell.id)
        entry = memory.get(cell.id)
        where = f"{name}, cell {index} (id {cell.id})"
        first = cell.source.strip().splitlines()[0][:60] if cell.source else ""
        if entry is None or not str(entry.get("ko", "")).strip():
            lines.append(f"{where}: no Korean text yet ({first!r})")
        elif entry["sha"] != source_hash(cell.source):
            lines.append(
                f"{where}: the English changed since it was translated; "
                f"redo its Korean text and set sha: "
                f"{source_hash(cell.source)} ({first!r})"
            )
    for cell_id in memory.keys() - found:
        lines.append(
            f"{name}: the memory has cell id {cell_id}, which the English "
            "notebook no longer has; delete that entry"
        )
    return lines


def translated(notebook: Path) -> nbformat.NotebookNode:
    """The Korean notebook: ``notebook`` with each markdown cell's source
    replaced by its Korean text; code cells, outputs and ids unchanged."""
    stale = problems(notebook)
    if stale:
        raise ValueError(
            "the Korean text is missing or stale:\n  " + "\n  ".join(stale)
        )
    korean = copy.deepcopy(nbformat.read(notebook, as_version=4))
    memory = load_memory(notebook)
    for cell in korean.cells:
        if cell.cell_type == "markdown":
            cell.source = memory[cell.id]["ko"].rstrip("\n")
    return korean


def write_all(notebooks: list[Path]) -> list[Path]:
    """Write ``ko/chapters/NN_slug.ipynb`` for every chapter that has a
    translation memory; raise, writing nothing, if any is missing or
    stale."""
    stale = [line for nb in notebooks for line in problems(nb)]
    if stale:
        raise SystemExit(
            "the Korean text is missing or stale:\n  " + "\n  ".join(stale)
        )
    written = []
    for notebook in notebooks:
        target = KO / "chapters" / notebook.name
        text = nbformat.writes(translated(notebook)) + "\n"
        if not target.exists() or target.read_text() != text:
            partial = target.with_suffix(".partial")
            partial.write_text(text)
            partial.replace(target)
            written.append(target)
    return written
