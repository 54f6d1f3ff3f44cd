"""Typed callback data (at most 64 bytes each, checked by the emulator)."""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData


class SkipCB(CallbackData, prefix="skip"):
    step: Literal["native", "organisation"]


class KindCB(CallbackData, prefix="dk"):
    kind: str  # a DelegationKind value, or "none" for no delegation


class DelegationPageCB(CallbackData, prefix="dp"):
    kind: str
    page: int


class DelegationCB(CallbackData, prefix="dl"):
    id: int


class CategoryCB(CallbackData, prefix="cat"):
    value: str


class ConsentCB(CallbackData, prefix="consent"):
    agree: bool


class SummaryCB(CallbackData, prefix="sum"):
    action: Literal["confirm", "edit", "cancel"]


class FieldCB(CallbackData, prefix="fld"):
    field: Literal["full_name", "native_name", "delegation", "category", "position", "organisation"]


class DecisionCB(CallbackData, prefix="dec"):
    action: Literal["approve", "reject"]
    id: int


class LanguageCB(CallbackData, prefix="lang"):
    code: Literal["en", "ru"]


class ConfirmCB(CallbackData, prefix="ok"):
    action: Literal["withdraw", "forget"]
    yes: bool


class RevokeInviteCB(CallbackData, prefix="rvk"):
    id: int


class GateCB(CallbackData, prefix="gate"):
    direction: Literal["in", "out"]


# -- agenda (bot/routers/agenda.py) ---------------------------------------------------------


class AgendaDayCB(CallbackData, prefix="agd"):
    day: str  # conference-local date, YYYYMMDD
    page: int = 0


class AgendaItemCB(CallbackData, prefix="agi"):
    id: int
    page: int = 0  # the day's page to go back to


class AgendaActCB(CallbackData, prefix="aga"):
    action: Literal["in", "wait", "out", "give"]  # sign up, join the waiting list, leave, give back
    id: int
    page: int = 0
    anyway: bool = False  # "in"/"wait" after the overlap with items already chosen was shown


# -- organiser reports and broadcasts (bot/routers/organiser.py, broadcast.py) ------------


class AttendanceCB(CallbackData, prefix="att"):
    view: Literal["menu", "dl", "d", "il", "i", "days"]  # menu, delegation list/one, item list/one, days
    day: int = 0  # YYYYMMDD, 0 = today
    page: int = 0
    id: int = 0


class ChartCB(CallbackData, prefix="chart"):
    kind: Literal["hours", "deleg"]
    day: int = 0  # YYYYMMDD, 0 = today


class FindCB(CallbackData, prefix="fnd"):
    id: int  # registration id


class AudienceCB(CallbackData, prefix="bca"):
    kind: Literal["approved", "delegation", "category", "item", "inside"]
    value: str = ""  # "" = show the picker; else the chosen delegation id, category or item id
    page: int = 0


class BroadcastConfirmCB(CallbackData, prefix="bcc"):
    send: bool


class GatePlaceCB(CallbackData, prefix="gp"):
    item: int  # agenda item id; 0 = the venue entrance
