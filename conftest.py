"""Settings for the whole suite (tests/, venues/*/tests, plugins/*/tests): hypothesis profiles.

The fuzz tests run in CI on a fixed, derandomized example budget, so a run is short and two runs
of the same commit try the same inputs. ``HYPOTHESIS_PROFILE=long`` runs them much longer, with
fresh random inputs each time (docs/errors.md, "Fuzz tests").
"""

from __future__ import annotations

import os

import pytest

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is a test extra; a suite without it still collects
    settings = None  # type: ignore[assignment]

PROFILES = ("ci", "long")

if settings is not None:
    # Fixed and derandomized: the same examples on every run, no example database written.
    settings.register_profile(
        "ci",
        max_examples=60,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    # Fresh random examples; a failure prints the blob that reproduces it (@reproduce_failure).
    settings.register_profile(
        "long",
        max_examples=20_000,
        derandomize=False,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    if profile not in PROFILES:
        raise pytest.UsageError(
            f"HYPOTHESIS_PROFILE={profile!r} is not a profile (known: {', '.join(PROFILES)})"
        )
    settings.load_profile(profile)
