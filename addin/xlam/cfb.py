"""Minimal deterministic writer for Compound File Binary files (MS-CFB).

Writes version 3 files (512-byte sectors) with a mini stream for small
streams.  Everything that a general-purpose writer would fill with clocks or
random numbers (timestamps, CLSIDs, state bits) is zero, and the layout
depends only on the input, so identical input gives identical bytes.

Layout, in sector order: regular streams (in directory order), the mini
stream, the mini FAT, the directory, the DIFAT sectors (only beyond 109 FAT
sectors, i.e. files over ~7 MB) and the FAT.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["MINI_STREAM_CUTOFF", "build_compound_file", "cfb_name_key"]

SECTOR_SIZE = 512
MINI_SECTOR_SIZE = 64
#: Streams smaller than this live in the mini stream (MS-CFB 2.2).
MINI_STREAM_CUTOFF = 4096

_MAX_REG_SECT = 0xFFFFFFFA
_DIFSECT = 0xFFFFFFFC
_FATSECT = 0xFFFFFFFD
_ENDOFCHAIN = 0xFFFFFFFE
_FREESECT = 0xFFFFFFFF
_NOSTREAM = 0xFFFFFFFF

_ENTRY_SIZE = 128
_ENTRIES_PER_SECTOR = SECTOR_SIZE // _ENTRY_SIZE
_IDS_PER_SECTOR = SECTOR_SIZE // 4
_HEADER_DIFAT_SLOTS = 109

_TYPE_STORAGE = 1
_TYPE_STREAM = 2
_TYPE_ROOT = 5
_RED, _BLACK = 0, 1

_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_FORBIDDEN_NAME_CHARS = set("/\\:!")


def _upper_utf16(name: str) -> str:
    # MS-CFB compares with simple (1:1) uppercase mapping; str.upper() may
    # expand characters such as "ß", so only take single-character results.
    out = []
    for ch in name:
        up = ch.upper()
        out.append(up if len(up) == 1 else ch)
    return "".join(out)


def cfb_name_key(name: str) -> tuple[int, tuple[int, ...]]:
    """Sort key for sibling names as MS-CFB 2.6.4 prescribes.

    Shorter names sort first; equal lengths compare the uppercased UTF-16
    code units one by one.
    """
    upper = _upper_utf16(name).encode("utf-16-le")
    units = struct.unpack(f"<{len(upper) // 2}H", upper)
    return len(name.encode("utf-16-le")) // 2, units


@dataclass
class _Node:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Node] = field(default_factory=dict)
    # Filled in during layout:
    sid: int = 0
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    color: int = _BLACK
    start: int = _ENDOFCHAIN


def _check_name(name: str, path: str) -> None:
    if not name:
        raise ValueError(f"empty name component in CFB path {path!r}")
    if len(name.encode("utf-16-le")) // 2 > 31:
        raise ValueError(f"CFB entry name {name!r} is longer than 31 UTF-16 code units")
    bad = _FORBIDDEN_NAME_CHARS.intersection(name)
    if bad:
        raise ValueError(f"CFB entry name {name!r} contains forbidden character(s) {''.join(sorted(bad))!r}")
    if any(ord(c) < 0x20 for c in name):
        raise ValueError(f"CFB entry name {name!r} contains a control character")


def _build_tree(streams: Mapping[str, bytes], storages: Iterable[str]) -> _Node:
    root = _Node("Root Entry", _TYPE_ROOT)

    def walk(path: str, leaf_kind: int) -> None:
        parts = path.split("/")
        node = root
        for i, part in enumerate(parts):
            _check_name(part, path)
            last = i == len(parts) - 1
            kind = leaf_kind if last else _TYPE_STORAGE
            # Siblings may not share a name under the case-insensitive comparison.
            key = _upper_utf16(part)
            existing = node.children.get(key)
            if existing is None:
                existing = node.children[key] = _Node(part, kind)
            elif existing.name != part or existing.kind != kind or (last and kind == _TYPE_STREAM):
                raise ValueError(f"CFB path {path!r} clashes with an existing entry {existing.name!r}")
            node = existing
        if leaf_kind == _TYPE_STREAM:
            node.data = bytes(streams[path])

    for path in sorted(storages):
        walk(path.strip("/"), _TYPE_STORAGE)
    for path in streams:
        walk(path, _TYPE_STREAM)
    return root


def _link_siblings(nodes: list[_Node]) -> int:
    """Arrange sorted siblings as a balanced binary search tree; return the root sid.

    Nodes on the deepest level of a non-perfect tree are coloured red, every
    other node black, which satisfies the red-black invariants MS-CFB asks
    for (equal black height on every path, no red node with a red child).
    """
    if not nodes:
        return _NOSTREAM
    depth: dict[int, int] = {}

    def build(lo: int, hi: int, level: int) -> int:
        if lo >= hi:
            return _NOSTREAM
        mid = (lo + hi) // 2
        node = nodes[mid]
        depth[mid] = level
        node.left = build(lo, mid, level + 1)
        node.right = build(mid + 1, hi, level + 1)
        return node.sid

    root_sid = build(0, len(nodes), 0)
    max_depth = max(depth.values())
    perfect = len(nodes) == (1 << (max_depth + 1)) - 1
    for i, node in enumerate(nodes):
        node.color = _RED if (not perfect and depth[i] == max_depth and max_depth > 0) else _BLACK
    return root_sid


def _entry_bytes(node: _Node | None) -> bytes:
    if node is None:
        # Unused slot: all zero except the three tree links (MS-CFB 2.6.3).
        return b"\x00" * 64 + struct.pack("<HBBIII", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM) + b"\x00" * 48
    encoded = node.name.encode("utf-16-le") + b"\x00\x00"
    size = len(node.data) if node.kind != _TYPE_STORAGE else 0
    start = node.start if node.kind != _TYPE_STORAGE else 0
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBBIII", len(encoded), node.kind, node.color, node.left, node.right, node.child)
        + b"\x00" * 16  # CLSID
        + b"\x00" * 4  # state bits
        + b"\x00" * 16  # creation and modification time
        + struct.pack("<IQ", start, size)
    )


def _chain(table: list[int], first: int, count: int) -> None:
    for i in range(count - 1):
        table[first + i] = first + i + 1
    table[first + count - 1] = _ENDOFCHAIN


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def build_compound_file(streams: Mapping[str, bytes], storages: Iterable[str] = ()) -> bytes:
    """Return the bytes of a CFB file holding ``streams``.

    ``streams`` maps "/"-separated paths (e.g. ``"VBA/dir"``) to contents;
    intermediate storages are created implicitly, ``storages`` adds extra
    (possibly empty) ones.  Names are at most 31 characters and may not
    contain ``/ \\ : !``.
    """
    root = _build_tree(streams, storages)

    # Directory order: breadth-first, siblings in CFB order, so sids are stable.
    entries: list[_Node] = [root]
    queue = [root]
    while queue:
        parent = queue.pop(0)
        kids = sorted(parent.children.values(), key=lambda n: cfb_name_key(n.name))
        for kid in kids:
            kid.sid = len(entries)
            entries.append(kid)
        parent.child = _link_siblings(kids)
        queue.extend(k for k in kids if k.kind == _TYPE_STORAGE)

    stream_nodes = [n for n in entries if n.kind == _TYPE_STREAM]
    small = [n for n in stream_nodes if 0 < len(n.data) < MINI_STREAM_CUTOFF]
    large = [n for n in stream_nodes if len(n.data) >= MINI_STREAM_CUTOFF]

    # Mini stream and mini FAT.
    mini_fat: list[int] = []
    mini_stream = bytearray()
    for node in small:
        count = _ceil_div(len(node.data), MINI_SECTOR_SIZE)
        node.start = len(mini_fat)
        mini_fat.extend([0] * count)
        _chain(mini_fat, node.start, count)
        mini_stream += node.data.ljust(count * MINI_SECTOR_SIZE, b"\x00")
    root.data = bytes(mini_stream)  # the root entry's stream *is* the mini stream

    # Sector allocation (before FAT/DIFAT, whose size depends on the total).
    fat_owner: list[int] = []  # next-sector values, filled as sectors are allocated
    body = bytearray()

    def allocate(data: bytes) -> int:
        if not data:
            return _ENDOFCHAIN
        count = _ceil_div(len(data), SECTOR_SIZE)
        first = len(fat_owner)
        fat_owner.extend([0] * count)
        _chain(fat_owner, first, count)
        body.extend(data.ljust(count * SECTOR_SIZE, b"\x00"))
        return first

    for node in large:
        node.start = allocate(node.data)
    root.start = allocate(root.data)

    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    if mini_fat:
        mini_fat_bytes = mini_fat_bytes.ljust(_ceil_div(len(mini_fat_bytes), SECTOR_SIZE) * SECTOR_SIZE, b"\xff")
    first_mini_fat = allocate(mini_fat_bytes)
    num_mini_fat = len(mini_fat_bytes) // SECTOR_SIZE

    slots = _ceil_div(len(entries), _ENTRIES_PER_SECTOR) * _ENTRIES_PER_SECTOR
    directory = b"".join(_entry_bytes(n) for n in entries) + _entry_bytes(None) * (slots - len(entries))
    first_dir = allocate(directory)

    # FAT and DIFAT sectors cover themselves: iterate to a fixed point.
    used = len(fat_owner)
    num_fat = num_difat = 0
    while True:
        total = used + num_fat + num_difat
        need_fat = _ceil_div(total, _IDS_PER_SECTOR)
        need_difat = _ceil_div(max(need_fat - _HEADER_DIFAT_SLOTS, 0), _IDS_PER_SECTOR - 1)
        if (need_fat, need_difat) == (num_fat, num_difat):
            break
        num_fat, num_difat = need_fat, need_difat
    if used + num_fat + num_difat > _MAX_REG_SECT:
        raise ValueError("compound file too large")

    first_difat_sector = used
    first_fat_sector = used + num_difat
    fat_sectors = list(range(first_fat_sector, first_fat_sector + num_fat))
    fat = fat_owner + [_DIFSECT] * num_difat + [_FATSECT] * num_fat
    fat += [_FREESECT] * (num_fat * _IDS_PER_SECTOR - len(fat))

    # DIFAT: the first 109 FAT sector ids sit in the header, the rest in chained DIFAT sectors.
    header_difat = fat_sectors[:_HEADER_DIFAT_SLOTS]
    header_difat += [_FREESECT] * (_HEADER_DIFAT_SLOTS - len(header_difat))
    difat_body = bytearray()
    rest = fat_sectors[_HEADER_DIFAT_SLOTS:]
    for i in range(num_difat):
        ids = rest[i * (_IDS_PER_SECTOR - 1) : (i + 1) * (_IDS_PER_SECTOR - 1)]
        ids += [_FREESECT] * (_IDS_PER_SECTOR - 1 - len(ids))
        nxt = first_difat_sector + i + 1 if i + 1 < num_difat else _ENDOFCHAIN
        difat_body += struct.pack(f"<{_IDS_PER_SECTOR}I", *ids, nxt)

    header = (
        _SIGNATURE
        + b"\x00" * 16  # header CLSID
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)  # minor, major v3, byte order, shifts
        + b"\x00" * 6
        + struct.pack(
            "<IIIIIIIII",
            0,  # number of directory sectors: must be 0 for version 3
            num_fat,
            first_dir,
            0,  # transaction signature
            MINI_STREAM_CUTOFF,
            first_mini_fat,
            num_mini_fat,
            first_difat_sector if num_difat else _ENDOFCHAIN,
            num_difat,
        )
        + struct.pack(f"<{_HEADER_DIFAT_SLOTS}I", *header_difat)
    )
    assert len(header) == SECTOR_SIZE
    return header + bytes(body) + bytes(difat_body) + struct.pack(f"<{len(fat)}I", *fat)
