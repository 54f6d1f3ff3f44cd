from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from tests.factories import make_conference, make_delegation, make_item, make_registration


async def test_aware_datetimes_round_trip(session):
    conf = await make_conference(session)
    item = await make_item(session, conf, start=datetime(2024, 10, 31, 7, 0, tzinfo=UTC))
    await session.commit()
    session.expunge_all()
    from core.models import AgendaItem

    loaded = await session.get(AgendaItem, item.id)
    assert loaded.starts_at == datetime(2024, 10, 31, 7, 0, tzinfo=UTC)
    assert loaded.starts_at.tzinfo is not None


async def test_one_registration_per_participant_and_conference(session):
    conf = await make_conference(session)
    reg = await make_registration(session, conf)
    from core.models import Participant

    participant = await session.get(Participant, reg.participant_id)
    with pytest.raises(IntegrityError):
        await make_registration(session, conf, participant)


async def test_state_delegation_needs_a_country(session):
    from core.models import DelegationKind

    conf = await make_conference(session)
    with pytest.raises(IntegrityError):
        await make_delegation(session, conf, "XX", kind=DelegationKind.STATE, country=None)
