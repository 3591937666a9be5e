"""scripts/compat.py: the pinned lists it installs from, and what a student
sees when a chapter fails on the older PyTorch (`make compat`)."""

import doctest
import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "compat.py"


def load_compat():
    spec = importlib.util.spec_from_file_location("compat", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compat = load_compat()


def test_doctests():
    assert doctest.testmod(compat).failed == 0


def test_the_older_pair_replaces_torch_and_every_other_pin_stays():
    requirements = (ROOT / "requirements.txt").read_text()
    constraints = (ROOT / "constraints.txt").read_text()
    older, kept = compat.pinned_files(requirements, constraints)
    older_lines = older.splitlines()
    assert "torch==2.11.0" in older_lines
    assert "torchvision==0.26.0" in older_lines
    assert "torch==2.14.1" not in older_lines
    names = {compat.package_name(line) for line in requirements.splitlines()}
    assert {compat.package_name(line) for line in older_lines} == names - {""}
    assert {"numpy==2.4.6", "torchinfo==1.8.0"} <= set(kept.splitlines())
    own = ("torch=", "torchvision=", "triton=", "nvidia-", "cuda-toolkit=")
    for line in kept.splitlines():  # torch 2.11 pins its own CUDA wheels
        assert not line.startswith(own), line


def write_notebook(folder: Path, cells: list) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "chapters" / "99_tiny.ipynb"
    path.parent.mkdir()
    nbformat.write(notebook, path)
    return path


def test_a_failing_assert_names_its_cell_and_nothing_is_written(
    tmp_path, capsys
):
    shown_error = nbformat.v4.new_code_cell("1 / 0")
    shown_error.metadata["tags"] = ["raises-exception"]
    path = write_notebook(
        tmp_path,
        [
            nbformat.v4.new_markdown_cell("# A tiny chapter"),
            nbformat.v4.new_code_cell("accuracy = 0.85"),
            shown_error,
            nbformat.v4.new_code_cell(
                'assert accuracy >= 0.88, f"accuracy {accuracy}"'
            ),
            nbformat.v4.new_code_cell("print('never reached')"),
        ],
    )
    before = path.read_bytes()
    assert compat.execute(path, check="") == 1
    report = capsys.readouterr().out
    assert "cell 4 of 5 (markdown cells counted; id " in report
    assert "raised AssertionError: accuracy 0.85" in report
    assert "assert accuracy >= 0.88" in report
    assert "\x1b[" not in report  # no terminal colour codes
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_a_chapter_that_runs_passes(tmp_path):
    path = write_notebook(
        tmp_path, [nbformat.v4.new_code_cell("assert 1 + 1 == 2")]
    )
    assert compat.execute(path, check="") == 0


def test_the_environment_check_fails_on_another_torch(tmp_path, capsys):
    # the environment the tests run in has the course's newer torch
    path = write_notebook(tmp_path, [nbformat.v4.new_code_cell("pass")])
    assert compat.execute(path) == 1
    assert "the environment check raised AssertionError" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize("name", ["chapters/no_such.ipynb", "README.md"])
def test_a_name_that_is_no_notebook_is_refused(name):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), name],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert "is not a notebook file" in result.stderr
    assert "chapters/NN_slug.ipynb" in result.stderr


def test_the_readme_names_both_tested_pairs():
    readme = " ".join((ROOT / "README.md").read_text().split())
    pinned = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.startswith(("torch==", "torchvision=="))
    )
    for pair in (pinned, compat.OLDER):
        named = (
            f"`torch {pair['torch']}` / `torchvision {pair['torchvision']}`"
        )
        assert named in readme, f"README.md does not name {named}"
