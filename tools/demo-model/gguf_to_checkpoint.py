#!/usr/bin/python3
"""Reads a demo model GGUF file (F32 and Q8_0 tensors) back into a train.py checkpoint, so that
training can continue from the shipped weights (the F32 training checkpoint is not kept).

usage: gguf_to_checkpoint.py MODEL.gguf OUT.pt [EPOCH]
Q8_0 is dequantized exactly as ggml does: per block of 32 values, an f16 scale d and 32 int8 q,
value = d * q.
"""
import struct
import sys

import numpy as np
import torch

import train

F32, F16, Q8_0 = 0, 1, 8
VALUE_TYPES = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self):
        n = self.take("<Q")
        text = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return text

    def value(self, kind):
        if kind == 8:
            return self.string()
        if kind == 9:
            item_kind, n = self.take("<I"), self.take("<Q")
            return [self.value(item_kind) for _ in range(n)]
        return self.take(VALUE_TYPES[kind])


def read_gguf(path):
    """(metadata dict, {name: float32 array in torch's (out, in) orientation})."""
    with open(path, "rb") as f:
        data = f.read()
    r = Reader(data)
    assert r.take("<I") == 0x46554747, "not a GGUF file"
    version = r.take("<I")
    assert version == 3, f"GGUF version {version}"
    tensor_count, kv_count = r.take("<Q"), r.take("<Q")
    metadata = {}
    for _ in range(kv_count):
        key = r.string()
        metadata[key] = r.value(r.take("<I"))
    infos = []
    for _ in range(tensor_count):
        name = r.string()
        dims = [r.take("<Q") for _ in range(r.take("<I"))]
        infos.append((name, dims, r.take("<I"), r.take("<Q")))
    alignment = metadata.get("general.alignment", 32)
    base = (r.pos + alignment - 1) // alignment * alignment
    tensors = {}
    for name, dims, kind, offset in infos:
        count = int(np.prod(dims))
        start = base + offset
        if kind == F32:
            values = np.frombuffer(data, dtype="<f4", count=count, offset=start)
        elif kind == F16:
            values = np.frombuffer(data, dtype="<f2", count=count, offset=start).astype(np.float32)
        elif kind == Q8_0:
            blocks = np.frombuffer(data, dtype=np.dtype([("d", "<f2"), ("q", "i1", 32)]), count=count // 32, offset=start)
            values = (blocks["d"].astype(np.float32)[:, None] * blocks["q"].astype(np.float32)).reshape(-1)
        else:
            raise ValueError(f"{name}: tensor type {kind} not supported")
        # GGUF lists the row length first; torch's shape is the reverse.
        tensors[name] = values.reshape(list(reversed(dims))).copy()
    return metadata, tensors


def main():
    metadata, tensors = read_gguf(sys.argv[1])
    epoch = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    model = train.DemoModel()
    state = {}
    for key in model.state_dict():
        name = "blk." + key[len("blocks."):] if key.startswith("blocks.") else key
        state[key] = torch.from_numpy(tensors.pop(name))
    assert not tensors, f"tensors left over: {sorted(tensors)}"
    model.load_state_dict(state)
    torch.save({"model": model.state_dict(), "epoch": epoch, "loss": float("nan"), "seconds": 0.0}, sys.argv[2])
    print(f"{len(state)} tensors from {sys.argv[1]} ({metadata.get('general.name')}) -> {sys.argv[2]}, epoch {epoch}")


if __name__ == "__main__":
    main()
