"""Export targets: mappings, file outputs, determinism, SQLite upserts, errors."""
from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from data.errors import UpsellError
from pipeline.export import TARGETS, FieldMapping, FieldSpec, export_scores, load_mapping, read_scored_list
from pipeline.export.salesforce import DEFAULT_MAPPING
from tests.pipeline.conftest import make_scored_list


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_registry_lists_the_contract_targets() -> None:
    assert set(TARGETS) == {"salesforce", "hubspot", "csv", "parquet", "sql"}


def test_salesforce_default_mapping(tmp_path: Path, scored_list: pd.DataFrame) -> None:
    result = export_scores(scored_list, "salesforce", tmp_path)  # a directory: default file name
    path = tmp_path / "upsell_salesforce.csv"
    rows = _rows(path)
    assert result.destination == str(path) and result.rows_written == 5
    assert list(rows[0])[0] == "Upsell_Account_Id__c"
    assert rows[0]["Upsell_Account_Id__c"] == "A000"
    assert rows[0]["Upsell_As_Of__c"] == "2026-11-20"  # Salesforce date fields: YYYY-MM-DD
    assert rows[0]["Upsell_Due_Date__c"] == "2026-11-27"
    assert rows[0]["Upsell_Model_Version__c"] == "3"
    assert float(rows[1]["Upsell_Score__c"]) == pytest.approx(0.75)
    assert rows[0]["Upsell_Reason_3__c"] == ""
    assert "Name" not in rows[0]  # optional: only when accounts' name was joined in


def test_salesforce_mapping_file_overrides_defaults(tmp_path: Path, scored_list: pd.DataFrame) -> None:
    mapping = tmp_path / "sf.toml"
    mapping.write_text(
        'key = "Ext_Id__c"\ninclude_defaults = true\n[fields]\n'
        'account_id = "Ext_Id__c"\n'
        'score = "Propensity__c"\n'
        'due_at = { field = "Due__c", type = "datetime" }\n'
    )
    export_scores(scored_list, "salesforce", tmp_path / "sf.csv", mapping=mapping)
    row = _rows(tmp_path / "sf.csv")[0]
    assert row["Ext_Id__c"] == "A000" and "Upsell_Account_Id__c" not in row
    assert row["Propensity__c"] == "0.9"
    assert row["Due__c"] == "2026-11-27T00:00:00Z"
    assert row["Upsell_Action__c"] == "call"  # default fields kept


def test_yaml_mapping_replaces_defaults(tmp_path: Path, scored_list: pd.DataFrame) -> None:
    mapping = tmp_path / "sf.yaml"
    mapping.write_text("key: Ext__c\nfields:\n  account_id: Ext__c\n  score: S__c\n  as_of: {field: D__c, type: date}\n"
                       "  model_version: V__c\n")
    export_scores(scored_list, "salesforce", tmp_path / "sf.csv", mapping=mapping)
    rows = _rows(tmp_path / "sf.csv")
    assert list(rows[0]) == ["Ext__c", "S__c", "D__c", "V__c"]
    assert rows[4] == {"Ext__c": "A004", "S__c": "0.3", "D__c": "2026-11-20", "V__c": "3"}


@pytest.mark.parametrize("text, message", [
    ('key = "X"\n[fields]\naccount_id = "X"\nas_of = "D"\n', "model_version"),
    ('key = "Nope"\n[fields]\naccount_id = "X"\nas_of = "D"\nmodel_version = "V"\n', "key 'Nope'"),
    ('key = "X"\n[fields]\naccount_id = "X"\nas_of = {field = "D", type = "day"}\nmodel_version = "V"\n', "type 'day'"),
    ('key = "X"\nfeilds = 1\n', "unknown key"),
    ('key = "X"\n[fields]\naccount_id = "X"\nas_of = "D"\nmodel_version = "V"\nnot_a_column = "Z"\n', "not_a_column"),
])
def test_bad_mapping_files_name_the_problem(tmp_path: Path, scored_list: pd.DataFrame, text: str, message: str) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(text)
    with pytest.raises(UpsellError, match=message):
        export_scores(scored_list, "salesforce", tmp_path / "sf.csv", mapping=mapping)
    assert not (tmp_path / "sf.csv").exists()


