"""Read an offline W&B run file (``run-*.wandb``) back: its history rows, without the network.

The file is a LevelDB-style log: a 7-byte header (":W&B", magic 0xBEE1, version), then 32 KiB
blocks of records, each with a 7-byte header (CRC32, little-endian length, type: 1 full,
2 first, 3 middle, 4 last) holding a serialised `wandb_internal_pb2.Record`.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

BLOCK = 32 * 1024
HEADER = 7


def _records(path: Path):
    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B run file"
    pos, pending = HEADER, b""
    while pos + HEADER <= len(data):
        left_in_block = BLOCK - pos % BLOCK
        if left_in_block < HEADER:  # block trailer padding
            pos += left_in_block
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + HEADER])
        chunk = data[pos + HEADER : pos + HEADER + length]
        pos += HEADER + length
        if kind == 0 and length == 0:
            break
        if kind == 1:
            yield chunk
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            yield pending + chunk
            pending = b""


def read_history(run_file: Path) -> list[dict]:
    """History rows of an offline run: ``{key: decoded value}`` per logged step."""
    from wandb.proto import wandb_internal_pb2

    rows = []
    for blob in _records(run_file):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(blob)
        if record.WhichOneof("record_type") == "history":
            rows.append(
                {
                    (item.key or "/".join(item.nested_key)): json.loads(item.value_json)
                    for item in record.history.item
                }
            )
    return rows


def read_records(run_file: Path, kind: str) -> dict:
    """Merged ``{key: decoded value}`` of every record of one kind (e.g. "config", "summary")."""
    from wandb.proto import wandb_internal_pb2

    values: dict = {}
    for blob in _records(run_file):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(blob)
        if record.WhichOneof("record_type") == kind:
            for item in getattr(record, kind).update:
                value = json.loads(item.value_json)
                values[item.key or "/".join(item.nested_key)] = (
                    value.get("value", value)
                    if kind == "config" and isinstance(value, dict) and "value" in value
                    else value
                )
    return values


def read_run(run_file: Path) -> dict:
    """The run's own record: ``run_group``, ``job_type``, ``display_name`` and the like."""
    from google.protobuf.json_format import MessageToDict
    from wandb.proto import wandb_internal_pb2

    for blob in _records(run_file):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(blob)
        if record.WhichOneof("record_type") == "run":
            return MessageToDict(record.run, preserving_proto_field_name=True)
    raise AssertionError(f"{run_file} holds no run record")
