"""Security built in: CSRF on every state-changing route, tokens, safe redirects."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from readingroom.security import new_token, safe_next_url, token_digest, token_matches


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _sample_url(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if isinstance(converter, IntegerConverter) else "sample"
    return rule.build(values, append_unknown=False)[1]


def test_every_post_route_requires_a_csrf_token(app, client):
    checked = []
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"GET", "HEAD", "OPTIONS"}
        if not methods:
            continue
        url = _sample_url(rule)
        for method in methods:
            response = client.open(url, method=method, data={"x": "1"})
            assert response.status_code == 400, f"{method} {url} accepted without CSRF token"
            checked.append(url)
    assert len(checked) >= 8  # the staff forms at least


def test_tokens_are_long_random_and_stored_hashed():
    a, b = new_token(), new_token()
    assert a != b
    assert len(a) >= 22  # >= 128 bits in URL-safe base64
    digest = token_digest(a)
    assert a not in digest and len(digest) == 64
    assert token_matches(a, digest)
    assert not token_matches(b, digest)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/staff/", "/staff/"),
        ("/a?b=c", "/a?b=c"),
        (None, None),
        ("", None),
        ("http://evil.example/", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("staff", None),
    ],
)
def test_safe_next_url(target, expected):
    assert safe_next_url(target) == expected
