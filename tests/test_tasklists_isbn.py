"""ISBN-10/13 normalisation and check digits (pure functions)."""

from __future__ import annotations

import pytest

from readingroom.tasklists.isbn import InvalidIsbn, normalise_isbn


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0306406152", "0306406152"),
        ("0-306-40615-2", "0306406152"),
        ("978-0-306-40615-7", "9780306406157"),
        ("978 0 306 40615 7", "9780306406157"),
        ("ISBN 978-0-306-40615-7", "9780306406157"),
        ("ISBN：9780306406157", "9780306406157"),
        ("0-8044-2957-X", "080442957X"),
        ("080442957x", "080442957X"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_valid_isbns_are_normalised(typed, stored):
    assert normalise_isbn(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "9780306406158",  # wrong check digit (13)
        "0306406153",  # wrong check digit (10)
        "978030640615",  # 12 digits
        "97803064061570",  # 14 digits
        "X306406152",  # X only as the last character
        "9780306406X57",
        "9770306406158",  # correct mod-10 sum, but not a 978/979 book number
        "abcdefghij",
        "978-0-306-40615-7-1",  # separators are fine, an extra digit is not
        "030640615",
    ],
)
def test_invalid_isbns_are_refused(typed):
    with pytest.raises(InvalidIsbn):
        normalise_isbn(typed)
