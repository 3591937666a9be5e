"""Run every chapter on an older PyTorch, as a student's laptop would.

    python scripts/compat.py                  # set up .venv-compat, run all
    python scripts/compat.py --jobs 1 chapters/03_convolution.ipynb
    python scripts/compat.py --setup-only     # only the environment

Colab upgrades its PyTorch on its own schedule, and a student's laptop may
keep an old one for years. This script creates a second environment,
``.venv-compat``, with the pinned older pair ``OLDER`` (and every other
package of ``requirements.txt`` / ``constraints.txt`` at its pinned version),
then executes each chapter top to bottom in it with
``ATEN_CPU_CAPABILITY=avx2`` and one thread, so that other CPU kernels run
than those the stored pages came from. The notebook is run in memory, in a
temporary working folder: nothing is written into the repository. Outputs
are not compared digit for digit; every cell must run, and every ``assert``
in it must hold. A cell tagged ``raises-exception`` may raise.

Exit status 0 when every chapter ran, 1 when one failed (its cell, the error
and the last lines of its traceback are printed), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import venv
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-compat"
# The older pair every chapter must run on: the GPU machines' torch (and
# what Colab served before its last upgrade). README.md names it too.
OLDER = {"torch": "2.11.0", "torchvision": "0.26.0"}
# Pins of constraints.txt that belong to the newer torch: the CUDA wheels
# and triton, which each torch release pins exactly itself.
TORCH_OWN = {"torch", "torchvision", "triton", "cuda-toolkit"}


def torch_own(name: str) -> bool:
    """Whether the newer torch brought this package (then torch 2.11 pins
    its own version).

    >>> [torch_own(n) for n in ("triton", "nvidia-cublas", "torchinfo")]
    [True, True, False]
    """
    return name in TORCH_OWN or name.startswith("nvidia-")


# What a student's laptop gives the chapters: AVX2 kernels, one thread.
LAPTOP = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "CNN_COURSE_DEVICE": "cpu",
    "CNN_COURSE_PROGRESS": "0",
}
CELL_TIMEOUT = 900  # seconds per cell, as scripts/notebook_tools.py run
CHAPTER_TIMEOUT = 1800  # seconds per chapter, kernel start included


def package_name(line: str) -> str:
    """The normalized package name of a requirements line ("" for none).

    >>> package_name("Jinja2==3.1.6  # templates")
    'jinja2'
    >>> package_name("jupyter-book>=1.0.4,<2")
    'jupyter-book'
    >>> package_name("# a comment")
    ''
    """
    text = line.split("#", 1)[0].strip()
    for mark in "=<>!~[; ":
        text = text.split(mark, 1)[0]
    return text.strip().lower().replace("_", "-")


def pinned_files(requirements: str, constraints: str) -> tuple[str, str]:
    """requirements.txt with the older pair pinned, and constraints.txt
    without the pins that come with the newer torch.

    >>> req, con = pinned_files("torch==9\\nnumpy==2", "triton==3\\ntqdm==4")
    >>> req.splitlines()
    ['torch==2.11.0', 'torchvision==0.26.0', 'numpy==2']
    >>> con.splitlines()
    ['tqdm==4']
    """
    lines = [f"{name}=={version}" for name, version in OLDER.items()]
    for line in requirements.splitlines():
        name = package_name(line)
        if name and name not in OLDER:
            lines.append(line.split("#", 1)[0].strip())
    kept = [
        line.strip()
        for line in constraints.splitlines()
        if package_name(line) and not torch_own(package_name(line))
    ]
    return "\n".join(lines) + "\n", "\n".join(kept) + "\n"


def python_of_environment() -> Path:
    return VENV / "bin" / "python"


def ensure_environment() -> None:
    """Create .venv-compat with the older pair, or leave it if it is current.

    The stamp file holds the pinned lists it was installed from: a change in
    requirements.txt, constraints.txt or ``OLDER`` reinstalls. A failed
    install writes no stamp, so the next run installs again.
    """
    requirements, constraints = pinned_files(
        (ROOT / "requirements.txt").read_text(),
        (ROOT / "constraints.txt").read_text(),
    )
    stamp = VENV / ".installed"
    wanted = requirements + "--- constraints ---\n" + constraints
    python = python_of_environment()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        print(f"compat: {VENV.name} is up to date", flush=True)
        return
    if not python.exists():
        print(f"compat: creating {VENV.name} ({sys.version.split()[0]})")
        venv.EnvBuilder(with_pip=True, clear=True, symlinks=True).create(VENV)
    stamp.unlink(missing_ok=True)
    pair = " ".join(f"{n}=={v}" for n, v in OLDER.items())
    print(f"compat: installing {pair} and the pinned packages", flush=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    with tempfile.TemporaryDirectory() as folder:
        requirements_file = Path(folder) / "requirements-compat.txt"
        constraints_file = Path(folder) / "constraints-compat.txt"
        requirements_file.write_text(requirements)
        constraints_file.write_text(constraints)
        pinned = ["-r", requirements_file, "-c", constraints_file]
        steps = [
            [*pip, "--upgrade", "pip"],
            # setuptools and wheel as new as the older torch allows
            [*pip, "--upgrade", *pinned, "setuptools", "wheel"],
            [*pip, "--no-deps", "--no-build-isolation", "-e", ROOT],
            [python, "-m", "pip", "check"],
        ]
        for step in steps:
            command = [str(part) for part in step]
            result = subprocess.run(
                command, cwd=ROOT, capture_output=True, text=True
            )
            if result.returncode != 0:  # pip's output only when it failed
                print(result.stdout + result.stderr, file=sys.stderr)
                raise SystemExit(
                    f"compat: {' '.join(command[2:])} failed (above); "
                    f"{VENV.name} is not marked installed, so the next run "
                    "installs again"
                )
    stamp.write_text(wanted)
    size = subprocess.run(
        ["du", "-sh", str(VENV)], capture_output=True, text=True
    ).stdout.split()[0]
    print(f"compat: ready ({size} in {VENV.name})", flush=True)


# --- executing one chapter (runs inside .venv-compat) ----------------------

ENVIRONMENT_CHECK = f"""\
# compat.py: the kernel runs the older torch, AVX2 kernels, one thread
import sys

