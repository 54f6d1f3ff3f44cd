"""Badge codes: the signed token a badge carries and the deep link its QR code holds.

Token format (v1), 24 bytes, base64url without padding = 32 characters:

    byte 0      format version (1)
    bytes 1-4   registration id, unsigned big-endian
    bytes 5-6   badge version, unsigned big-endian
    bytes 7-23  HMAC-SHA256(secret, b"confdesk-badge\\x00" + bytes 0-6), first 17 bytes (136 bits)

24 bytes encode to exactly 32 base64 characters, so there are no spare bits: every
character of a valid token matters and the decoder accepts one spelling only. The start
parameter `b_<token>` is 34 characters of [A-Za-z0-9_-] (Telegram allows 64).

The conference is not inside the MAC: a registration id is a global primary key that
already belongs to exactly one conference, and the check-in service rejects a code of
another conference after its lookup ("invalid", detail "other_conference").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct

from core import links

TOKEN_FORMAT = 1
_DOMAIN = b"confdesk-badge\x00"
_HEAD = struct.Struct(">BIH")  # format, registration id, badge version
_MAC_BYTES = 17
TOKEN_BYTES = _HEAD.size + _MAC_BYTES  # 24
TOKEN_LENGTH = 32  # base64url characters
START_PREFIX = links.BADGE

_TOKEN_RE = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")
_LINK_RE = re.compile(
    r"(?:https?://)?(?:t\.me|telegram\.me)/[A-Za-z0-9_]{4,64}/?\?start=(?P<param>[A-Za-z0-9_-]{1,64})"
)


def _mac(secret: bytes, head: bytes) -> bytes:
    return hmac.new(secret, _DOMAIN + head, hashlib.sha256).digest()[:_MAC_BYTES]


def make_token(secret: bytes, registration_id: int, version: int) -> str:
    """The 32-character token for one registration at one badge version."""
    if not 0 < registration_id < 2**32 or not 0 < version < 2**16:
        raise ValueError("registration id or badge version out of range")
    head = _HEAD.pack(TOKEN_FORMAT, registration_id, version)
    return base64.urlsafe_b64encode(head + _mac(secret, head)).decode("ascii").rstrip("=")


def _decode(token: str) -> bytes | None:
    """The token's bytes, if it has a token's shape."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == TOKEN_BYTES else None


def _head(raw: bytes) -> tuple[int, int] | None:
    fmt, registration_id, version = _HEAD.unpack(raw[: _HEAD.size])
    if fmt != TOKEN_FORMAT or registration_id == 0 or version == 0:
        return None
    return registration_id, version


def verify_token(secret: bytes, token: str) -> tuple[int, int] | None:
    """(registration_id, version) if the MAC is right, else None. Whether that version is
    still the current one (or was revoked by a reissue) is for the caller to check."""
    raw = _decode(token)
    if raw is None or not hmac.compare_digest(raw[_HEAD.size :], _mac(secret, raw[: _HEAD.size])):
        return None
    return _head(raw)


def read_head(token: str) -> tuple[int, int] | None:
    """(registration_id, version) a token claims, WITHOUT checking its MAC: for a kiosk's
    offline copy, which holds a digest of each issued token instead of the secret."""
    raw = _decode(token)
    return None if raw is None else _head(raw)


def parse_scanned(text: str) -> str | None:
    """The token in what a scanner or a person typed: the full deep link, `b_<token>` or the
    bare token, with stray whitespace or CR around it. None for anything else."""
    if not isinstance(text, str):
        return None
    text = text.strip().strip("\ufeff").strip()
    if not text or len(text) > 256:
        return None
    match = _LINK_RE.fullmatch(text)
    if match:
        text = match.group("param")
    if text.startswith(START_PREFIX) and len(text) == len(START_PREFIX) + TOKEN_LENGTH:
        text = text[len(START_PREFIX) :]
    return text if _TOKEN_RE.fullmatch(text) else None


badge_link = links.badge_link  # what a badge's QR code holds
