"""FSM states and the typed data they carry (JSON-safe, so Redis storage works)."""

from __future__ import annotations

from typing import Literal, TypeVar

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import DEFAULT_DESTINY
from pydantic import BaseModel

from core.models import Category, ScanDirection

# FSM namespaces ("destinies") of a chat: the default one, and the door's chosen gate.
GATE_DESTINY = "gate"
DESTINIES = (DEFAULT_DESTINY, GATE_DESTINY)


class Signup(StatesGroup):
    name = State()
    native_name = State()
    delegation = State()
    category = State()
    position = State()
    organisation = State()
    consent = State()
    summary = State()


class Officer(StatesGroup):
    reject_reason = State()


class SignupDraft(BaseModel):
    """What the wizard has gathered so far. `mode`: the person signs up themselves, edits
    their registration, or a head of delegation registers a member."""

    mode: Literal["self", "edit", "behalf"] = "self"
    full_name: str | None = None
    native_name: str | None = None
    native_done: bool = False
    delegation_id: int | None = None
    delegation_done: bool = False
    delegation_locked: bool = False
    category: Category | None = None
    category_locked: bool = False
    position: str | None = None
    organisation: str | None = None
    organisation_done: bool = False
    consent: bool = False
    invitation_token: str | None = None
    registration_id: int | None = None
    back_to_summary: bool = False


class GateChoice(BaseModel):
    """Where door staff scan (kept in the GATE_DESTINY namespace: see bot/flows/door.py)."""

    item_id: int | None = None  # None: the venue entrance
    label: str = ""
    direction: ScanDirection = ScanDirection.IN


class RejectDraft(BaseModel):
    registration_id: int
    officer_message_id: int | None = None


M = TypeVar("M", bound=BaseModel)


async def load(state: FSMContext, model: type[M], key: str = "draft") -> M:
    data = await state.get_data()
    return model.model_validate(data.get(key) or {})


async def save(state: FSMContext, value: BaseModel, key: str = "draft") -> None:
    await state.update_data({key: value.model_dump(mode="json")})


class Broadcasting(StatesGroup):
    text = State()
    audience = State()
    confirm = State()


class BroadcastDraft(BaseModel):
    text: str = ""  # HTML, as Telegram gave it (message.html_text)
    kind: str | None = None  # an AudienceKind value
    value: str | None = None
