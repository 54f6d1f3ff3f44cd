"""Who is asking: Telegram's `initData` for the Mini App, signed board links for a browser.

initData (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
the query string Telegram hands the page. Its `hash` is
HMAC-SHA256(key=HMAC-SHA256(key="WebAppData", msg=bot_token), msg=data_check_string), where
data_check_string is every other field as `key=value`, sorted by key, joined by "\\n". We also
require `auth_date` no older than MAX_AGE (and not from the future beyond CLOCK_SKEW) and a
`user` with a numeric id. Anything else is refused with a reason (never with the data).

Board links: `<conference id>.<expires, unix seconds>.<signature>`, the signature a
base64url HMAC-SHA256 of the first two parts with a key derived from the bot token (so a
link is worthless to another bot and dies with a token change). A link gives the board's
counts only: nothing personal is ever served for one.

No aiogram here: the web server, the tests and the benchmark import this cheaply.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

MAX_AGE = 3600  # seconds an initData stays good (Telegram's advice: check auth_date)
CLOCK_SKEW = 300  # an auth_date this far in the future is still accepted (phones' clocks)
MAX_INIT_DATA = 8192  # Telegram's are well under 1 KB


class AuthError(Exception):
    """Not authenticated (HTTP 401); `reason` is a short code safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    id: int
    first_name: str
    language_code: str | None
    auth_date: int


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields)).encode()


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would build it for `fields` (tests, the benchmark, the demo)."""
    from urllib.parse import urlencode

    digest = hmac.new(_secret_key(bot_token), _check_string(fields), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def validate_init_data(init_data: str, bot_token: str, *, now: float | None = None) -> WebAppUser:
    """The user `init_data` vouches for, or AuthError: missing, forged (or signed for another
    bot), stale, or without a user."""
    if not init_data:
        raise AuthError("missing")
    if len(init_data) > MAX_INIT_DATA:
        raise AuthError("malformed")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise AuthError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a key given twice: which one was signed?
        raise AuthError("malformed")
    given = fields.pop("hash", "")
    expected = hmac.new(_secret_key(bot_token), _check_string(fields), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise AuthError("bad_signature")
    try:
        auth_date = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, TypeError, KeyError):
        raise AuthError("malformed") from None
    now = time.time() if now is None else now
    if now - auth_date > MAX_AGE or auth_date - now > CLOCK_SKEW:
        raise AuthError("expired")
    language = user.get("language_code")
    return WebAppUser(
        user_id, str(user.get("first_name") or ""), language if isinstance(language, str) else None, auth_date
    )


# -- board links -----------------------------------------------------------------------------


def _board_key(bot_token: str) -> bytes:
    return hmac.new(b"confdesk board link", bot_token.encode(), hashlib.sha256).digest()


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_board(conference_id: int, expires: int, bot_token: str) -> str:
    body = f"{conference_id}.{expires}"
    return f"{body}.{_mac(_board_key(bot_token), body)}"


def check_board(token: str, bot_token: str, *, now: float | None = None) -> int:
    """The conference id a board link is for, or AuthError (forged, malformed, expired)."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not token:
        raise AuthError("missing" if not token else "malformed")
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2].encode(), _mac(_board_key(bot_token), body).encode()):
        raise AuthError("bad_signature")
    conference_id, expires = int(parts[0]), int(parts[1])  # signed by us: digits
    if (time.time() if now is None else now) >= expires:
        raise AuthError("expired")
    return conference_id
