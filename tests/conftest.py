"""Shared fixtures: hypothesis profiles (a short one for CI, a long one for fuzzing), and a hang guard."""

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
