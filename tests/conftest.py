"""Shared fixtures: hypothesis profiles (a short one for CI, a long one for fuzzing), a hang guard, and the
gallery built once for the tests that only read it."""

import os
import signal

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HANG_GUARD = 120  # seconds after which a case fails instead of blocking the suite: a guard, not a measure of speed


@pytest.fixture
def hang_guard():
    """A case still running after HANG_GUARD seconds fails (SIGALRM) rather than hanging the suite."""
    def hung(signum, frame):
        raise AssertionError(f"still running after {HANG_GUARD} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_GUARD)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="session")
def gallery_files() -> dict:
    """Every gallery file, built once (about 8 s) for the tests that read it; a test that changes what is
    built calls ``build_gallery`` itself."""
    from symdl.gallery import build_gallery

    return build_gallery()
