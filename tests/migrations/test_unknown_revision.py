"""A database at a revision this code does not have (a newer confdesk upgraded it): `upgrade`
refuses with UnknownSchema, naming both revisions, and changes nothing. SQLite and (with
CONFDESK_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import make_engine
from core.migrate import UnknownSchema, upgrade
from tests.migrations.test_stairway import empty_url  # noqa: F401 (fixture)


async def test_a_newer_revision_is_refused_with_a_message(empty_url: str) -> None:  # noqa: F811
    engine = make_engine(empty_url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            ours = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
            await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(UnknownSchema) as refused:
            await upgrade(engine)
        assert refused.value.params == {"revision": "9999", "ours": ours}
        assert refused.value.message.startswith(
            f"the database is at schema revision 9999, which this confdesk (schema {ours})"
        )
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() == "9999"
    finally:
        await engine.dispose()
