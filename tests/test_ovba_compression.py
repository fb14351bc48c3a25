"""Tests for the MS-OVBA 2.4.1 compressor/decompressor (addin.xlam.ovba_compression)."""

from __future__ import annotations

import os
import random
import struct
import time
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():  # oletools triggers pyparsing deprecation warnings on import
    warnings.simplefilter("ignore")
    from oletools.olevba import decompress_stream

from addin.xlam.ovba_compression import CHUNK_SIZE, compress, copy_token_help, decompress

XLWINGS_BAS = None
try:
    import xlwings

    _candidate = Path(xlwings.__file__).parent / "xlwings_custom_addin.bas"
    if _candidate.exists():
        XLWINGS_BAS = _candidate
except ImportError:  # pragma: no cover - xlwings is a project dependency
    pass


# --------------------------------------------------------------------------- helpers


def _bit_count(difference: int) -> int:
    """Independent CopyToken Help bit count: smallest n >= 4 with 2**n >= difference."""
    n = 4
    while (1 << n) < difference:
        n += 1
    return n


def spec_compress(data: bytes) -> bytes:
    """Literal transcription of the MS-OVBA 2.4.1.3 compression pseudocode (slow; oracle only)."""
    out = bytearray([0x01])
    for chunk_start in range(0, len(data), CHUNK_SIZE):
        chunk_end = min(chunk_start + CHUNK_SIZE, len(data))
        body = bytearray()
        cur = chunk_start
        while cur < chunk_end:
            flag_index = len(body)
            body.append(0)
            flags = 0
            for index in range(8):
                if cur >= chunk_end:
                    break
                # 2.4.1.3.19.4 Matching
                best_length, best_candidate = 0, None
                candidate = cur - 1
                while candidate >= chunk_start:
                    c, d, length = candidate, cur, 0
                    while d < chunk_end and data[d] == data[c]:
                        length += 1
                        c += 1
                        d += 1
                    if length > best_length:
                        best_length, best_candidate = length, candidate
                    candidate -= 1
                if best_length >= 3:
                    bit_count = _bit_count(cur - chunk_start)
                    length = min(best_length, (0xFFFF >> bit_count) + 3)
                    offset = cur - best_candidate
                    body += struct.pack("<H", ((offset - 1) << (16 - bit_count)) | (length - 3))
                    flags |= 1 << index
                    cur += length
                else:
                    body.append(data[cur])
                    cur += 1
            body[flag_index] = flags
        if len(body) <= CHUNK_SIZE:
            out += struct.pack("<H", (len(body) + 2 - 3) | 0xB000) + body
        else:
            out += struct.pack("<H", 0x3FFF) + data[chunk_start:chunk_end].ljust(CHUNK_SIZE, b"\x00")
    return bytes(out)


def chunks(container: bytes) -> list[tuple[bool, bytes]]:
    """Split a container into (is_compressed, chunk_bytes_without_header)."""
    assert container[0] == 0x01
    pos, result = 1, []
    while pos < len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        assert header & 0x7000 == 0x3000, "chunk signature must be 0b011"
        size = (header & 0x0FFF) + 3
        result.append((bool(header & 0x8000), container[pos + 2 : pos + size]))
        pos += size
    assert pos == len(container), "chunks must tile the container exactly"
    return result


def tokens(container: bytes) -> list[tuple]:
    """Decode a single-or-multi chunk container into ("L", byte) / ("C", difference, offset, length)."""
    result = []
    for compressed, body in chunks(container):
        if not compressed:
            result.append(("RAW", len(body)))
            continue
        pos, produced = 0, 0
        while pos < len(body):
            flags = body[pos]
            pos += 1
            for bit in range(8):
                if pos >= len(body):
                    break
                if flags >> bit & 1:
                    (token,) = struct.unpack_from("<H", body, pos)
                    pos += 2
                    bit_count = _bit_count(produced)
                    length = (token & (0xFFFF >> bit_count)) + 3
                    offset = (token >> (16 - bit_count)) + 1
                    result.append(("C", produced, offset, length))
                    produced += length
                else:
                    result.append(("L", body[pos]))
                    pos += 1
                    produced += 1
    return result


def expected_roundtrip(data: bytes, container: bytes) -> bytes:
    """What decompression must yield: the input, zero padded only if the final chunk is raw."""
    last = chunks(container)[-1] if data else None
    if last is not None and not last[0]:
        return data + b"\x00" * (-len(data) % CHUNK_SIZE)
    return data


