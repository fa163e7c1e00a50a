#!/usr/bin/env python3
"""A webhook receiver that verifies every Hookwire delivery and prints what it got.

Signatures are checked with the `standardwebhooks` library from PyPI, not with Hookwire's
own code, so a passing check shows that any standard receiver accepts the deliveries.

    python3 examples/receiver.py --port 8081 --secret whsec_...

The secret can also come from the HOOKWIRE_SECRET environment variable. With --log FILE each
delivery is appended to FILE as one JSON line (used by the end-to-end test). With --status N
the receiver responds to every request with status N, which simulates a broken endpoint.
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="TCP port to listen on (default 8081)")
    parser.add_argument("--secret", default=os.environ.get("HOOKWIRE_SECRET"),
                        help="the webhook's whsec_ secret (default: $HOOKWIRE_SECRET)")
    parser.add_argument("--log", help="append each delivery to this file as a JSON line")
    parser.add_argument("--status", type=int, default=200, help="HTTP status of every response (default 200)")
    arguments = parser.parse_args()
    if not arguments.secret:
        parser.error("missing --secret (or HOOKWIRE_SECRET): the receiver verifies every delivery")
    return arguments


def make_handler(verifier, log_path, status):
    # Requests are handled on several threads; the lock keeps each line and log record whole.
    output_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                verifier.verify(body, headers)
                verified = True
                reason = ""
            except WebhookVerificationError as error:
                verified = False
                reason = str(error)

            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            record = {
                "verified": verified,
                "reason": reason,
                "webhookId": headers.get("webhook-id"),
                "retry": headers.get("x-hookwire-retry"),
                "test": headers.get("x-hook-test") == "true",
                "event": payload.get("Event") if isinstance(payload, dict) else None,
                "payload": payload,
                "headers": headers,
            }
            mark = "verified" if verified else f"REJECTED ({reason})"
            with output_lock:
                print(f"{record['event']} id={record['webhookId']} retry={record['retry']} {mark}", flush=True)
                if log_path:
                    with open(log_path, "a", encoding="utf-8") as log:
                        log.write(json.dumps(record) + "\n")

            answer = status if verified else 401
            self.send_response(answer)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok\n" if answer < 300 else b"rejected\n")

        def log_message(self, format, *args):
            pass  # The handler prints one line per delivery, so the default access log would repeat it.

    return Handler


class Server(ThreadingHTTPServer):
    # Hookwire opens up to 8 connections at once per hook (its default), more than the
    # listen backlog of 5 that socketserver uses.
    request_queue_size = 128


def main():
    arguments = parse_arguments()
    verifier = Webhook(arguments.secret)
    server = Server((arguments.host, arguments.port),
                    make_handler(verifier, arguments.log, arguments.status))
    print(f"receiver listening on http://{arguments.host}:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
