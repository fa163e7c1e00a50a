#!/usr/bin/env python3
"""Check messages that the Swift codec encoded against proto/hookwire.proto.

    protocol_schema_check.py PROTO_DIR MESSAGE_DIR

Each file in MESSAGE_DIR is named after a message of the schema (`Webhook.bin`) and contains
one encoded message with every field set. The script generates Python classes from the schema
with grpcio-tools and parses each file with its class. It checks that the schema knows every
field on the wire and that every field of the schema is present, in nested messages too. It
then writes the message as Python serializes it to `<name>.python.bin`, so the
Swift side can decode it back. Exit status 0 when every file passed; otherwise each failure is
printed on one line.
"""
import importlib
import os
import sys
import tempfile

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.unknown_fields import UnknownFieldSet


def generate_classes(proto_dir: str, out_dir: str):
    from grpc_tools import protoc

    result = protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out_dir}", os.path.join(proto_dir, "hookwire.proto")])
    if result != 0:
        raise SystemExit(f"protoc failed with status {result} on {proto_dir}/hookwire.proto")
    sys.path.insert(0, out_dir)
    return importlib.import_module("hookwire_pb2")


def problems(message, path: str) -> list[str]:
    """Lists fields unknown to the schema and schema fields missing from the message."""
    found = []
    unknown = UnknownFieldSet(message)
    if len(unknown) > 0:
        numbers = sorted({field.field_number for field in unknown})
        found.append(f"{path}: fields {numbers} are not in the schema (or have another type)")
    present = {field.name for field, _ in message.ListFields()}
    for field in message.DESCRIPTOR.fields:
        if field.name not in present:
            found.append(f"{path}.{field.name}: missing; the Swift sample must set every field")
            continue
        if field.type != FieldDescriptor.TYPE_MESSAGE or field.message_type.GetOptions().map_entry:
            continue
        value = getattr(message, field.name)
        if field.is_repeated:
            for index, element in enumerate(value):
                found += problems(element, f"{path}.{field.name}[{index}]")
        else:
            found += problems(value, f"{path}.{field.name}")
    return found


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    proto_dir, message_dir = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="hookwire-schema-") as out_dir:
        pb = generate_classes(proto_dir, out_dir)
        failures = []
        names = sorted(name[:-4] for name in os.listdir(message_dir) if name.endswith(".bin") and ".python." not in name)
        for name in names:
            message_class = getattr(pb, name, None)
            if message_class is None:
                failures.append(f"{name}: no such message in the schema")
                continue
            with open(os.path.join(message_dir, name + ".bin"), "rb") as file:
                data = file.read()
            try:
                message = message_class.FromString(data)
            except Exception as error:
                failures.append(f"{name}: Python cannot parse the Swift encoding: {error}")
                continue
            failures += problems(message, name)
            with open(os.path.join(message_dir, name + ".python.bin"), "wb") as file:
                file.write(message.SerializeToString())
        declared = {name for name in pb.DESCRIPTOR.message_types_by_name}
        for name in sorted(declared - set(names)):
            failures.append(f"{name}: declared in the schema but not checked by the Swift test")
    for failure in failures:
        print(failure)
    print(f"checked {len(names)} messages, {len(failures)} problems", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