def test_hubspot_keys_on_record_id_domain_or_unique_property(tmp_path: Path, scored_list: pd.DataFrame) -> None:
    plain = export_scores(scored_list, "hubspot", tmp_path / "hs.csv")
    assert plain.columns[0] == "upsell_account_id"  # a "require unique values" company property
    assert _rows(tmp_path / "hs.csv")[0]["upsell_account_id"] == "A000"
    crosswalk = pd.DataFrame({"account_id": scored_list["account_id"], "domain": [f"a{i}.example" for i in range(5)]})
    result = export_scores(scored_list, "hubspot", tmp_path / "hs.csv", attributes=crosswalk)
    rows = _rows(tmp_path / "hs.csv")
    assert result.columns[0] == "domain"
    assert rows[2]["domain"] == "a2.example" and rows[2]["upsell_account_id"] == "A002"
    assert rows[2]["upsell_as_of"] == "2026-11-20" and rows[2]["upsell_model_version"] == "3"


def test_hubspot_prefers_record_id(tmp_path: Path, scored_list: pd.DataFrame) -> None:
    attrs = pd.DataFrame({"account_id": ["A000", "A001"], "hs_object_id": ["9001", "9002"], "domain": ["a", "b"]})
    with pytest.raises(UpsellError, match="key column 'hs_object_id' is empty in 3 row"):
        export_scores(scored_list, "hubspot", tmp_path / "hs.csv", attributes=attrs)
    export_scores(scored_list.head(2), "hubspot", tmp_path / "hs.csv", attributes=attrs)
    assert [r["hs_object_id"] for r in _rows(tmp_path / "hs.csv")] == ["9001", "9002"]


def test_csv_and_parquet_are_deterministic_and_carry_version(tmp_path: Path, scored_list: pd.DataFrame) -> None:
    shuffled = scored_list.sample(frac=1.0, random_state=3)
    a = export_scores(scored_list, "parquet", tmp_path / "a.parquet")
    b = export_scores(shuffled, "parquet", tmp_path / "b.parquet")
    assert a.sha256 == b.sha256
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    back = pd.read_parquet(tmp_path / "a.parquet")
    pd.testing.assert_frame_equal(back, scored_list, check_dtype=False)
    c = export_scores(shuffled, "csv", tmp_path / "c.csv")
    d = export_scores(scored_list, "csv", tmp_path / "d.csv")
    assert c.sha256 == d.sha256
    rows = _rows(tmp_path / "c.csv")
    assert all(r["model_version"] == "3" and r["as_of"] == "2026-11-20T00:00:00" for r in rows)
    assert read_scored_list(tmp_path / "c.csv")["as_of"].iloc[0] == pd.Timestamp("2026-11-20")


def test_bad_scored_lists_write_nothing(tmp_path: Path, scored_list: pd.DataFrame) -> None:
    no_version = scored_list.assign(model_version=[None, "3", "3", "3", "3"])
    with pytest.raises(UpsellError, match="model_version.*not empty"):
        export_scores(no_version, "csv", tmp_path / "x.csv")
    two_nights = scored_list.copy()
    two_nights.loc[0, "as_of"] = pd.Timestamp("2026-11-19")
    with pytest.raises(UpsellError, match="one scoring night"):
        export_scores(two_nights, "csv", tmp_path / "x.csv")
    dupes = pd.concat([scored_list, scored_list.head(1)])
    with pytest.raises(UpsellError, match="account_id.*unique"):
        export_scores(dupes, "csv", tmp_path / "x.csv")
    with pytest.raises(UpsellError, match="unknown target"):
        export_scores(scored_list, "excel", tmp_path / "x.csv")
    assert not any(tmp_path.iterdir())


def test_existing_file_is_untouched_when_export_fails(tmp_path: Path, scored_list: pd.DataFrame) -> None:
    path = tmp_path / "sf.csv"
    path.write_text("previous export\n")
    with pytest.raises(UpsellError):
        export_scores(scored_list.drop(columns=["score"]), "salesforce", path)
    assert path.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["sf.csv"]


def test_sqlite_upsert_round_trip(tmp_path: Path, scored_list: pd.DataFrame) -> None:
    db = tmp_path / "crm.db"
    first = export_scores(scored_list, "sql", db)
    assert first.destination == f"sqlite:///{db} table upsell_scores"
    changed = make_scored_list(6, as_of="2026-11-21", model_version="4")
    changed.loc[0, "score"] = 0.11
    export_scores(changed, "sql", str(db))
    with sqlite3.connect(db) as con:
        back = pd.read_sql("select * from upsell_scores order by account_id", con)
        pk = [r[1] for r in con.execute("pragma table_info(upsell_scores)") if r[5]]
    assert pk == ["account_id"]
    assert len(back) == 6
    assert back.loc[0, "score"] == pytest.approx(0.11)
    assert set(back["model_version"]) == {"4"}
    assert pd.to_datetime(back["as_of"]).eq(pd.Timestamp("2026-11-21")).all()


