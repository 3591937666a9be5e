"""Rules the whole repository keeps: one style for every Python file and
notebook (ruff's lint rules and formatter, 79 columns, settings in
pyproject.toml), and the course's environment variables read in
utils/config.py only."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from utils import config

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "command",
    [["check", "--output-format", "concise"], ["format", "--check"]],
    ids=["lint", "format"],
)
def test_ruff_finds_nothing(command):
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        f"ruff {' '.join(command)} .:\n{result.stdout}{result.stderr}"
    )


# environ.get("NAME"), environ["NAME"] or getenv("NAME"), for each variable
COURSE_READS = re.compile(
    r"(environ\.get\(|environ\[|getenv\()\s*['\"]("
    + "|".join(config.VARIABLES)
    + r")['\"]"
)


def test_no_other_file_reads_a_course_variable():
    root = ROOT
    sources = {
        path: path.read_text()
        for folder in ("utils", "scripts", "bench", "_ext", "playground")
        for path in (root / folder).rglob("*.py")
    }
    sources[root / "course_models.py"] = (
        root / "course_models.py"
    ).read_text()
    for notebook in sorted((root / "chapters").glob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        sources[notebook] = "\n".join(
            "".join(cell["source"])
            for cell in cells
            if cell["cell_type"] == "code"
        )
    readers = sorted(
        str(path.relative_to(root))
        for path, text in sources.items()
        if COURSE_READS.search(text) and path.name != "config.py"
    )
    assert readers == [], f"read these through utils.config: {readers}"
