"""Student copies of the chapters: the exercises' solutions taken out.

    python scripts/student.py           # every chapter, into the built site
    python scripts/student.py --out DIR chapters/05_pooling.ipynb

writes ``_build/html/student/NN_slug.ipynb`` for every chapter and
``_build/html/student/cnn-course-student.zip`` (the same notebooks and a short
README), so they are published with the site: run it after ``make site``
(``make student``; ``make site`` runs it too).

A student notebook is its chapter with

- every solution removed: a ``{solution}`` directive, and everything from a
  ``{solution-start}`` to its ``{solution-end}`` (prose and code cells);
- where the exercise had no cell of its own for the student to work in, a cell
  in place of the solution: a code cell that raises ``NotImplementedError``
  (tagged ``raises-exception``, so a run top to bottom goes on past it) when
  the solution was code, else a markdown cell for a written answer;
- the outputs of the exercises' own cells cleared (the ``check(...)`` cells
  stay, and print "not yet" until the student answers);
- everything else unchanged, the Colab setup cell included.

Writing is atomic: the notebooks and the zip are made in a temporary folder
that replaces the old one only when all of them are done.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
ZIP_NAME = "cnn-course-student.zip"
FOLDER_IN_ZIP = "cnn-course-student"
TODO_TAG = "raises-exception"  # nbval and nbclient run on past such a cell

FENCE = re.compile(
    r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$"
)
DIRECTIVE = re.compile(r"^\{(?P<name>[\w-]+)\}\s*(?P<argument>.*)$")
HEADING = re.compile(r"^#{1,2} ")

README = """\
# Student notebooks: {title}

One notebook per chapter, with the exercises' solutions taken out. Each
exercise keeps its text and its `check("...", answer)` cell, which prints
`correct` or a hint; where an exercise asks for code and had no cell of its
own, a cell raising `NotImplementedError` marks where your code goes.
The worked solutions are on the course website, under each exercise.

- Google Colab: File -> Upload notebook. The first cell fetches the
  course's small `utils` module (it keeps Colab's own PyTorch).
- Your machine: clone the course's repository,
  {url}
  run `make book` there (it creates `.venv` with the course's packages and
  `utils`), and open these notebooks with that environment's Jupyter.
"""


class SolutionError(ValueError):
    """A chapter's exercise markup that this script cannot read safely."""


@dataclass
class _Solution:
    """A solution being removed: where it started, and what it held."""

    label: str
    cell: int
    needs_cell: bool  # the exercise has no cell of its own for the student
    had_code: bool = False


def _placeholder(solution: _Solution) -> nbformat.NotebookNode:
    """The cell a student fills in, in place of a removed solution."""
    label = solution.label
    cell_id = "student-" + re.sub(r"[^A-Za-z0-9_-]", "-", label)[:50]
    if solution.had_code:
        cell = nbformat.v4.new_code_cell(
            f"# Exercise {label}: your code here\n"
            f'raise NotImplementedError("exercise {label}: '
            'replace this line with your code")'
        )
        cell.metadata["tags"] = [TODO_TAG]
    else:
        cell = nbformat.v4.new_markdown_cell(
            f"*Your answer to exercise {label}* (double-click to edit):"
        )
    cell["id"] = cell_id
    return cell


def _directive(info: str) -> tuple[str, str] | None:
    """``("solution-start", "ch05-ex1")`` for the fence info
    ``{solution-start} ch05-ex1``; None for a plain code block."""
    match = DIRECTIVE.match(info.strip())
    return (match["name"], match["argument"].strip()) if match else None


