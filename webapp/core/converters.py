"""URL converters.  Every ``<int:…>`` in a route is a row id: a positive integer that fits a
database integer column.  Anything else is simply no such page (404), rather than a query that
the database refuses with an error (PostgreSQL: integer out of range)."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ROW_ID = 2**31 - 1


class RowId(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)
