"""A local HTTP server that plays Alibaba Cloud's SMS endpoint (``SendSms``, 2017-05-25).

It checks each request as the provider would: the ACS3-HMAC-SHA256 signature
recomputed here from the received method, path, query, headers and body (not
with the SDK's code), the payload hash, the action and version. Each request is
recorded; the answer is the next one queued in ``answers`` (default: ``OK``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    access_key_id: str

    @property
    def params(self) -> dict[str, str]:
        return json.loads(self.query["TemplateParam"])


@dataclass
class FakeAliyun:
    secrets: dict[str, str]
    port: int = 0
    received: list[Received] = field(default_factory=list)
    #: (HTTP status, JSON body) answers, used one per request; then OK
    answers: list[tuple[int, dict]] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"


def _encode(value: str) -> str:
    return quote(value, safe="~")


def expected_signature(
    secret: str, method: str, path: str, query: str, headers: dict, signed: list[str], body: bytes
) -> str:
    """ACS3-HMAC-SHA256 as Alibaba Cloud documents it (V3 request signature)."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    canonical_query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs)
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical = "\n".join(
        [
            method,
            path or "/",
            canonical_query,
            canonical_headers,
            ";".join(signed),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def _handler(fake: FakeAliyun):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            url = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            auth = headers.get("authorization", "")
            ok, key_id = False, ""
            if auth.startswith("ACS3-HMAC-SHA256 "):
                parts = dict(p.split("=", 1) for p in auth.split(" ", 1)[1].split(","))
                key_id = parts.get("Credential", "")
                signed = parts.get("SignedHeaders", "").split(";")
                secret = fake.secrets.get(key_id)
                if secret is not None and all(name in headers for name in signed):
                    want = expected_signature(
                        secret, self.command, url.path, url.query, headers, signed, body
                    )
                    ok = hmac.compare_digest(want, parts.get("Signature", "")) and (
                        headers.get("x-acs-content-sha256") == hashlib.sha256(body).hexdigest()
                    )
            fake.received.append(
                Received(
                    self.command, url.path, dict(parse_qsl(url.query)), headers, body, ok, key_id
                )
            )
            if not ok:
                status, answer = (
                    400,
                    {
                        "Code": "SignatureDoesNotMatch",
                        "Message": "bad signature",
                        "RequestId": "R-SIG",
                    },
                )
            elif (
                headers.get("x-acs-action") != "SendSms"
                or headers.get("x-acs-version") != "2017-05-25"
            ):
                status, answer = 400, {"Code": "InvalidAction", "Message": "?", "RequestId": "R"}
            elif fake.answers:
                status, answer = fake.answers.pop(0)
            else:
                status, answer = (
                    200,
                    {
                        "Code": "OK",
                        "Message": "OK",
                        "BizId": "900619746",
                        "RequestId": f"R-{len(fake.received)}",
                    },
                )
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def fake_aliyun(secrets: dict[str, str]) -> Iterator[FakeAliyun]:
    fake = FakeAliyun(secrets=secrets)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