def student_notebook(
    notebook: nbformat.NotebookNode, name: str = "notebook"
) -> nbformat.NotebookNode:
    """The student copy of ``notebook`` (which is left as it is).

    ``name`` appears in the error messages. Raises ``SolutionError`` for a
    solution that is never closed, a ``{solution-end}`` without a start, or
    an unclosed fence, naming the cell.
    """
    student = copy.deepcopy(notebook)
    cells: list = []
    solution: _Solution | None = None  # a gated solution being removed
    exercise: str | None = None  # the label of the latest exercise
    student_cell = False  # a kept code cell since that exercise began
    in_exercises = False  # code cells here get their outputs cleared

    def where(index: int) -> str:
        return f"{name}, cell {index}"

    for index, cell in enumerate(student.cells):
        if cell.cell_type != "markdown":
            if solution is not None:
                solution.had_code |= cell.cell_type == "code"
                continue
            if cell.cell_type == "code":
                student_cell = exercise is not None
                if in_exercises:
                    cell.outputs = []
                    cell.execution_count = None
            cells.append(cell)
            continue
        kept: list[str] = []  # lines of the current markdown piece
        pieces: list[str | _Solution] = []
        lines = cell.source.split("\n")
        line_no = 0
        while line_no < len(lines):
            line = lines[line_no]
            fence = FENCE.match(line)
            if fence is None:
                if solution is None:
                    kept.append(line)
                    if in_exercises and exercise and HEADING.match(line):
                        if not line.lstrip("#").strip().startswith("Exerc"):
                            in_exercises = False
                line_no += 1
                continue
            # a fenced block: find its end within this cell
            mark, info = fence["fence"], fence["info"]
            end = line_no + 1
            while end < len(lines):
                closing = lines[end].strip()
                if (
                    closing
                    and set(closing) == {mark[0]}
                    and len(closing) >= len(mark)
                ):
                    break
                end += 1
            directive = _directive(info)
            kind, argument = directive or ("", "")
            if end == len(lines) and kind.startswith("solution"):
                # Markdown would end it with the cell; here the solution's
                # extent would be a guess
                raise SolutionError(
                    f"{where(index)}: the block opened by {line.strip()!r} "
                    f"is never closed (a line of {mark} is missing)"
                )
            block = lines[line_no : end + 1]
            if kind in {"exercise", "exercise-start"}:
                labels = [
                    option.split(":label:", 1)[1].strip()
                    for option in block
                    if option.strip().startswith(":label:")
                ]
                exercise = labels[0] if labels else argument
                student_cell = False
                in_exercises = True
            if solution is not None:
                if kind == "solution-end":
                    solution = None
                elif kind in {"solution", "solution-start"}:
                    raise SolutionError(
                        f"{where(index)}: a new solution starts before the "
                        f"solution {solution.label!r} of cell "
                        f"{solution.cell} is closed: add a "
                        "```{solution-end}``` after it"
                    )
            elif kind in {"solution", "solution-start"}:
                found = _Solution(
                    label=argument or "(no label)",
                    cell=index,
                    needs_cell=not (argument == exercise and student_cell),
                )
                if kind == "solution-start":
                    solution = found
                if found.needs_cell:
                    pieces += ["\n".join(kept), found]
                    kept = []
            elif kind == "solution-end":
                raise SolutionError(
                    f"{where(index)}: a {{solution-end}} without a "
                    "{solution-start} before it: remove it, or open the "
                    "solution with ```{solution-start} <exercise label>```"
                )
            else:
                kept += block
            line_no = end + 1
        pieces.append("\n".join(kept))
        part = 0
        for piece in pieces:
            if isinstance(piece, _Solution):
                cells.append(piece)  # made into a cell once it has ended
                continue
            text = piece.strip("\n")
            if not text.strip():
                continue
            new = copy.deepcopy(cell)
            new.source = text
            if part:  # a cell split around a solution: ids stay unique
                new["id"] = f"{cell['id']}-{part}"[:64]
            part += 1
            cells.append(new)
    if solution is not None:
        raise SolutionError(
            f"{where(solution.cell)}: the solution {solution.label!r} is "
            "never closed: add a ```{solution-end}``` after it"
        )
    student.cells = [
        _placeholder(c) if isinstance(c, _Solution) else c for c in cells
    ]
    left = [
        i
        for i, c in enumerate(student.cells)
        if c.cell_type == "markdown" and re.search(r"\{solution", c.source)
    ]
    if left:
        raise SolutionError(
            f"{name}: solution markup left in student cells {left}: a form "
            "this script does not know (use ```{solution} or "
            "```{solution-start} ... ```{solution-end})"
        )
    nbformat.validate(student)
    return student


def write_student_copies(
    chapters: list[Path], out: Path, title: str = "", url: str = ""
) -> list[Path]:
    """Write the student copy of every chapter and the zip into ``out``,
    replacing what was there only once all of them are written."""
    if not chapters:
        raise ValueError("no chapters given: expected chapters/NN_slug.ipynb")
    missing = [str(p) for p in chapters if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"no such notebook: {', '.join(missing)} (give paths such as "
            "chapters/05_pooling.ipynb)"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    staging.chmod(0o755)  # a folder of the published site, readable by all
    try:
        written = []
        for path in sorted(chapters):
            try:
                notebook = nbformat.read(path, as_version=4)
            except Exception as error:
                raise ValueError(
                    f"{path}: not a readable notebook ({error})"
                ) from error
            target = staging / path.name
            nbformat.write(student_notebook(notebook, str(path)), target)
            written.append(target)
        readme = README.format(title=title or "the course", url=url)
        with zipfile.ZipFile(
            staging / ZIP_NAME, "w", zipfile.ZIP_DEFLATED
        ) as archive:
            # fixed dates and order: the same chapters give the same zip
            for arcname, data in [
                ("README.md", readme.encode()),
                *[(p.name, p.read_bytes()) for p in written],
            ]:
                info = zipfile.ZipInfo(f"{FOLDER_IN_ZIP}/{arcname}")
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        old = None
        if out.exists():
            old = Path(
                tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent)
            )
            out.rename(old / out.name)
        staging.rename(out)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return [out / p.name for p in written] + [out / ZIP_NAME]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="Without --out the copies go into the built site "
        f"({SITE.relative_to(ROOT)}/student): build it first.",
    )
    parser.add_argument(
        "chapters",
        nargs="*",
        type=Path,
        help="notebooks to copy (default: every chapters/*.ipynb)",
    )
    parser.add_argument("--out", type=Path, help="folder to write into")
    args = parser.parse_args(argv)
    out = args.out
    if out is None:
        if not (SITE / "index.html").is_file():
            print(
                f"error: {SITE.relative_to(ROOT)}/index.html not found: "
                "build the site first (make site), then run make student; "
                "the student notebooks are published inside the site",
                file=sys.stderr,
            )
            return 1
        out = SITE / "student"
    chapters = args.chapters or sorted((ROOT / "chapters").glob("*.ipynb"))
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    try:
        written = write_student_copies(
            chapters,
            out,
            title=config.get("title", ""),
            url=config.get("repository", {}).get("url", ""),
        )
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    archive = written[-1]
    print(
        f"{len(written) - 1} student notebooks and {archive.name} "
        f"({archive.stat().st_size / 1e6:.1f} MB) written to {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
