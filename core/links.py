"""Links into the bot: the one place that knows how a t.me deep link is made and which
payload prefix means what. `/start <payload>` arrives with one of these:

- `inv_<token>`: an invitation of a delegation (core/accreditation/registration/invitations.py)
- `bind_<token>`: a personal link that ties an imported person to a Telegram account
- `b_<token>`: a badge, scanned by door staff (core/badges)
"""

from __future__ import annotations

INVITATION = "inv_"
BIND = "bind_"
BADGE = "b_"


def bot_link(bot_username: str, payload: str) -> str:
    """https://t.me/<bot>?start=<payload>: opens the bot and sends /start <payload>."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"


def invitation_link(bot_username: str, token: str) -> str:
    return bot_link(bot_username, INVITATION + token)


def bind_link(bot_username: str, token: str) -> str:
    return bot_link(bot_username, BIND + token)


def badge_link(bot_username: str, token: str) -> str:
    return bot_link(bot_username, BADGE + token)