import torch
import torchvision

versions = tuple(
    module.__version__.split("+")[0] for module in (torch, torchvision)
)
assert versions == {tuple(OLDER.values())!r}, (
    f"{{sys.executable}} has torch/torchvision {{versions}}"
)
capability = torch.backends.cpu.get_cpu_capability()
assert capability == "AVX2", f"ATEN_CPU_CAPABILITY=avx2 gave {{capability}}"
assert torch.get_num_threads() == 1, f"{{torch.get_num_threads()}} threads"
del versions, capability  # the chapter starts from a clean namespace
"""


def plain(text: str) -> str:
    """Text without the terminal colour codes of IPython tracebacks.

    >>> plain("\\x1b[0;31mAssertionError\\x1b[0m")
    'AssertionError'
    """
    out, i = [], 0
    while i < len(text):
        if text[i] == "\x1b" and text[i + 1 : i + 2] == "[":
            end = i + 2
            while end < len(text) and not text[end].isalpha():
                end += 1
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def failure_report(notebook, offset: int) -> str:
    """Which cell failed, its first lines, and the error it raised."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        tags = cell.metadata.get("tags", [])
        if errors and "raises-exception" not in tags:
            error = errors[0]
            number = index + 1 - offset
            where = (
                "the environment check"
                if number < 1
                else f"cell {number} of {len(notebook.cells) - offset} "
                f"(markdown cells counted; id {cell.get('id', '?')})"
            )
            source = "\n".join(
                "    " + line for line in cell.source.splitlines()[:4]
            )
            trace = plain("\n".join(error.traceback)).strip().splitlines()
            last = "\n".join("    " + line for line in trace[-12:])
            return (
                f"{where} raised {error.ename}: {error.evalue}\n"
                f"  the cell begins:\n{source}\n"
                f"  the end of its traceback:\n{last}"
            )
    return "no cell output holds the error"


