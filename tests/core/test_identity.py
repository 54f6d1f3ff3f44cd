from datetime import UTC, datetime

from core.models import StaffRole, StaffRoleName, UserPref
from core.people.identity import identify
from tests.factories import make_conference, make_participant


async def test_one_statement_answers_for_every_account_in_a_batch(session):
    minsk = await make_conference(session)
    other = await make_conference(session, slug="minsk-2023", edition=1)
    await make_participant(session, telegram_id=1, language="ru")
    await make_participant(session, telegram_id=2, language="ru", blocked_bot_at=datetime(2024, 10, 1, tzinfo=UTC))
    session.add(UserPref(telegram_id=2, language="en", chosen=True))  # /language wins over the participant's
    session.add(UserPref(telegram_id=3, language="ru", chosen=False))  # an officer, not a participant
    session.add(StaffRole(conference_id=minsk.id, telegram_id=3, role=StaffRoleName.ACCREDITATION))
    session.add(StaffRole(conference_id=minsk.id, telegram_id=3, role=StaffRoleName.DOOR))
    session.add(StaffRole(conference_id=other.id, telegram_id=1, role=StaffRoleName.ADMIN))  # another edition
    await session.commit()

    found = await identify(session, [1, 2, 3, 4, 3], conference=minsk, admin_ids=[4])

    assert set(found) == {1, 2, 3, 4}
    assert (found[1].language, found[1].known, found[1].blocked, found[1].roles) == ("ru", False, False, set())
    assert (found[2].language, found[2].known, found[2].blocked) == ("en", True, True)
    assert found[3].language == "ru" and found[3].roles == {StaffRoleName.ACCREDITATION, StaffRoleName.DOOR}
    assert found[4].language is None and not found[4].known and found[4].roles == set(StaffRoleName)
    assert all(who.conference is minsk for who in found.values())
    assert await identify(session, [], conference=minsk, admin_ids=[]) == {}


async def test_without_a_conference_only_the_admin_list_grants_roles(session):
    minsk = await make_conference(session)
    session.add(StaffRole(conference_id=minsk.id, telegram_id=5, role=StaffRoleName.DOOR))
    await session.commit()
    found = await identify(session, [5, 6], conference=None, admin_ids=[6])
    assert found[5].roles == set() and found[6].roles == set(StaffRoleName)
