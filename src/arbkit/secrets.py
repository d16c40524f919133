"""Credentials that never leak: a wrapper whose repr is masked, and a log filter that redacts.

Every credential arbkit reads (API keys, passphrases, private keys) is wrapped in :class:`Secret`
as soon as it is read. Its value is registered so that :func:`redact` and :class:`RedactingFilter`
can scrub it from any text that might reach a log, an error message, the database or ``--json``.
"""

from __future__ import annotations

import logging
import threading

from attrs import field, frozen

_known: set[str] = set()
_lock = threading.Lock()
MASK = "****"


def register_secret(value: str) -> None:
    """Remember ``value`` so :func:`redact` scrubs it. Short values are ignored (too common)."""
    if len(value) >= 6:
        with _lock:
            _known.add(value)
            # A PEM key is also scrubbed line by line, in case a line is logged alone.
            for line in value.splitlines():
                if len(line) >= 16:
                    _known.add(line.strip())


def redact(text: str) -> str:
    """Replace every known secret in ``text`` with ``****``."""
    if not _known:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text


@frozen(repr=False)
class Secret:
    """A credential. ``str()``/``repr()`` show ``****``; only :meth:`reveal` gives the value."""

    _value: str = field(alias="value")

    def __attrs_post_init__(self) -> None:
        register_secret(self._value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs known secrets from every record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
