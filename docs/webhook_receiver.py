"""A webhook receiver that checks CCTV Out's signature before trusting a notice.

CCTV Out signs every webhook when the channel has a secret (contacts file `secret`, or
`--notifier-webhook-secret` for the `--notifier-webhook-*` shorthand):

    X-CCTVOut-Timestamp: <unix seconds>
    X-CCTVOut-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

Run:  WEBHOOK_SECRET=... python3 webhook_receiver.py 9000
Test: python3 webhook_receiver.py --check SECRET TIMESTAMP SIGNATURE < body   (exit 0 = valid)
"""
import hashlib
import hmac
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

MAX_AGE_SECONDS = 300  # older notices are refused: a captured request cannot be replayed later


def verify(secret: bytes, timestamp: str, body: bytes, signature: str, now=None) -> bool:
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    if age > MAX_AGE_SECONDS:
        return False
    expected = "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ok = verify(os.environ["WEBHOOK_SECRET"].encode(), self.headers.get("X-CCTVOut-Timestamp", ""), body,
                    self.headers.get("X-CCTVOut-Signature", ""))
        self.send_response(204 if ok else 401)
        self.end_headers()
        if ok:
            # Deliveries are at-least-once: drop a repeated X-CCTVOut-Delivery id.
            print("notice", self.headers.get("X-CCTVOut-Delivery"), body.decode("utf-8", "replace"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check"]:
        secret, timestamp, signature = sys.argv[2:5]
        sys.exit(0 if verify(secret.encode(), timestamp, sys.stdin.buffer.read(), signature) else 1)
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
