"""Security headers on every response (Flask-Talisman), and who may keep a copy.

* Content-Security-Policy: everything from this site only, no inline script or
  style (all of it lives in ``static/``), nothing may frame the site
  (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``); nosniff;
  ``Referrer-Policy: strict-origin-when-cross-origin``.
* A page whose address carries a token (any route with a ``<token>`` part: the
  cancellation link, the password reset, the household's feed) sends
  ``Referrer-Policy: no-referrer``, so the token never leaves in a Referer.
* Pages behind a login and token pages: ``Cache-Control: no-store`` (no shared
  or browser cache keeps a family's data). Feeds, the JSON API and static files
  keep the caching headers their views set (ETag, Last-Modified, max-age).
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user
from flask_talisman import Talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

#: Blueprints whose responses carry their own caching headers (conditional requests).
KEEP_CACHING = {"feeds", "api", None}  # None: the static files

talisman = Talisman()


def init_app(app: Flask) -> None:
    # Registered before Talisman, so it runs after it (Flask runs after_request
    # functions in reverse) and has the last word on the Referrer-Policy.
    app.after_request(_private_responses)
    talisman.init_app(
        app,
        force_https=False,  # the front proxy redirects; PUBLIC_BASE_URL says https
        strict_transport_security=True,  # sent on https requests only
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="strict-origin-when-cross-origin",
        x_content_type_options=True,
    )


def has_token_in_url() -> bool:
    rule = request.url_rule
    return rule is not None and "token" in rule.arguments


def _private_responses(response: Response) -> Response:
    token_page = has_token_in_url()
    if token_page:
        response.headers["Referrer-Policy"] = "no-referrer"
    if request.blueprint in KEEP_CACHING or request.endpoint == "static":
        return response
    if token_page or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response
