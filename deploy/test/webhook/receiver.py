"""Webhook receiver for the deployment test: answers 204 and prints each POST as one JSON line
({"path", "delivery", "event", "camera", "kind"}), which the test reads from the container log."""
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
        body = self.rfile.read(length)
        try:
            data = json.loads(body)
            issue = data.get("issue") or {}
            line = {"path": self.path, "delivery": self.headers.get("X-CCTVOut-Delivery"), "event": data.get("event"),
                    "camera": issue.get("cameraID"), "kind": issue.get("kind")}
        except ValueError:
            line = {"path": self.path, "error": "not JSON", "bytes": len(body)}
        print("WEBHOOK " + json.dumps(line, ensure_ascii=False), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("0.0.0.0", 8000), Receiver)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
server.serve_forever()
