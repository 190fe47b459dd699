"""Minimal safetensors reader/writer (f32 and bf16), so the trainer needs only Debian's PyTorch.

Format: 8-byte little-endian header length, JSON header {name: {dtype, shape, data_offsets}},
optional "__metadata__" of strings, then the data; the header is padded with spaces so the data
starts 8-byte aligned (the C# reader checks all of this).
"""
import json
import os
import struct

import torch

_DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}
_TORCH = {v: k for k, v in _DTYPES.items()}


def save(path, tensors, metadata=None):
    """Writes an ordered dict of name -> tensor atomically (temp file + rename)."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        if t.dtype not in _DTYPES:
            raise ValueError(f"tensor {name}: dtype {t.dtype} not supported")
        raw = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path):
    """Returns (dict name -> tensor, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    start = 8 + n
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        dtype = _TORCH[info["dtype"]]
        buf = bytearray(data[start + b:start + e])
        t = torch.frombuffer(buf, dtype=torch.uint8).view(dtype) if e > b else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out, meta
