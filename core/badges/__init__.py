"""Badges: the signed code on each badge, reissuing it, and what a badge shows.

- tokens.py: signing and verifying badge tokens; the deep link a badge's QR code holds.
- reissue.py: a new code for a lost badge (the old one scans as revoked).
- printing.py: `BadgeInfo`/`ConferenceInfo` and the queries a print run or the chat uses.
- chat.py: the badge a participant gets in the chat (/badge).
- image.py, pdf.py, layout.py, qr.py: rendering (PNG for the chat, print-ready PDFs).

The signing key and the bot's username are app settings: core/app_settings.py.
"""

from core.badges.printing import (
    BadgeInfo,
    ConferenceInfo,
    conference_info,
    count_badges,
    iter_badges,
    load_badge,
    mark_printed,
)
from core.badges.reissue import reissue_badge
from core.badges.tokens import badge_link, make_token, parse_scanned, read_head, verify_token

__all__ = [
    "BadgeInfo",
    "ConferenceInfo",
    "badge_link",
    "conference_info",
    "count_badges",
    "iter_badges",
    "load_badge",
    "make_token",
    "mark_printed",
    "parse_scanned",
    "read_head",
    "reissue_badge",
    "verify_token",
]
