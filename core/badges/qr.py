"""QR matrices for badge links, fast.

qrcode's defaults try the versions that fit and all 8 mask patterns, scoring each: about
5.7 ms a code. Every link of one print job has the same length (the token is fixed-size),
so the version is computed once, and the mask is the best one for a sample link, then
fixed (every code still decodes: tested with zxing-cpp).

With version and mask fixed, everything but the data bits is the same in every code of
the job: the finder, alignment and timing patterns, the format and version information,
the order the data modules are filled in and the mask over them. That template is built
once (`_template`) from qrcode's own setup; each code then costs qrcode's codewords
(Reed-Solomon included, `util.create_data`) and one XOR of big integers, several times
faster than qrcode's per-module `map_data` (the result is the same matrix: tested).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

import qrcode
from qrcode import util
from qrcode.base import rs_blocks
from qrcode.constants import ERROR_CORRECT_M

Matrix = list[list[bool]]


@lru_cache(maxsize=32)
def _plan(length: int, sample: str) -> tuple[int, int]:
    """(version, mask) for links of `length` bytes at error correction M."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    qr.add_data(sample, optimize=0)
    qr.make(fit=True)
    version = int(qr.version)
    mask = qr.best_mask_pattern()
    return version, mask


def qr_plan(link: str) -> tuple[int, int]:
    data = link.encode("utf-8")
    return _plan(len(data), link)


@dataclass(frozen=True, slots=True)
class _Template:
    size: int  # modules per side
    cells: int  # data modules
    mask: int  # the mask bit of each data module, first cell = most significant bit
    # every module of the matrix, row by row, each row padded with light modules to
    # `row_width` (whole bytes, at least one guard: a dark run never continues on the
    # next row), as an index into the data bits
    # followed by "01": a data module takes its bit, a fixed light one "0", a fixed dark "1"
    pick: Callable[[str], tuple[str, ...]]


def row_width(n: int) -> int:
    """Modules per row in `qr_modules`: n and at least one light guard, in whole bytes."""
    return (n + 8) // 8 * 8


@lru_cache(maxsize=8)
def _template(version: int, mask: int) -> _Template:
    qr = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M, mask_pattern=mask, border=0)
    n = qr.modules_count = version * 4 + 17
    qr.modules = [[None] * n for _ in range(n)]
    qr.setup_position_probe_pattern(0, 0)
    qr.setup_position_probe_pattern(n - 7, 0)
    qr.setup_position_probe_pattern(0, n - 7)
    qr.setup_position_adjust_pattern()
    qr.setup_timing_pattern()
    qr.setup_type_info(False, mask)
    if version >= 7:
        qr.setup_type_number(False)
    fixed = qr.modules
    cells: list[tuple[int, int]] = []
    row, inc = n - 1, -1
    for col in range(n - 1, 0, -2):  # the same walk as qrcode's map_data
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if fixed[row][c] is None:
                    cells.append((row, c))
            row += inc
            if row < 0 or row >= n:
                row -= inc
                inc = -inc
                break
    masked = util.mask_func(mask)
    bits = "".join("1" if masked(r, c) else "0" for r, c in cells)
    where = {cell: i for i, cell in enumerate(cells)}
    light, dark = len(cells), len(cells) + 1
    width = row_width(n)
    order = [
        where.get((r, c), dark if fixed[r][c] else light) if c < n else light for r in range(n) for c in range(width)
    ]
    return _Template(n, len(cells), int(bits, 2), itemgetter(*order))


_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _EXP[_i + 255] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D


@lru_cache(maxsize=8)
def _ecc_table(degree: int) -> tuple[int, ...]:
    """For each leading byte f, f times the generator polynomial of `degree` (without its
    leading 1), as one big integer of `degree` bytes: one Reed-Solomon step is then a
    shift and one XOR of the remainder (an integer too)."""
    gen = [1]
    for i in range(degree):  # (x - a^0)(x - a^1)...(x - a^(degree-1))
        nxt = [*gen, 0]
        for j, g in enumerate(gen):
            if g:
                nxt[j + 1] ^= _EXP[_LOG[g] + i]
        gen = nxt
    rows = [0]
    for f in range(1, 256):
        rows.append(int.from_bytes(bytes(_EXP[_LOG[f] + _LOG[g]] if g else 0 for g in gen[1:]), "big"))
    return tuple(rows)


