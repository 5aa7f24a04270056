"""The sql target against a real PostgreSQL server (started by conftest's session fixture)."""
from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from data.errors import UpsellError
from pipeline.export import export_scores
from tests.pipeline.conftest import PG_PASSWORD, make_scored_list

pytestmark = pytest.mark.postgres


def test_upsert_round_trip(postgres_url: str) -> None:
    first = make_scored_list(4)
    first["name"] = ['=HYPERLINK("http://x","y")', "Acme", None, "Beta"]
    result = export_scores(first, "sql", postgres_url, table="scores_rt")
    assert PG_PASSWORD not in result.destination and "***" in result.destination

    second = make_scored_list(5, as_of="2026-11-21", model_version="4")
    second["name"] = ["Acme 2", "Acme", None, "Beta", "New"]
    second.loc[second["account_id"] == "A001", "score"] = 0.123456
    export_scores(second, "sql", postgres_url, table="scores_rt")

    engine = sa.create_engine(postgres_url)
    try:
        back = pd.read_sql("select * from scores_rt order by account_id", engine)
        pk = sa.inspect(engine).get_pk_constraint("scores_rt")["constrained_columns"]
    finally:
        engine.dispose()
    assert pk == ["account_id"]
    expected = second.sort_values("account_id").reset_index(drop=True)
    assert list(back.columns) == list(expected.columns)
    assert back["as_of"].dtype.kind == "M"
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


def test_existing_table_gets_upserted_in_one_transaction(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("create table crm_scores (account_id text primary key, as_of timestamp, "
                                 "score double precision, model_version text, note text)"))
            conn.execute(sa.text("insert into crm_scores values ('A000', '2026-01-01', 0.5, '1', 'keep me')"))
        frame = make_scored_list(3)[["account_id", "as_of", "score", "model_version"]]
        export_scores(frame, "sql", postgres_url, table="crm_scores")
        bad = frame.assign(not_a_column=1)
        with pytest.raises(UpsellError, match=r"lacks column\(s\) \['not_a_column'\]"):
            export_scores(bad, "sql", postgres_url, table="crm_scores")
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select account_id, score, model_version, note from crm_scores "
                                        "order by account_id")).fetchall()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("A000", 0.9, "3", "keep me"), ("A001", 0.75, "3", None),
                                        ("A002", 0.6, "3", None)]


def test_wrong_password_error_is_masked(postgres_url: str) -> None:
    wrong = postgres_url.replace(PG_PASSWORD, "not-the-password")
    with pytest.raises(UpsellError) as info:
        export_scores(make_scored_list(2), "sql", wrong, table="never")
    message = str(info.value)
    assert "not-the-password" not in message and PG_PASSWORD not in message
    assert "***" in message and "nothing was written" in message
