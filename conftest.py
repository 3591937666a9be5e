"""Every pytest run here (unit tests, strict nbval of the chapters, mutation
testing) computes what the stored outputs hold: on the CPU unless
``$CNN_COURSE_DEVICE`` names a device, without progress bars. The kernels
that nbval starts inherit this environment."""

import os

import pytest

from utils import config

os.environ.update(config.for_stored_outputs())


def course_environment() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in config.VARIABLES}


@pytest.fixture(autouse=True)
def environment_left_as_found():
    """No test or doctest changes the course's variables for the tests after
    it (``monkeypatch.setenv`` undoes itself; ``os.environ[...] =`` not)."""
    before = course_environment()
    yield
    after = course_environment()
    assert after == before, "os.environ changed: use monkeypatch.setenv"
