"""Sphinx extension for the Korean book (ko/): put the repository root on
``sys.path``, so that autodoc finds ``utils`` for the API page as the
English book (built from the root) does."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)


def setup(app):
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