def execute(path: Path, check: str = ENVIRONMENT_CHECK) -> int:
    """Execute one chapter in a fresh kernel; print what failed.

    ``check`` runs first, in a cell of its own (the environment check).
    Returns 0 when every cell ran (cells tagged ``raises-exception`` may
    raise), 1 otherwise. The notebook is read into memory and never saved;
    its working folder is a temporary one, so a file it writes next to
    itself does not land in the repository.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(check))
    with tempfile.TemporaryDirectory(prefix="compat-") as folder:
        working_folder = Path(folder) / path.parent.name  # as chapters/
        working_folder.mkdir()
        client = NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            resources={"metadata": {"path": str(working_folder)}},
        )
        try:
            client.execute()
        except CellTimeoutError as error:
            print(f"a cell ran over {CELL_TIMEOUT} s: {error}")
            return 1
        except CellExecutionError:
            print(failure_report(notebook, offset=1))
            return 1
    return 0


# --- the driver --------------------------------------------------------------


def chapters_from(names: list[str]) -> list[Path]:
    """The chapter notebooks named (or all of them), checked to exist."""
    if not names:
        return sorted((ROOT / "chapters").glob("*.ipynb"))
    paths = [Path(name).resolve() for name in names]
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            print(
                f"compat: {path} is not a notebook file: name chapters as "
                "chapters/NN_slug.ipynb, or none for all of them",
                file=sys.stderr,
            )
            raise SystemExit(2)
    return paths


def run_one(path: Path) -> tuple[str, bool, float, str]:
    """Execute one chapter in .venv-compat; its name, success, seconds and
    what it printed."""
    environment = {**os.environ, **LAPTOP}
    environment.pop("PYTHONPATH", None)  # nothing of another environment
    start = time.perf_counter()
    try:
        result = subprocess.run(
            [str(python_of_environment()), __file__, "--execute", str(path)],
            env=environment,
            capture_output=True,
            text=True,
            timeout=CHAPTER_TIMEOUT,
            cwd=ROOT,
        )
        ok, output = result.returncode == 0, result.stdout + result.stderr
    except subprocess.TimeoutExpired:
        ok, output = False, f"ran over {CHAPTER_TIMEOUT} s and was stopped"
    return path.stem, ok, time.perf_counter() - start, output


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("chapters", nargs="*", help="default: every chapter")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.environ.get("COMPAT_JOBS", "2"),  # argparse checks it
        help="chapters run at once, one thread each (default 2)",
    )
    parser.add_argument("--setup-only", action="store_true")
    parser.add_argument(
        "--execute", metavar="NOTEBOOK", help=argparse.SUPPRESS
    )
    arguments = parser.parse_args(argv)
    if arguments.execute:
        return execute(Path(arguments.execute))
    if arguments.jobs < 1:
        parser.error(f"--jobs {arguments.jobs}: run at least one chapter")
    paths = chapters_from(arguments.chapters)
    ensure_environment()
    if arguments.setup_only:
        return 0
    pair = ", ".join(f"{n} {v}" for n, v in OLDER.items())
    laptop = " ".join(f"{k}={v}" for k, v in LAPTOP.items() if k[0] in "AO")
    print(
        f"compat: {len(paths)} chapter(s) on {pair}, {laptop}, "
        f"{arguments.jobs} at a time",
        flush=True,
    )
    start = time.perf_counter()
    results = []
    with ThreadPoolExecutor(arguments.jobs) as pool:
        running = [pool.submit(run_one, path) for path in paths]
        for finished in as_completed(running):  # as each chapter ends
            name, ok, seconds, output = finished.result()
            results.append((name, ok, seconds))
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {seconds:.0f} s")
            if not ok:
                print("  " + output.strip().replace("\n", "\n  "))
            sys.stdout.flush()
    failed = sorted(name for name, ok, _ in results if not ok)
    wall = time.perf_counter() - start
    print(
        f"compat: {len(results) - len(failed)} of {len(results)} chapter(s) "
        f"ran every cell on {pair} in {wall:.0f} s"
    )
    if failed:
        print(f"compat: FAILED on {pair}: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
