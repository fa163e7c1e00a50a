#!/usr/bin/env python3
"""Sign and verify Standard Webhooks messages with the standardwebhooks and svix libraries.

The Swift interop tests run this script to check Hookwire against independent implementations.
The secret comes from the HOOKWIRE_SECRET environment variable and the body from standard input,
read as raw bytes.

    verify ID TIMESTAMP SIGNATURE
        Verify with both libraries and print one "<library>: valid" or "<library>: invalid: <reason>"
        line each. Exit 0 only when both accept.
    sign ID TIMESTAMP
        Print the webhook-signature value that standardwebhooks computes.
"""
import os
import sys
from datetime import datetime, timezone

import standardwebhooks
import svix.webhooks


def verify(msg_id: str, timestamp: str, signature: str, body: bytes, secret: str) -> int:
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }
    failures = 0
    verifiers = [
        ("standardwebhooks", lambda: standardwebhooks.Webhook(secret).verify(body, headers, json_parse=False)),
        ("svix", lambda: svix.webhooks.Webhook(secret).verify(body, headers)),
    ]
    for name, check in verifiers:
        try:
            check()
            print(f"{name}: valid")
        except Exception as error:  # Both libraries raise their own exception types.
            print(f"{name}: invalid: {type(error).__name__}: {error}")
            failures += 1
    return 0 if failures == 0 else 1


def sign(msg_id: str, timestamp: str, body: bytes, secret: str) -> int:
    moment = datetime.fromtimestamp(int(timestamp), tz=timezone.utc)
    print(standardwebhooks.Webhook(secret).sign(msg_id, moment, body))
    return 0


def main() -> int:
    secret = os.environ.get("HOOKWIRE_SECRET")
    if not secret:
        print("HOOKWIRE_SECRET is not set", file=sys.stderr)
        return 2
    body = sys.stdin.buffer.read()
    match sys.argv[1:]:
        case ["verify", msg_id, timestamp, signature]:
            return verify(msg_id, timestamp, signature, body, secret)
        case ["sign", msg_id, timestamp]:
            return sign(msg_id, timestamp, body, secret)
        case _:
            print(__doc__, file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
