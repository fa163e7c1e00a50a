#!/usr/bin/env python3
"""Talk to a running hookwired with Python classes generated from proto/hookwire.proto.

The classes come from `python3 -m grpc_tools.protoc` at test time, so a field that the Swift
codec and the schema disagree on fails here. The script starts hookwired on a free loopback
port with a fresh database and does the handshake with calls pipelined behind it. It saves,
gets, lists, publishes and deletes a webhook, and checks ERROR frames, PING and a wrong token.
Then it stops the server with SIGTERM, which must send GOAWAY. Every step has a timeout.

    protocol_interop.py HOOKWIRED_BINARY

Exit status 0 when every check passed; otherwise the first failed check is printed.
"""
import importlib
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

MAGIC_VERSION = 0xB1
HELLO, WELCOME, REQUEST, RESPONSE, STREAM_ITEM, ERROR, CANCEL, PING, PONG, GOAWAY = range(1, 11)
SAVE_WEBHOOK, GET_WEBHOOK, LIST_WEBHOOKS, DELETE_WEBHOOK = 1, 2, 3, 4
PUBLISH, PUBLISH_BATCH, STATS = 16, 17, 64
STATUS_OK, STATUS_NOT_FOUND, STATUS_UNIMPLEMENTED, STATUS_UNAUTHENTICATED = 0, 5, 12, 16
TIMEOUT_SECONDS = 10
# The generated Status class, set once the classes exist, for describing ERROR frames.
STATUS = None


def generate_classes(proto_dir: str, out_dir: str):
    """Runs protoc from grpcio-tools on the schema and imports the generated module."""
    from grpc_tools import protoc

    result = protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out_dir}", os.path.join(proto_dir, "hookwire.proto")])
    if result != 0:
        raise SystemExit(f"protoc failed with status {result} on {proto_dir}/hookwire.proto")
    sys.path.insert(0, out_dir)
    module = importlib.import_module("hookwire_pb2")
    global STATUS
    STATUS = module.Status
    return module


def encode_frame(frame_type: int, stream_id: int, code: int, payload: bytes, metadata: bytes = b"", flags: int = 0) -> bytes:
    length = 12 + len(metadata) + len(payload)
    header = struct.pack(">IBBBBIHH", length, MAGIC_VERSION, frame_type, flags, 0, stream_id, code, len(metadata))
    return header + metadata + payload


