#!/usr/bin/env python3
"""A webhook receiver for the delivery tests: records every request and answers as its URL asks.

    python3 receiver.py --log FILE [--secret whsec_...]...

It listens on 127.0.0.1 on a free port and prints `listening PORT` as its first line. Each
request is appended to FILE as one JSON line with its path, headers, body (base64) and whether
its signatures verify: `standard` lists, per --secret, whether the Standard Webhooks
`webhook-signature` verifies with the `standardwebhooks` library, and `body_only` whether
`X-Hookwire-Signature` contains the base64 HMAC-SHA256 of the body under that secret.

The query string sets the response, so each hook's URL says how it behaves:
    status=503          the status of every response (default 200)
    statuses=500,500,200  statuses of the 1st, 2nd, ... request to this path; the last repeats
    delay=2.5           seconds to wait before responding
    header=Name:value   a response header (may repeat)
    body=text           the response body (default "ok")
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def key_bytes(secret):
    """The HMAC key of a secret: base64-decoded after whsec_, otherwise its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode("utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True, help="file that receives one JSON line per request")
    parser.add_argument("--secret", action="append", default=[], help="a whsec_ secret to verify with")
    arguments = parser.parse_args()
    verifiers = [Webhook(secret) for secret in arguments.secret]
    keys = [key_bytes(secret) for secret in arguments.secret]
    counters = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            received = time.time()
            headers = {name.lower(): value for name, value in self.headers.items()}
            standard = []
            for verifier in verifiers:
                try:
                    verifier.verify(body, headers)
                    standard.append(True)
                except WebhookVerificationError:
                    standard.append(False)
            offered = headers.get("x-hookwire-signature", "").split(" ")
            body_only = [
                any(hmac.compare_digest(base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode(), sig)
                    for sig in offered)
                for key in keys
            ]
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            with lock:
                index = counters.get(url.path, 0)
                counters[url.path] = index + 1
                with open(arguments.log, "a", encoding="utf-8") as log:
                    log.write(json.dumps({
                        "path": url.path, "query": url.query, "method": self.command, "headers": headers,
                        "body": base64.b64encode(body).decode(), "standard": standard, "body_only": body_only,
                        "received": received, "index": index,
                    }) + "\n")

            status = int(query.get("status", ["200"])[0])
            if "statuses" in query:
                sequence = [int(value) for value in query["statuses"][0].split(",")]
                status = sequence[min(index, len(sequence) - 1)]
            delay = float(query.get("delay", ["0"])[0])
            if delay > 0:
                time.sleep(delay)
            answer = query.get("body", ["ok"])[0].encode()
            try:
                self.send_response(status)
                for header in query.get("header", []):
                    name, _, value = header.partition(":")
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # The client gave up (a timeout test); nothing to answer.

        def log_message(self, format, *args):
            pass  # Requests go to the log file; stderr stays quiet.

    # The default listen backlog of 5 drops connections when tests open many at once, and
    # the dropped client only retries a second later.
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"listening {server.server_port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
