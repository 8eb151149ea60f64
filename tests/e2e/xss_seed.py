"""The XSS crawl's world: the demo database with script polyglots written into every
user-controlled text and file-name column of every table, each row's payload unique."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

from sqlalchemy import Engine, String, Table, Text, select, text, update

from vigil.platform.database import Base
from vigil.platform.models_registry import import_all_models

MARKER = "vigilxss"
# The audit trail cannot be rewritten (triggers refuse it), which is the point of it.
APPEND_ONLY = ("audit_",)
# {n} makes each payload unique, so an element found in a page names the row it came from.
POLYGLOTS = (
    '"><img src=x id=vigilxss{n} onerror=alert({n})>',
    "'><svg id=vigilxss{n} onload=alert({n})>",
    "</textarea></title></style></script><script id=vigilxss{n}>alert({n})</script>",
    "javascript:alert({n})//<b id=vigilxss{n}>",
    "{{{{7*7}}}} ${{7*7}} <iframe id=vigilxss{n} srcdoc='<script>alert({n})</script>'>",
    "\u2028\u2029<a id=vigilxss{n} href=javascript:alert({n})>x</a>",
)
# Free text and names that people type (or that file names carry), by column name: an
# allow-list, so codes, states, hashes, usernames and keys keep working.
TEXT_COLUMN = re.compile(
    r"^(narrative|description|title|summary|reason|justification|notes?|comments?|body"
    r"|text|message|display_name|name|full_name|given_name|family_name|middle_name"
    r"|aliases?|address|address_text|location_text|school|employer|file_?name"
    r"|original_name|closing_summary|purpose|question|answer_text|headline"
    r"|instructions|physical_description|handle|subject|details_text|caption|label)$"
    r"|_(name|text|notes?|reason|summary|description|title)$"
)


def text_columns(table: Table) -> list[str]:
    keys = {column.name for column in table.primary_key.columns}
    return [
        column.name
        for column in table.columns
        if isinstance(column.type, String | Text)
        and not getattr(column.type, "enums", None)
        and column.name not in keys
        and not column.foreign_keys
        and TEXT_COLUMN.search(column.name)
    ]


@contextmanager
def guards_lifted(connection: Any, table: str) -> Iterator[None]:
    """The response domain's submitted records are append-only too (database triggers);
    the crawl must still meet their text, so their triggers are lifted while the seed
    writes and put back, as they were, before it commits."""
    if connection.dialect.name == "sqlite":
        found = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": table},
        ).all()
        for name, _ in found:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield
        for _, sql in found:
            connection.exec_driver_sql(sql)
    else:
        connection.exec_driver_sql(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        yield
        connection.exec_driver_sql(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')


def poison(engine: Engine) -> dict[str, list[str]]:
    """Overwrite every non-empty text column value with a polyglot; what was written."""
    import_all_models()
    numbers = count(1)
    written: dict[str, list[str]] = {}
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name.startswith(APPEND_ONLY):
                continue
            columns = text_columns(table)
            keys = list(table.primary_key.columns)
            if not columns or not keys:
                continue
            rows = connection.execute(select(*keys, *(table.c[c] for c in columns))).all()
            with guards_lifted(connection, table.name):
                for row in rows:
                    values = {}
                    for position, column in enumerate(columns, start=len(keys)):
                        if row[position]:
                            n = next(numbers)
                            values[column] = POLYGLOTS[n % len(POLYGLOTS)].format(n=n)
                    if values:
                        match = [key == row[i] for i, key in enumerate(keys)]
                        connection.execute(update(table).where(*match).values(**values))
            if rows:
                written[table.name] = columns
    return written
