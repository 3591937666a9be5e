"""Wall time of every chapter notebook, executed headless top to bottom
(nbclient).

    python bench/course_time.py [--in-place] [chapters/0*.ipynb ...]
    python bench/course_time.py --from-junit _build/nbval-junit.xml   # times
    of `make nbval`

Runs each notebook on a temporary copy (the committed outputs are left alone;
with ``--in-place`` the fresh outputs are saved, as ``scripts/notebook_tools.py
run`` does) and prints one table plus the total. Targets: every chapter <= 3
minutes, the whole course <= 15 minutes on a 2-core CPU.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from common import machine, table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from notebook_tools import run  # noqa: E402


def from_junit(path: Path) -> list[tuple[str, float]]:
    """Per-notebook seconds from the JUnit XML that `make nbval` writes (one
    test per cell)."""
    import xml.etree.ElementTree as ElementTree

    seconds: dict[str, float] = {}
    for case in ElementTree.parse(path).iter("testcase"):
        name = (
            case.get("classname", "").removesuffix(".ipynb").rsplit(".", 1)[-1]
        )
        seconds[name] = seconds.get(name, 0.0) + float(case.get("time", 0))
    return sorted(seconds.items())


def main() -> None:
    if sys.argv[1:2] == ["--from-junit"]:
        rows = [
            [name, t, "yes" if t <= 180 else "NO"]
            for name, t in from_junit(Path(sys.argv[2]))
        ]
        total = sum(row[1] for row in rows)
        rows.append(["**total**", total, "yes" if total <= 900 else "NO"])
        print(f"machine: {machine()} (nbval run)\n")
        print(table(["chapter", "seconds", "within target"], rows))
        return
    in_place = "--in-place" in sys.argv
    names = [a for a in sys.argv[1:] if a != "--in-place"]
    paths = [Path(p) for p in names] or sorted(
        (ROOT / "chapters").glob("*.ipynb")
    )
    print(f"machine: {machine()}\n")
    rows, total = [], 0.0
    for path in paths:
        if in_place:
            seconds = run(path)
        else:
            with tempfile.TemporaryDirectory() as folder:
                copy = Path(folder) / "chapters" / path.name
                copy.parent.mkdir()
                shutil.copy(path, copy)
                seconds = run(copy)
        total += seconds
        rows.append([path.stem, seconds, "yes" if seconds <= 180 else "NO"])
        print(f"{path.stem}: {seconds:.1f} s", flush=True)
    rows.append(["**total**", total, "yes" if total <= 900 else "NO"])
    print()
    print(table(["chapter", "seconds", "within target"], rows))


if __name__ == "__main__":
    main()