def assert_roundtrip(data: bytes) -> bytes:
    container = compress(data)
    want = expected_roundtrip(data, container)
    assert decompress(container) == want
    assert decompress_stream(container) == want  # oletools' independent decoder
    return container


# --------------------------------------------------------------------------- known answers


# MS-OVBA 3.2.1 (no compression) and 3.2.2 (normal compression) examples.
SPEC_EXAMPLES = [
    (
        b"abcdefghijklmnopqrstuv.",
        "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E",
    ),
    (
        b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
        "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 20 6D 6E 6F"
        " 70 06 71 02 70 04 00 72 73 74 75 76 10 77 78 79 7A 00 2C",
    ),
]


@pytest.mark.parametrize("plain, hex_container", SPEC_EXAMPLES)
def test_spec_examples(plain: bytes, hex_container: str) -> None:
    container = bytes.fromhex(hex_container)
    assert compress(plain) == container
    assert decompress(container) == plain


def test_empty_input() -> None:
    assert compress(b"") == b"\x01"
    assert decompress(b"\x01") == b""
    assert decompress_stream(b"\x01") == b""


def test_single_byte_and_short_inputs() -> None:
    assert compress(b"a") == b"\x01" + struct.pack("<H", 0xB000 | (2 + 2 - 3)) + b"\x00a"
    for data in (b"ab", b"aaa", b"aaaa", b"abcabc"):
        assert_roundtrip(data)


# --------------------------------------------------------------------------- copy tokens


@pytest.mark.parametrize(
    "difference, bit_count, maximum_length",
    [
        (1, 4, 4098),
        (16, 4, 4098),
        (17, 5, 2050),
        (32, 5, 2050),
        (33, 6, 1026),
        (65, 7, 514),
        (129, 8, 258),
        (257, 9, 130),
        (513, 10, 66),
        (1025, 11, 34),
        (2048, 11, 34),
        (2049, 12, 18),
        (4096, 12, 18),
    ],
)
def test_copy_token_help_table(difference: int, bit_count: int, maximum_length: int) -> None:
    length_mask, offset_mask, bits, max_len = copy_token_help(difference)
    assert bits == bit_count
    assert max_len == maximum_length
    assert length_mask == 0xFFFF >> bit_count
    assert offset_mask == 0xFFFF ^ length_mask


def test_copy_token_maximum_length_formula_everywhere() -> None:
    # MS-OVBA 2.4.1.3.19.2: MaximumLength = (0xFFFF >> BitCount) + 3 for every chunk position.
    for difference in range(1, CHUNK_SIZE + 1):
        length_mask, offset_mask, bit_count, max_len = copy_token_help(difference)
        assert bit_count == _bit_count(difference)
        assert max_len == (0xFFFF >> bit_count) + 3
        assert length_mask & offset_mask == 0 and length_mask | offset_mask == 0xFFFF
        # The largest offset at this position must fit in the offset bits.
        assert difference - 1 <= offset_mask >> (16 - bit_count)


def test_copy_token_help_rejects_chunk_start() -> None:
    with pytest.raises(ValueError):
        copy_token_help(0)


def test_copy_tokens_reach_exactly_the_maximum_length() -> None:
    # A run starting after 20 distinct bytes: the first copy token sits at
    # difference 21 (BitCount 5) and must be exactly (0xFFFF >> 5) + 3 = 2050 long;
    # the following one at difference 2071 (BitCount 12) exactly 18 long.
    prefix = bytes(range(100, 120))
    data = prefix + b"b" * 3000
    container = assert_roundtrip(data)
    toks = tokens(container)
    copies = [t for t in toks if t[0] == "C"]
    assert copies[0] == ("C", 21, 1, 2050)
    assert copies[1] == ("C", 2071, 1, 18)
    for _, difference, offset, length in copies:
        assert length <= (0xFFFF >> _bit_count(difference)) + 3
        assert 1 <= offset <= difference


def test_run_at_chunk_start_uses_4098_cap_but_stops_at_chunk_end() -> None:
    container = assert_roundtrip(b"a" * CHUNK_SIZE)
    assert tokens(container) == [("L", ord("a")), ("C", 1, 1, CHUNK_SIZE - 1)]


