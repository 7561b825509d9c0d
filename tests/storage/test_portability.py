"""The schema stays portable: it compiles for PostgreSQL, the team server to come."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from qcode.storage import schema


def test_every_table_and_index_compiles_for_postgresql() -> None:
    dialect = postgresql.dialect()
    for table in schema.metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=dialect))
        assert "CREATE TABLE" in ddl
        for index in table.indexes:
            assert "CREATE INDEX" in str(CreateIndex(index).compile(dialect=dialect))
    codings_ddl = str(CreateTable(schema.codings).compile(dialect=dialect))
    assert '"end" INTEGER NOT NULL' in codings_ddl  # reserved word, quoted
    assert "JSON" in codings_ddl


def test_no_sqlite_specific_sql_in_table_definitions() -> None:
    for table in schema.metadata.sorted_tables:
        for column in table.columns:
            assert not isinstance(column.type, sa.types.NullType), f"{table.name}.{column.name}"
            assert column.server_default is None, "server defaults differ between databases; set values in Python"
