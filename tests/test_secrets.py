"""Credentials never leak: masked reprs, redacted text, scrubbed log records."""

from __future__ import annotations

import logging

import pytest

from arbkit import Secret, redact
from arbkit.secrets import RedactingFilter


def test_secret_is_masked_everywhere_but_reveal() -> None:
    secret = Secret("sk-live-123456789")
    assert "123456789" not in repr(secret)
    assert "123456789" not in str(secret)
    assert "123456789" not in f"{secret} {[secret]} { ({'k': secret}) }"
    assert secret.reveal() == "sk-live-123456789"
    assert not Secret("")


def test_redact_scrubs_known_values() -> None:
    Secret("passphrase-abcdef")
    assert redact("auth failed for passphrase-abcdef!") == "auth failed for ****!"
    assert redact("nothing secret here") == "nothing secret here"


def test_pem_lines_are_scrubbed_alone() -> None:
    line = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
    Secret(f"-----BEGIN PRIVATE KEY-----\n{line}\n-----END PRIVATE KEY-----")
    assert line not in redact(f"oops: {line}")


def test_redacting_filter_scrubs_a_logged_secret(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret("token-ZZZ-987654")
    logger = logging.getLogger("arbkit.test.secrets")
    handler = caplog.handler
    handler.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="arbkit.test.secrets"):
            logger.info("signing with %s and %s", secret.reveal(), "other")
    finally:
        handler.removeFilter(handler.filters[-1])
    assert caplog.messages == ["signing with **** and other"]
    assert "987654" not in caplog.text
