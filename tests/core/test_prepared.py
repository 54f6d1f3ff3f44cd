"""core.checkin.prepared: a Core statement compiled once for asyncpg takes its parameters by
name, in the compiled order, through the bind processors SQLAlchemy would apply, with a
column's scalar default filled in once; what cannot be filled in once is refused."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, bindparam, insert, select

from core.checkin import tables as t
from core.checkin.prepared import Prepared
from core.models import ScanDirection, ScanResult


def test_parameters_in_order_through_the_bind_processors_with_the_default_filled_in():
    stored = Prepared(t.insert_scan(pg=True))
    at = datetime(2024, 10, 31, 7, tzinfo=UTC)
    values = t.scan_params(
        conference_id=1, registration_id=2, agenda_item_id=None, direction=ScanDirection.IN, result=ScanResult.OK,
        scanned_at=at, staff_telegram_id=5, gate="Main", badge_version=1, raw="x", nonce=None,
    )  # fmt: skip
    assert stored.sql.startswith("INSERT INTO scan (") and "$12" in stored.sql and "$13" not in stored.sql
    assert stored.args(values) == [1, 2, None, "in", "ok", at, 5, "Main", 1, "x", None, False]  # offline: False
    with pytest.raises(ValueError, match="naive"):  # UTCDateTime's check, as SQLAlchemy applies it
        stored.args(values | {"s_scanned_at": datetime(2024, 10, 31, 7)})


def test_a_select_row_has_its_columns_by_name():
    query = Prepared(select(t.scan.c.id, t.scan.c.gate.label("door")).where(t.scan.c.id == bindparam("id")))
    assert query.args({"id": 3}) == [3]
    row = query._row._make((3, "Main"))
    assert (row.id, row.door) == (3, "Main")


def test_a_default_computed_per_row_is_refused():
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("at", DateTime, default=datetime.now)
    )
    with pytest.raises(ValueError, match="scalar default"):
        Prepared(insert(table).values(id=bindparam("id")))