class Connection:
    """A blocking protocol connection that reads whole frames."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_SECONDS)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def read_exactly(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed with {len(self.buffer)} of {count} bytes read")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_frame(self):
        (length,) = struct.unpack(">I", self.read_exactly(4))
        body = self.read_exactly(length)
        magic, frame_type, flags, reserved, stream_id, code, metadata_length = struct.unpack(">BBBBIHH", body[:12])
        check(magic == MAGIC_VERSION, f"magic byte 0x{magic:02x}, expected 0xb1")
        check(reserved == 0, f"reserved byte {reserved}, expected 0")
        return frame_type, flags, stream_id, code, body[12 + metadata_length:]

    def is_closed_by_peer(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return True

    def close(self):
        self.sock.close()


def check(condition: bool, message: str):
    if not condition:
        raise AssertionError(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(binary: str, workdir: str, extra: list[str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(os.path.join(workdir, f"hookwired-{port}.log"), "w")
    process = subprocess.Popen(
        [binary, "--db", os.path.join(workdir, f"hookwire-{port}.db"), "--listen", f"127.0.0.1:{port}",
         "--allow-private-targets", *extra],
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"hookwired exited with status {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"hookwired did not listen on 127.0.0.1:{port} within {TIMEOUT_SECONDS} s")


def stop_server(process: subprocess.Popen):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def describe(reply: tuple) -> str:
    """Names a final frame for a failure message, with the status text of an ERROR."""
    frame_type, code, payload = reply
    if frame_type == ERROR:
        return f"ERROR status {code}: {STATUS.FromString(payload).message}"
    return f"frame type {frame_type}, code {code}, {len(payload)} payload bytes"


def read_responses(connection: Connection, count: int) -> dict:
    """Reads final frames until `count` streams have ended; returns them by stream id."""
    frames = {}
    while len(frames) < count:
        frame_type, flags, stream_id, code, payload = connection.read_frame()
        check(frame_type in (RESPONSE, ERROR), f"frame type {frame_type} on stream {stream_id}, expected RESPONSE or ERROR")
        check(stream_id not in frames, f"second final frame on stream {stream_id}")
        frames[stream_id] = (frame_type, code, payload)
    return frames


def run_calls(pb, connection: Connection):
    target = "http://127.0.0.1:9/hook"
    hook = pb.Webhook(name="interop", events=["contact.created"], target_url=target,
                      headers={"X-Tenant": "Cust1234"}, properties_json='{"region":"eu"}',
                      description="saved from Python")
    hello = pb.Hello(versions=[1], token="", client_name="protocol_interop.py")
    metadata = pb.CallMetadata(timeout_ms=5000, associate_id=7).SerializeToString()
    # HELLO and the first call in one write: the server must accept calls pipelined behind HELLO.
    connection.send(
        encode_frame(HELLO, 0, 0, hello.SerializeToString())
        + encode_frame(REQUEST, 1, SAVE_WEBHOOK, pb.SaveWebhookRequest(webhook=hook).SerializeToString(), metadata))

    frame_type, _, stream_id, code, payload = connection.read_frame()
    check(frame_type == WELCOME, f"first frame type {frame_type}, expected WELCOME")
    check(code == STATUS_OK, f"WELCOME status {code}, expected OK")
    welcome = pb.Welcome.FromString(payload)
    check(welcome.version == 1, f"chosen version {welcome.version}, expected 1")
    check(welcome.max_frame_size >= 1024, f"max_frame_size {welcome.max_frame_size}")
    check(welcome.max_concurrent_streams >= 1, f"max_concurrent_streams {welcome.max_concurrent_streams}")

    reply = read_responses(connection, 1)[1]
    frame_type, code, payload = reply
    check(frame_type == RESPONSE, f"SaveWebhook ended with {describe(reply)}")
    saved = pb.Webhook.FromString(payload)
    check(saved.id > 0, f"saved webhook id {saved.id}, expected a new id")
    check(saved.HasField("secret") and saved.secret.startswith("whsec_"), "a new hook's reply must carry its whsec_ secret")
    check(saved.state == pb.WEBHOOK_STATE_ACTIVE, f"saved state {saved.state}, expected ACTIVE")
    check(saved.registered_associate_id == 7, f"registered_associate_id {saved.registered_associate_id}, expected 7")

    # Several calls at once on distinct streams; replies may come in any order.
    event = pb.Event(event="contact.created", primary_key=123, changes=["name"], field_values_json='{"name":"Ada"}')
    batch = pb.PublishBatchRequest(events=[pb.Event(event="contact.created", primary_key=1),
                                           pb.Event(event="sale.won", primary_key=2)])
    connection.send(
        encode_frame(REQUEST, 3, GET_WEBHOOK, pb.GetWebhookRequest(id=saved.id).SerializeToString())
        + encode_frame(REQUEST, 5, LIST_WEBHOOKS, pb.ListWebhooksRequest(name="interop").SerializeToString())
        + encode_frame(REQUEST, 7, PUBLISH, pb.PublishRequest(event=event).SerializeToString())
        + encode_frame(REQUEST, 9, PUBLISH_BATCH, batch.SerializeToString())
        + encode_frame(REQUEST, 11, GET_WEBHOOK, pb.GetWebhookRequest(id=saved.id + 1000).SerializeToString())
        + encode_frame(REQUEST, 13, 999, b"")
        + encode_frame(PING, 0, 0, b"\x01\x02\x03\x04\x05\x06\x07\x08"))
    replies = {}
    pong = None
    while len(replies) < 6:
        frame_type, _, stream_id, code, payload = connection.read_frame()
        if frame_type == PONG:
            pong = payload
            continue
        check(frame_type in (RESPONSE, ERROR), f"frame type {frame_type} on stream {stream_id}")
        replies[stream_id] = (frame_type, code, payload)
    if pong is None:
        frame_type, _, _, _, pong = connection.read_frame()
        check(frame_type == PONG, f"frame type {frame_type}, expected PONG")
    check(pong == b"\x01\x02\x03\x04\x05\x06\x07\x08", f"PONG carried {pong!r}, expected the PING's bytes")

    frame_type, code, payload = replies[3]
    check(frame_type == RESPONSE, f"GetWebhook ended with {describe(replies[3])}")
    fetched = pb.Webhook.FromString(payload)
    check(fetched.id == saved.id and fetched.name == "interop", f"GetWebhook returned {fetched}")
    check(fetched.target_url == target, f"target_url {fetched.target_url!r}")
    check(list(fetched.events) == ["contact.created"], f"events {list(fetched.events)}")
    check(dict(fetched.headers) == {"X-Tenant": "Cust1234"}, f"headers {dict(fetched.headers)}")
    check(fetched.properties_json == '{"region":"eu"}', f"properties_json {fetched.properties_json!r}")
    check(not fetched.HasField("secret"), "GetWebhook must not reveal the secret")

    frame_type, code, payload = replies[5]
    check(frame_type == RESPONSE, f"ListWebhooks ended with {describe(replies[5])}")
    listed = pb.ListWebhooksResponse.FromString(payload)
    check([hook.id for hook in listed.webhooks] == [saved.id], f"ListWebhooks ids {[h.id for h in listed.webhooks]}")
    check(not any(hook.HasField("secret") for hook in listed.webhooks), "ListWebhooks must not reveal secrets")

    frame_type, code, payload = replies[7]
    check(frame_type == RESPONSE, f"Publish ended with {describe(replies[7])}")
    published = pb.PublishResult.FromString(payload)
    check(published.matched == 1, f"Publish matched {published.matched}, expected 1")
    check(len(published.event_id) == 36, f"event id {published.event_id!r} is not a UUID")

    frame_type, code, payload = replies[9]
    check(frame_type == RESPONSE, f"PublishBatch ended with {describe(replies[9])}")
    results = pb.PublishBatchResponse.FromString(payload).results
    check([result.matched for result in results] == [1, 0], f"PublishBatch matched {[r.matched for r in results]}")

    frame_type, code, payload = replies[11]
    check(frame_type == ERROR and code == STATUS_NOT_FOUND, f"missing hook: frame {frame_type} status {code}")
    status = pb.Status.FromString(payload)
    check(status.code == STATUS_NOT_FOUND and str(saved.id + 1000) in status.message, f"NOT_FOUND status {status}")

    frame_type, code, _ = replies[13]
    check(frame_type == ERROR and code == STATUS_UNIMPLEMENTED, f"unknown method: frame {frame_type} status {code}")

    connection.send(encode_frame(REQUEST, 15, DELETE_WEBHOOK, pb.DeleteWebhookRequest(id=saved.id).SerializeToString())
                    + encode_frame(REQUEST, 17, STATS, pb.StatsRequest().SerializeToString()))
    replies = read_responses(connection, 2)
    check(replies[15][0] == RESPONSE and replies[15][2] == b"", f"DeleteWebhook ended with {describe(replies[15])}")
    check(replies[17][0] == RESPONSE, f"Stats ended with {describe(replies[17])}")
    stats = pb.Stats.FromString(replies[17][2])
    check(stats.events_published >= 3, f"Stats events_published {stats.events_published}, expected at least 3")
    print(f"protocol interop: calls passed (webhook {saved.id}, event {published.event_id})")


def check_wrong_token(pb, binary: str, workdir: str):
    token_file = os.path.join(workdir, "tokens")
    with open(token_file, "w") as tokens:
        tokens.write("interop-token-0123456789 interop\n")
    process, port = start_server(binary, workdir, ["--token-file", token_file])
    try:
        connection = Connection(port)
        hello = pb.Hello(versions=[1], token="wrong-token-0123456789")
        connection.send(encode_frame(HELLO, 0, 0, hello.SerializeToString())
                        + encode_frame(REQUEST, 1, STATS, b""))
        frame_type, _, _, code, _ = connection.read_frame()
        check(frame_type == WELCOME and code == STATUS_UNAUTHENTICATED,
              f"wrong token: frame {frame_type} status {code}, expected WELCOME UNAUTHENTICATED")
        check(connection.is_closed_by_peer(), "the server must close after UNAUTHENTICATED and run no call")
        connection.close()

        connection = Connection(port)
        connection.send(encode_frame(HELLO, 0, 0, pb.Hello(versions=[1], token="interop-token-0123456789").SerializeToString()))
        frame_type, _, _, code, payload = connection.read_frame()
        check(frame_type == WELCOME and code == STATUS_OK, f"right token: frame {frame_type} status {code}")
        check(pb.Welcome.FromString(payload).application == "interop", "WELCOME must name the token's application")
        connection.close()
        print("protocol interop: token checks passed")
    finally:
        stop_server(process)


def check_calls_and_shutdown(pb, binary: str, workdir: str):
    process, port = start_server(binary, workdir, [])
    try:
        connection = Connection(port)
        run_calls(pb, connection)
        process.send_signal(signal.SIGTERM)
        frame_type, _, _, code, payload = connection.read_frame()
        check(frame_type == GOAWAY, f"frame type {frame_type} after SIGTERM, expected GOAWAY")
        go_away = pb.GoAway.FromString(payload)
        check(code == STATUS_OK, f"GOAWAY status {code} on shutdown, expected OK")
        check(go_away.last_stream_id == 17, f"GOAWAY last_stream_id {go_away.last_stream_id}, expected 17")
        check(process.wait(TIMEOUT_SECONDS) == 0, f"hookwired exited with status {process.returncode} after SIGTERM")
        connection.close()
        print("protocol interop: GOAWAY on shutdown passed")
    finally:
        stop_server(process)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    repository = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory(prefix="hookwire-interop-") as workdir:
        pb = generate_classes(os.path.join(repository, "proto"), workdir)
        try:
            check_calls_and_shutdown(pb, binary, workdir)
            check_wrong_token(pb, binary, workdir)
        except (AssertionError, OSError) as failure:
            print(f"protocol interop: FAILED: {failure}", file=sys.stderr)
            for name in sorted(os.listdir(workdir)):
                if name.endswith(".log"):
                    print(f"--- {name}", file=sys.stderr)
                    print(open(os.path.join(workdir, name)).read()[-4000:], file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
