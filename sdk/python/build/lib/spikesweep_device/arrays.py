"""Packed little-endian typed arrays, the protocol's array encoding (f64 and u32 in `bytes`)."""
from __future__ import annotations

import numpy as np

F64 = np.dtype("<f8")
U32 = np.dtype("<u4")


class ProtocolError(ValueError):
    """A request that breaks the protocol; the message names the field and the reason."""


def pack_f64(values) -> bytes:
    return np.ascontiguousarray(values, dtype=F64).tobytes()


def pack_u32(values) -> bytes:
    return np.ascontiguousarray(values, dtype=U32).tobytes()


def unpack_f64(data: bytes, field: str, length: int | None = None) -> np.ndarray:
    if len(data) % 8 != 0:
        raise ProtocolError(f"{field}: {len(data)} bytes is not a whole number of float64 values")
    out = np.frombuffer(data, dtype=F64)
    if length is not None and out.size != length:
        raise ProtocolError(f"{field}: expected {length} float64 values, got {out.size}")
    return out


def unpack_u32(data: bytes, field: str, length: int | None = None) -> np.ndarray:
    if len(data) % 4 != 0:
        raise ProtocolError(f"{field}: {len(data)} bytes is not a whole number of uint32 values")
    out = np.frombuffer(data, dtype=U32)
    if length is not None and out.size != length:
        raise ProtocolError(f"{field}: expected {length} uint32 values, got {out.size}")
    return out
