"""Hypothesis strategies the fuzz tests share: junk JSON, and real payloads with junk inside.

Needs ``hypothesis`` (the ``test`` extra). A venue plugin's tests use these to mutate its own
recorded payloads; see ``venues/*/tests/test_fuzz.py`` and docs/errors.md ("Fuzz tests").
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from arbkit.models import OrderBook

#: Strings a broken venue or recorder puts where a price, size or count belongs.
NASTY_FIGURES = (
    "0", "1", "1.5", "1.7", "-0.5", "-1", "0.0", "0.0000", "100", "150", "12", "1e400",
    "1e999999", "-1e-999999", "1e-30", "1e-40", "NaN", "Infinity", "-Infinity", "sNaN", "",
    "  ", "x", "abc", "0.40", "0.5", "0.999", "0.9999", "-54.00", "0b1", "0x10", "½", "٣",
)  # fmt: skip

#: One of the nasty figures.
FIGURES = st.sampled_from(NASTY_FIGURES)

#: Any JSON scalar, nasty figures included.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | FIGURES
)

#: Any small JSON value, nasty figures included.
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place inside a JSON value that a mutation can hit (the value itself included)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn, original: Any, max_changes: int = 3) -> Any:
    """A deep copy of ``original`` with one to ``max_changes`` values replaced by junk or, in
    objects, removed."""
    value = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, max_changes))):
        where = draw(st.sampled_from(list(paths(value))))
        replacement = draw(JSON)
        if not where:
            value = replacement
            continue
        parent = value
        for step in where[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[where[-1]]
        else:
            parent[where[-1]] = replacement
    return value


def assert_sane_book(book: OrderBook) -> None:
    """Every level of ``book`` is a possible one: exact, priced inside (0, 1), size above 0."""
    for price, size in (*book.bids, *book.asks):
        assert isinstance(price, Decimal) and isinstance(size, Decimal)
        assert Decimal(0) < price < Decimal(1), (book.contract_id, price)
        assert size > 0, (book.contract_id, size)
