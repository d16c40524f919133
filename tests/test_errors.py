"""The error tree: every exported class is an ArbkitError and is drawn in the module docstring."""

from __future__ import annotations

import re

import pytest

import arbkit
from arbkit import errors

CLASSES = [getattr(errors, name) for name in errors.__all__]


def _tree() -> dict[str, int]:
    """Class name → indentation depth, read from the docstring drawing."""
    doc = errors.__doc__ or ""
    found = {}
    for line in doc.splitlines():
        match = re.match(r"^(\s*)(?:[│ ]*[├└]─ )?([A-Z]\w+)\b", line)
        if match and match.group(2) in errors.__all__:
            found[match.group(2)] = line.index(match.group(2))
    return found


def test_all_is_sorted() -> None:
    assert errors.__all__ == sorted(errors.__all__)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_subclasses_arbkit_error(cls: type[Exception]) -> None:
    assert issubclass(cls, errors.ArbkitError)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_drawn_in_docstring_tree(cls: type[Exception]) -> None:
    assert cls.__name__ in _tree()


@pytest.mark.parametrize("cls", CLASSES[1:], ids=lambda cls: cls.__name__)
def test_drawing_matches_inheritance(cls: type[Exception]) -> None:
    """A class drawn under another in the tree really inherits from it."""
    tree = _tree()
    names = list(tree)
    index = names.index(cls.__name__)
    parent = next(n for n in reversed(names[:index]) if tree[n] < tree[cls.__name__])
    assert issubclass(cls, getattr(errors, parent)), f"{cls.__name__} drawn under {parent}"


def test_every_error_is_public() -> None:
    assert set(errors.__all__) <= set(arbkit.__all__)


def test_retryable_and_refused_are_apart() -> None:
    assert issubclass(arbkit.RateLimited, arbkit.OperationFailed)
    assert issubclass(arbkit.VenueUnavailable, arbkit.OperationFailed)
    for refused in (arbkit.AuthenticationError, arbkit.OrderRejected, arbkit.NotFound):
        assert not issubclass(refused, arbkit.OperationFailed)


def test_outcome_unknown_is_its_own_branch_and_never_retryable() -> None:
    """A lost write answer must not be caught by any retry loop written for OperationFailed."""
    assert arbkit.OutcomeUnknown.__bases__ == (arbkit.VenueError,)
    assert not issubclass(arbkit.OutcomeUnknown, arbkit.OperationFailed)
    assert not issubclass(arbkit.OutcomeUnknown, arbkit.OrderRejected)
    assert not issubclass(arbkit.OperationFailed, arbkit.OutcomeUnknown)
    # The earlier name is the same class, so existing ``except OrderStateUnknown`` still works.
    assert arbkit.OrderStateUnknown is arbkit.OutcomeUnknown
    with pytest.raises(arbkit.OrderStateUnknown):
        raise arbkit.OutcomeUnknown("lost", venue="kalshi")


def test_outcome_unknown_drawn_beside_operation_failed() -> None:
    tree = _tree()
    assert tree["OutcomeUnknown"] == tree["OperationFailed"]
    names = list(tree)
    assert names.index("OutcomeUnknown") > names.index("BadResponse")


def test_venue_error_context_and_message() -> None:
    err = arbkit.RateLimited("slow down", venue="kalshi", status_code=429, retry_after=2.0)
    assert str(err) == "kalshi: slow down"
    assert (err.venue, err.status_code, err.retry_after) == ("kalshi", 429, 2.0)
    unknown = arbkit.OutcomeUnknown("lost", venue="polymarket", client_order_id="abc")
    assert (unknown.client_order_id, str(unknown)) == ("abc", "polymarket: lost")
    assert str(arbkit.BadRequest("no venue")) == "no venue"


def test_not_supported_is_also_not_implemented() -> None:
    assert issubclass(arbkit.NotSupported, NotImplementedError)