def _ecc(block: list[int], degree: int) -> list[int]:
    table = _ecc_table(degree)
    top = 8 * (degree - 1)
    full = (1 << 8 * degree) - 1
    rem = 0
    for b in block:
        rem = ((rem << 8) & full) ^ table[b ^ (rem >> top)]
    return list(rem.to_bytes(degree, "big"))


def _codewords(link: str, version: int) -> list[int]:
    """The codewords of `link` in byte mode at error correction M, interleaved with their
    Reed-Solomon blocks: what qrcode's util.create_data gives, without its polynomial
    objects (several times faster)."""
    chunk = util.QRData(link)
    if chunk.mode != util.MODE_8BIT_BYTE:  # never for a link (lower case), but stay exact
        return list(util.create_data(version, ERROR_CORRECT_M, [chunk]))
    raw = link.encode("utf-8")
    blocks = rs_blocks(version, ERROR_CORRECT_M)
    limit = sum(b.data_count for b in blocks) * 8
    count_bits = util.length_in_bits(util.MODE_8BIT_BYTE, version)
    value, bits = util.MODE_8BIT_BYTE, 4
    value = (value << count_bits) | len(raw)
    bits += count_bits
    value = (value << len(raw) * 8) | int.from_bytes(raw, "big")
    bits += len(raw) * 8
    if bits > limit:
        raise ValueError(f"{len(raw)} bytes do not fit a version {version} code")
    pad = min(limit - bits, 4)  # terminator, then to a whole byte
    pad += (8 - (bits + pad) % 8) % 8
    value <<= pad
    bits += pad
    body = list(value.to_bytes(bits // 8, "big"))
    fill = (limit - bits) // 8
    body += [0xEC, 0x11] * (fill // 2) + [0xEC] * (fill % 2)
    dc: list[list[int]] = []
    ec: list[list[int]] = []
    at = 0
    for b in blocks:
        part = body[at : at + b.data_count]
        at += b.data_count
        dc.append(part)
        ec.append(_ecc(part, b.total_count - b.data_count))
    out: list[int] = []
    for group in (dc, ec):
        for i in range(max(len(g) for g in group)):
            out += [g[i] for g in group if i < len(g)]
    return out


def qr_modules(link: str, *, version: int | None = None, mask: int | None = None) -> tuple[int, str]:
    """(modules per side, every module row by row as "1" dark / "0" light, each row padded
    with "0" to `row_width(side)`), no quiet zone."""
    if version is None or mask is None:
        version, mask = qr_plan(link)
    t = _template(version, mask)
    data = _codewords(link, version)
    whole = (t.cells + 7) // 8
    value = int.from_bytes(bytes(data)[:whole].ljust(whole, b"\0"), "big")
    value >>= whole * 8 - t.cells  # the bits beyond the last module are never drawn
    bits = f"{value ^ t.mask:0{t.cells}b}"
    return t.size, "".join(t.pick(bits + "01"))


def qr_matrix(link: str, *, version: int | None = None, mask: int | None = None) -> Matrix:
    """The modules (True = dark) without the quiet zone."""
    n, flat = qr_modules(link, version=version, mask=mask)
    w = row_width(n)
    return [[ch == "1" for ch in flat[i : i + n]] for i in range(0, n * w, w)]


_DARK = re.compile("1+")


def runs_of(n: int, flat: str) -> list[tuple[int, int, int]]:
    """`dark_runs` of a matrix given as `qr_modules` gives it."""
    w = row_width(n)
    return [(*divmod(m.start(), w), m.end() - m.start()) for m in _DARK.finditer(flat)]


def dark_runs(matrix: Matrix) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules as (row, first column, length): one rectangle each."""
    runs: list[tuple[int, int, int]] = []
    for r, row in enumerate(matrix):
        start = -1
        for c, dark in enumerate(row):
            if dark:
                if start < 0:
                    start = c
            elif start >= 0:
                runs.append((r, start, c - start))
                start = -1
        if start >= 0:
            runs.append((r, start, len(row) - start))
    return runs
