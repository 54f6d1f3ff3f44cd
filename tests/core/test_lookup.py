"""An agenda item is named by its code (any case) or its number, in one place."""

import pytest

from core.errors import NotFound
from core.programme.lookup import find_agenda_item
from tests.factories import make_conference, make_item


async def test_code_then_number_then_a_list_of_codes(session):
    conf = await make_conference(session)
    other = await make_conference(session, slug="other-2025")
    high = await make_item(session, conf, "high-level")
    migration = await make_item(session, conf, "migration")
    numeric = await make_item(session, conf, str(high.id + 1000))  # a code that looks like a number
    foreign = await make_item(session, other, "foreign")
    await session.commit()

    assert (await find_agenda_item(session, conf, "high-level")).id == high.id
    assert (await find_agenda_item(session, conf, " High-Level ")).id == high.id
    assert (await find_agenda_item(session, conf, str(migration.id))).id == migration.id
    assert (await find_agenda_item(session, conf, f"#{migration.id}")).id == migration.id
    assert (await find_agenda_item(session, conf, migration.id)).id == migration.id
    # a code wins over an id with the same digits
    assert (await find_agenda_item(session, conf, str(high.id + 1000))).id == numeric.id

    for ref in ("plenary", str(foreign.id), "foreign"):
        with pytest.raises(NotFound) as err:
            await find_agenda_item(session, conf, ref)
        assert err.value.code == "agenda_item_not_found"
        assert f"no agenda item '{ref}' in {conf.slug}" in err.value.message
        assert "high-level" in err.value.message and "migration" in err.value.message


async def test_same_code_in_two_cases_needs_the_exact_one(session):
    conf = await make_conference(session)
    lower = await make_item(session, conf, "hl")
    upper = await make_item(session, conf, "HL")
    await session.commit()
    assert (await find_agenda_item(session, conf, "HL")).id == upper.id
    assert (await find_agenda_item(session, conf, "hl")).id == lower.id
    with pytest.raises(NotFound):
        await find_agenda_item(session, conf, "Hl")
