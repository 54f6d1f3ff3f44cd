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

from dataclasses import dataclass
from functools import lru_cache

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
    fixed: tuple[tuple[bool | None, ...], ...]  # function patterns; None where data goes
    cells: tuple[tuple[int, int], ...]  # the data modules, in the order bits fill them
    mask: int  # the mask bit of each data module, first cell = most significant bit


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
    fixed = tuple(tuple(row) for row in qr.modules)
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
    return _Template(fixed, tuple(cells), int(bits, 2))


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
def _ecc_table(degree: int) -> tuple[tuple[int, ...], ...]:
    """For each leading byte f, f times the generator polynomial of `degree` (without its
    leading 1): one Reed-Solomon step is then one row XORed into the remainder."""
    gen = [1]
    for i in range(degree):  # (x - a^0)(x - a^1)...(x - a^(degree-1))
        nxt = [*gen, 0]
        for j, g in enumerate(gen):
            if g:
                nxt[j + 1] ^= _EXP[_LOG[g] + i]
        gen = nxt
    rows = [(0,) * degree]
    for f in range(1, 256):
        rows.append(tuple(_EXP[_LOG[f] + _LOG[g]] if g else 0 for g in gen[1:]))
    return tuple(rows)


def _ecc(block: list[int], degree: int) -> list[int]:
    table = _ecc_table(degree)
    rem = [0] * degree
    for b in block:
        row = table[b ^ rem[0]]
        rem.append(0)
        rem = [r ^ m for r, m in zip(rem[1:], row, strict=True)]
    return rem


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


def qr_matrix(link: str, *, version: int | None = None, mask: int | None = None) -> Matrix:
    """The modules (True = dark) without the quiet zone."""
    if version is None or mask is None:
        version, mask = qr_plan(link)
    t = _template(version, mask)
    data = _codewords(link, version)
    size = len(t.cells)
    value = int.from_bytes(bytes(data)[: (size + 7) // 8].ljust((size + 7) // 8, b"\0"), "big")
    value >>= (size + 7) // 8 * 8 - size  # the bits beyond the last module are never drawn
    bits = f"{value ^ t.mask:0{size}b}"
    rows: Matrix = [list(r) for r in t.fixed]  # type: ignore[arg-type]
    for (r, c), bit in zip(t.cells, bits, strict=True):
        rows[r][c] = bit == "1"
    return rows


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
