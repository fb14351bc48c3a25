"""MS-OVBA 2.4.1 compression ("RLE"/LZ77 variant used for VBA source and the dir stream).

A CompressedContainer is a signature byte 0x01 followed by chunks; each chunk
holds up to 4096 bytes of decompressed data either as a sequence of
literal/copy tokens (CompressedChunk) or verbatim (RawChunk).

The compressor follows the matching rule of MS-OVBA 2.4.1.3.19.4 exactly
(longest match within the chunk, the nearest candidate on ties, then capped at
MaximumLength), so its output is fully determined by the input.  It finds
matches with ``bytes.rfind`` instead of the quadratic scan of the spec, which
keeps it fast in pure Python.
"""

from __future__ import annotations

import struct

__all__ = [
    "CHUNK_SIZE",
    "compress",
    "copy_token_help",
    "decompress",
]

#: Decompressed bytes per chunk (MS-OVBA 2.4.1.1.3).
CHUNK_SIZE = 4096

_SIGNATURE = 0x01
_CHUNK_SIGNATURE = 0b011 << 12
_CHUNK_FLAG_COMPRESSED = 0x8000
_MIN_MATCH = 3


def copy_token_help(difference: int) -> tuple[int, int, int, int]:
    """MS-OVBA 2.4.1.3.19.1 CopyToken Help.

    ``difference`` is DecompressedCurrent - DecompressedChunkStart (>= 1).
    Returns ``(length_mask, offset_mask, bit_count, maximum_length)`` where
    ``maximum_length = (0xFFFF >> bit_count) + 3`` (2.4.1.3.19.2).
    """
    if difference < 1:
        raise ValueError("a CopyToken needs at least one preceding byte in its chunk")
    # ceil(log2(difference)) computed exactly on integers; at least 4 bits of offset.
    bit_count = max((difference - 1).bit_length(), 4)
    length_mask = 0xFFFF >> bit_count
    offset_mask = ~length_mask & 0xFFFF
    return length_mask, offset_mask, bit_count, length_mask + 3


def _common_length(data: bytes, a: int, b: int, limit: int) -> int:
    """Length of the common prefix of data[a:] and data[b:], at most ``limit``.

    Overlapping ranges are fine: the decompressor copies byte by byte from its
    own output, which equals ``data``.
    """
    n = 0
    step = 64
    # Gallop through equal blocks with C-level slice compares, then finish per byte.
    while n < limit:
        m = min(step, limit - n)
        if data[a + n : a + n + m] == data[b + n : b + n + m]:
            n += m
            step *= 2
        elif m > 8:
            step = m // 4
        else:
            break
    while n < limit and data[a + n] == data[b + n]:
        n += 1
    return n


def _find_match(data: bytes, chunk_start: int, cur: int, chunk_end: int) -> tuple[int, int]:
    """Return ``(length, candidate)`` of the spec's best match at ``cur`` (length 0 if none).

    Equivalent to MS-OVBA 2.4.1.3.19.4: the longest match (not yet capped) among
    candidates in [chunk_start, cur), the nearest one on ties.
    """
    limit = chunk_end - cur
    if limit < _MIN_MATCH or cur == chunk_start:
        return 0, 0
    best_len, best_pos = 0, 0
    k = _MIN_MATCH
    while k <= limit:
        # Nearest candidate p < cur whose first k bytes match (may overlap cur).
        p = data.rfind(data[cur : cur + k], chunk_start, cur - 1 + k)
        if p < 0:
            break
        n = k + _common_length(data, p + k, cur + k, limit - k)
        # p is the nearest candidate with >= k matching bytes, so it is also the
        # nearest one of length n; a longer match, if any, is found next round.
        best_len, best_pos = n, p
        k = n + 1
    return best_len, best_pos


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Compress data[start:end] (<= 4096 bytes) into one CompressedChunk or RawChunk."""
    out = bytearray(b"\x00\x00")  # header placeholder
    cur = start
    while cur < end:
        flag_pos = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if cur >= end:
                break
            length, candidate = _find_match(data, start, cur, end)
            if length >= _MIN_MATCH:
                _, _, bit_count, max_len = copy_token_help(cur - start)
                length = min(length, max_len)
                offset = cur - candidate
                out += struct.pack("<H", ((offset - 1) << (16 - bit_count)) | (length - 3))
                flags |= 1 << bit
                cur += length
            else:
                out.append(data[cur])
                cur += 1
        out[flag_pos] = flags
        if len(out) > CHUNK_SIZE + 2:
            break  # cannot fit: fall back to a raw chunk
    if len(out) <= CHUNK_SIZE + 2:
        header = (len(out) - 3) | _CHUNK_SIGNATURE | _CHUNK_FLAG_COMPRESSED
        out[0:2] = struct.pack("<H", header)
        return bytes(out)
    # MS-OVBA 2.4.1.3.10: a RawChunk always carries 4096 bytes, zero padded.
    raw = data[start:end].ljust(CHUNK_SIZE, b"\x00")
    return struct.pack("<H", (CHUNK_SIZE - 1) | _CHUNK_SIGNATURE) + raw


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an MS-OVBA CompressedContainer.

    Deterministic.  Note the spec's one quirk: an incompressible *final* chunk
    shorter than 4096 bytes is stored as a RawChunk padded with zero bytes, so
    it decompresses with trailing zeros.  Text never hits this (it always
    compresses well), arbitrary binary data might.
    """
    data = bytes(data)
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), CHUNK_SIZE):
        out += _compress_chunk(data, start, min(start + CHUNK_SIZE, len(data)))
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (2.4.1.3.1); raises ValueError if malformed."""
    data = bytes(data)
    if not data or data[0] != _SIGNATURE:
        raise ValueError("not an MS-OVBA compressed container (signature byte must be 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError(f"truncated chunk header at offset {pos}")
        (header,) = struct.unpack_from("<H", data, pos)
        if header & 0x7000 != _CHUNK_SIGNATURE:
            raise ValueError(f"bad chunk signature at offset {pos}")
        chunk_end = pos + (header & 0x0FFF) + 3
        if chunk_end > len(data):
            raise ValueError(f"chunk at offset {pos} runs past the end of the data")
        pos += 2
        chunk_start = len(out)
        if not header & _CHUNK_FLAG_COMPRESSED:
            if chunk_end - pos != CHUNK_SIZE:
                raise ValueError(f"raw chunk at offset {pos - 2} is not {CHUNK_SIZE} bytes")
            out += data[pos:chunk_end]
            pos = chunk_end
            continue
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise ValueError(f"truncated copy token at offset {pos}")
                (token,) = struct.unpack_from("<H", data, pos)
                pos += 2
                difference = len(out) - chunk_start
                if difference == 0:
                    raise ValueError(f"copy token at offset {pos - 2} starts its chunk")
                length_mask, _, bit_count, _ = copy_token_help(difference)
                length = (token & length_mask) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > difference:
                    raise ValueError(f"copy token at offset {pos - 2} points before its chunk")
                src = len(out) - offset
                if offset >= length:
                    out += out[src : src + length]
                else:
                    # Overlapping copy repeats the last `offset` bytes.
                    pattern = bytes(out[src:])
                    out += (pattern * (length // offset + 1))[:length]
    return bytes(out)