# --------------------------------------------------------------------------- chunk boundaries


@pytest.mark.parametrize("size", [4095, 4096, 4097, 8191, 8192, 8193, 3 * 4096])
def test_chunk_boundaries_repetitive(size: int) -> None:
    pattern = b"Sub Foo()\r\n    x = x + 1\r\nEnd Sub\r\n"
    data = (pattern * (size // len(pattern) + 1))[:size]
    container = assert_roundtrip(data)
    parts = chunks(container)
    assert len(parts) == -(-size // CHUNK_SIZE)
    assert all(compressed for compressed, _ in parts)
    # Every chunk but the last decompresses to exactly 4096 bytes.
    for i, (compressed, body) in enumerate(parts[:-1]):
        sub = b"\x01" + struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
        assert len(decompress(sub)) == CHUNK_SIZE, i


@pytest.mark.parametrize("size", [4096, 8192])
def test_incompressible_full_chunks_are_raw(size: int) -> None:
    data = random.Random(size).randbytes(size)
    container = assert_roundtrip(data)
    parts = chunks(container)
    assert [compressed for compressed, _ in parts] == [False] * (size // CHUNK_SIZE)
    assert len(container) == 1 + (size // CHUNK_SIZE) * (CHUNK_SIZE + 2)
    assert decompress(container) == data  # full raw chunks need no padding


def test_incompressible_partial_final_chunk_is_padded_as_spec_says() -> None:
    # MS-OVBA 2.4.1.3.10 pads a RawChunk to 4096 bytes; only reachable for
    # incompressible tails longer than ~3640 bytes.
    data = random.Random(7).randbytes(4000)
    container = compress(data)
    assert chunks(container) == [(False, data + b"\x00" * 96)]
    assert decompress(container) == data + b"\x00" * 96
    assert decompress_stream(container) == data + b"\x00" * 96


def test_long_runs() -> None:
    for data in (b"\x00" * 100_000, b"ab" * 50_000, b"x" * 4097 + b"y" * 4095):
        container = assert_roundtrip(data)
        assert len(container) < len(data) // 50


# --------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=12_000))
def test_roundtrip_random_bytes(data: bytes) -> None:
    assert_roundtrip(data)


text_like = st.lists(st.sampled_from(list(b"ab \r\nSubEnd'()=")), max_size=9_000).map(bytes)


@settings(max_examples=100, deadline=None)
@given(text_like)
def test_roundtrip_repetitive_bytes_is_exact(data: bytes) -> None:
    container = compress(data)
    assert decompress(container) == data
    assert decompress_stream(container) == data


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.lists(st.sampled_from(list(b"ab\n")), max_size=400).map(bytes)))
def test_matches_the_spec_pseudocode(data: bytes) -> None:
    assert compress(data) == spec_compress(data)


def test_matches_the_spec_pseudocode_across_chunks() -> None:
    rng = random.Random(3)
    data = bytes(rng.choice(b"abc \n") for _ in range(5000))
    assert compress(data) == spec_compress(data)


def test_deterministic() -> None:
    data = os.urandom(10_000) + b"abc" * 3000
    assert compress(data) == compress(bytes(data))


# --------------------------------------------------------------------------- real VBA source


@pytest.mark.skipif(XLWINGS_BAS is None, reason="xlwings_custom_addin.bas not installed")
def test_xlwings_module_roundtrips_quickly() -> None:
    source = XLWINGS_BAS.read_bytes()
    assert len(source) > 40_000
    start = time.perf_counter()
    container = compress(source)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"compressing {len(source)} bytes took {elapsed:.2f}s"
    assert len(container) < len(source) // 2
    assert decompress(container) == source
    assert decompress_stream(container) == source


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    "container, message",
    [
        (b"", "signature"),
        (b"\x02\x00\xb0\x00a", "signature"),
        (b"\x01\x00\x00\x00a", "chunk signature"),
        (b"\x01\x05\xb0\x00a", "past the end"),
        (b"\x01\x01\xb0", "past the end"),
        (b"\x01\x02\xb0\x01\x00\x00", "starts its chunk"),
        (b"\x01\x03\xb0\x02a\x00\x10", "before its chunk"),
        (b"\x01\x00\x30" + b"a" * 3, "not 4096 bytes"),
    ],
)
def test_decompress_rejects_malformed(container: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decompress(container)