def test_sqlite_table_without_key_or_columns_is_an_error(tmp_path: Path, scored_list: pd.DataFrame) -> None:
    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as con:
        con.execute("create table nokey (account_id text, as_of text)")
        con.execute("create table few (account_id text primary key)")
    with pytest.raises(UpsellError, match="lacks column"):
        export_scores(scored_list, "sql", db, table="few")
    scored = scored_list[["account_id", "as_of", "model_version"]]
    with sqlite3.connect(db) as con:
        con.execute("alter table nokey add column model_version text")
    with pytest.raises(UpsellError, match="unique constraint on account_id"):
        export_scores(scored, "sql", db, table="nokey")


def test_mapping_object_api(scored_list: pd.DataFrame, tmp_path: Path) -> None:
    mapping = DEFAULT_MAPPING.with_fields({"score": FieldSpec("score", "Score__c", "number")})
    assert isinstance(mapping, FieldMapping)
    export_scores(scored_list, "salesforce", tmp_path / "x.csv", mapping=mapping)
    assert "Score__c" in _rows(tmp_path / "x.csv")[0]
    with pytest.raises(UpsellError, match="applies to the salesforce and hubspot"):
        export_scores(scored_list, "csv", tmp_path / "y.csv", mapping=mapping)
    with pytest.raises(UpsellError, match="no such mapping file"):
        load_mapping(tmp_path / "missing.toml")


def test_generic_delete_insert_upsert(tmp_path: Path, scored_list: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    """Databases without a bulk path (MySQL, SQL Server, …) get delete + insert in one transaction."""
    from pipeline.export import sql

    monkeypatch.setattr(sql, "BULK_UPSERTS", {})
    db = tmp_path / "generic.db"
    export_scores(scored_list, "sql", db)
    export_scores(scored_list.assign(score=0.5, model_version="9"), "sql", db)
    with sqlite3.connect(db) as con:
        rows = con.execute("select count(*), min(score), max(score), min(model_version) from upsell_scores").fetchone()
    assert rows == (5, 0.5, 0.5, "9")


@pytest.mark.parametrize("target", ["sql", "csv"])
def test_empty_destination_is_an_error(scored_list: pd.DataFrame, target: str) -> None:
    with pytest.raises(UpsellError, match="no destination given"):
        export_scores(scored_list, target, "")


def test_join_attributes_is_a_left_join_by_account_id() -> None:
    from pipeline.export.scored_list import join_attributes

    scored = pd.DataFrame({"account_id": pd.array(["B", "A", "C"], dtype="str"), "score": [0.9, 0.5, 0.1]},
                          index=[10, 11, 12])
    attrs = pd.DataFrame({"account_id": ["A", "B", "Z"], "name": ["Alpha", "Beta", "Zed"],
                          "score": [9.0, 9.0, 9.0], "seats": [1, 2, 3]})
    out = join_attributes(scored, attrs)
    assert list(out.columns) == ["account_id", "score", "name", "seats"]  # the scored list's own columns win
    assert list(out.index) == [10, 11, 12] and out["score"].tolist() == [0.9, 0.5, 0.1]
    assert out["name"].tolist()[:2] == ["Beta", "Alpha"] and pd.isna(out["name"].iloc[2])  # C has no attributes
    assert out["seats"].tolist()[:2] == [2, 1] and pd.isna(out["seats"].iloc[2])
    empty = join_attributes(scored, attrs.iloc[:0])
    assert empty["name"].isna().all() and len(empty) == 3


@pytest.mark.parametrize("duplicated", ["A", "C"])  # A has attributes, C has none
@pytest.mark.parametrize("with_attributes", [True, False])
def test_a_duplicated_scored_account_is_refused_with_or_without_attributes(tmp_path: Path, scored_list: pd.DataFrame,
                                                                            duplicated: str, with_attributes: bool) -> None:
    """With attributes the join's own lookup proves the ids unique; either way a duplicate is an error."""
    ids = ["A", "B", "C"] + [f"X{i}" for i in range(len(scored_list) - 3)]
    scored = scored_list.assign(account_id=ids)
    scored.loc[scored.index[-1], "account_id"] = duplicated
    attrs = pd.DataFrame({"account_id": ["A", "B"], "name": ["Alpha", "Beta"]}) if with_attributes else None
    with pytest.raises(UpsellError, match="account_id'.*rule 'unique' broken by 2 row"):
        export_scores(scored, "csv", tmp_path / "out.csv", attributes=attrs)
    assert not (tmp_path / "out.csv").exists()
