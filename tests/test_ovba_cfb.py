"""Tests for the deterministic Compound File Binary writer (addin.xlam.cfb)."""

from __future__ import annotations

import io
import random
import struct

import olefile
import pytest

from addin.xlam.cfb import MINI_STREAM_CUTOFF, build_compound_file, cfb_name_key

NOSTREAM = 0xFFFFFFFF
RED, BLACK = 0, 1


def open_ole(data: bytes) -> olefile.OleFileIO:
    # Strictest mode: olefile raises on anything it considers even potentially wrong.
    return olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_POTENTIAL)


def sample_streams() -> dict[str, bytes]:
    rng = random.Random(42)
    return {
        "PROJECT": b"ID=...\r\n" * 40,
        "PROJECTwm": b"x\x00x\x00\x00\x00\x00\x00",
        "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x01\x00",
        "VBA/dir": rng.randbytes(1500),
        "VBA/ThisWorkbook": rng.randbytes(64),
        "VBA/Module1": rng.randbytes(4095),
        "VBA/Module2": rng.randbytes(4096),
        "VBA/BigModule": rng.randbytes(70_000),
        "VBA/Empty": b"",
        "Deep/Er/Still/leaf": b"deep",
    }


# --------------------------------------------------------------------------- container basics


def test_olefile_reads_back_every_stream() -> None:
    streams = sample_streams()
    data = build_compound_file(streams, storages=["Lonely"])
    assert olefile.isOleFile(io.BytesIO(data))
    ole = open_ole(data)
    for path, content in streams.items():
        assert ole.get_type(path) == olefile.STGTY_STREAM
        assert ole.get_size(path) == len(content)
        assert ole.openstream(path).read() == content
    for storage in ("VBA", "Deep", "Deep/Er", "Deep/Er/Still", "Lonely"):
        assert ole.get_type(storage) == olefile.STGTY_STORAGE
    listed = {"/".join(p) for p in ole.listdir(streams=True, storages=False)}
    assert listed == set(streams)


def test_header_fields() -> None:
    data = build_compound_file(sample_streams())
    assert len(data) % 512 == 0
    ole = open_ole(data)
    assert ole.dll_version == 3 and ole.minor_version == 0x3E
    assert ole.sector_size == 512 and ole.mini_sector_size == 64
    assert ole.mini_stream_cutoff_size == MINI_STREAM_CUTOFF == 4096
    assert ole.byte_order == 0xFFFE
    assert data[8:24] == b"\x00" * 16  # header CLSID
    (num_dir_sectors,) = struct.unpack_from("<I", data, 40)
    assert num_dir_sectors == 0  # required for version 3
    assert ole.num_difat_sectors == 0


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 4095, 4096, 4097, 100_000])
def test_stream_size_boundaries(size: int) -> None:
    content = random.Random(size).randbytes(size)
    ole = open_ole(build_compound_file({"S": content, "Other": b"o" * 10}))
    assert ole.openstream("S").read() == content
    entry = ole.direntries[ole._find("S")]
    if 0 < size < 4096:
        # Small streams live in the mini stream, whose chain hangs off the root entry.
        assert ole.root.size == 64 * (-(-size // 64)) + 64
    assert entry.size == size


def test_only_large_streams_means_no_mini_stream() -> None:
    data = build_compound_file({"A": b"a" * 5000})
    ole = open_ole(data)
    assert ole.root.size == 0
    assert ole.first_mini_fat_sector == 0xFFFFFFFE and ole.num_mini_fat_sectors == 0
    assert ole.openstream("A").read() == b"a" * 5000


def test_empty_file() -> None:
    ole = open_ole(build_compound_file({}))
    assert ole.listdir(streams=True, storages=True) == []


def test_many_streams_and_large_file_use_difat() -> None:
    # > 109 FAT sectors (each maps 128 sectors = 64 KiB) forces DIFAT sectors.
    big = random.Random(1).randbytes(8 * 1024 * 1024)
    streams = {f"VBA/Module{i}": bytes([i]) * (100 + 37 * i) for i in range(60)}
    streams["VBA/Big"] = big
    data = build_compound_file(streams)
    ole = open_ole(data)
    assert ole.num_fat_sectors > 109
    assert ole.num_difat_sectors >= 1
    for path, content in streams.items():
        assert ole.openstream(path).read() == content


# --------------------------------------------------------------------------- directory entries


def raw_entries(data: bytes) -> list[bytes]:
    ole = open_ole(data)
    directory = ole._open(ole.first_dir_sector, force_FAT=True).read()
    return [directory[i : i + 128] for i in range(0, len(directory), 128)]


def test_timestamps_clsids_and_state_bits_are_zero() -> None:
    for entry in raw_entries(build_compound_file(sample_streams(), storages=["X"])):
        clsid, state, created, modified = entry[80:96], entry[96:100], entry[100:108], entry[108:116]
        assert clsid == b"\x00" * 16
        assert state == b"\x00" * 4
        assert created == b"\x00" * 8 and modified == b"\x00" * 8


def test_unused_directory_slots_are_blank() -> None:
    entries = raw_entries(build_compound_file({"A": b"a"}))  # root + A + two free slots
    assert len(entries) == 4
    for entry in entries[2:]:
        assert entry[:66] == b"\x00" * 66 and entry[66:68] == b"\x00\x00"
        assert struct.unpack_from("<III", entry, 68) == (NOSTREAM,) * 3
        assert entry[80:] == b"\x00" * 48


def independent_key(name: str) -> tuple[int, str]:
    # MS-CFB 2.6.4 for ASCII names: shorter first, then case-insensitive compare.
    return len(name), name.upper()


def check_red_black(ole: olefile.OleFileIO, storage_sid: int) -> int:
    """Validate the sibling tree under one storage; return the number of children."""
    entries = ole.direntries

    def walk(sid: int, low, high) -> tuple[int, int]:
        """Return (black height, node count); check ordering and colour rules."""
        if sid == NOSTREAM:
            return 1, 0
        e = entries[sid]
        key = independent_key(e.name)
        assert low is None or key > low, f"{e.name} out of order"
        assert high is None or key < high, f"{e.name} out of order"
        if e.color == RED:
            for child in (e.sid_left, e.sid_right):
                assert child == NOSTREAM or entries[child].color == BLACK, "red node with red child"
        left_height, left_count = walk(e.sid_left, low, key)
        right_height, right_count = walk(e.sid_right, key, high)
        assert left_height == right_height, f"unequal black height below {e.name}"
        return left_height + (e.color == BLACK), left_count + right_count + 1

    root_child = entries[storage_sid].sid_child
    if root_child != NOSTREAM:
        assert entries[root_child].color == BLACK, "tree root must be black"
    return walk(root_child, None, None)[1]


@pytest.mark.parametrize("count", list(range(1, 34)) + [63, 64, 65, 100])
def test_sibling_trees_are_valid_red_black_trees(count: int) -> None:
    rng = random.Random(count)
    names = set()
    while len(names) < count:
        names.add("".join(rng.choice("abcXYZ_09") for _ in range(rng.randint(1, 12))))
    streams = {f"VBA/{n}": n.encode() for n in names}
    ole = open_ole(build_compound_file(streams))
    vba_sid = ole._find("VBA")
    assert check_red_black(ole, vba_sid) == count
    assert check_red_black(ole, 0) == 1
    for n in names:
        assert ole.openstream(f"VBA/{n}").read() == n.encode()


def test_name_ordering_rule() -> None:
    assert cfb_name_key("Z") < cfb_name_key("aa")  # length first
    assert cfb_name_key("abc") < cfb_name_key("ABD")  # then case-insensitive
    assert cfb_name_key("abc")[1] == cfb_name_key("ABC")[1]
    assert cfb_name_key("ThisWorkbook") < cfb_name_key("_VBA_PROJECT")  # 'T' < '_'
    assert cfb_name_key("dir") < cfb_name_key("VBA_") and cfb_name_key("PROJECT") < cfb_name_key("PROJECTwm")
    assert cfb_name_key("straße")[0] == 6  # no full-case expansion to "SS"


# --------------------------------------------------------------------------- determinism and errors


def test_byte_identical_builds_independent_of_input_order() -> None:
    streams = sample_streams()
    first = build_compound_file(streams)
    assert build_compound_file(dict(streams)) == first
    assert build_compound_file(dict(reversed(list(streams.items())))) == first


@pytest.mark.parametrize(
    "streams, message",
    [
        ({"A" * 32: b""}, "longer than 31"),
        ({"VBA/a:b": b""}, "forbidden"),
        ({"VBA/a!b": b""}, "forbidden"),
        ({"VBA//x": b""}, "empty name"),
        ({"VBA/x\x01": b""}, "control character"),
        ({"VBA": b"", "VBA/dir": b""}, "clashes"),
        ({"VBA/dir": b"", "vba/x": b""}, "clashes"),
        ({"VBA/dir": b"", "VBA/DIR": b""}, "clashes"),
    ],
)
def test_bad_names_are_rejected(streams: dict[str, bytes], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_compound_file(streams)
