"""Planner statistics after a bulk load: ``ANALYZE`` the tables an import filled.

The PostgreSQL server of a small shop may run with autovacuum off (this project's
demo machine does), and then a table filled by a bulk import keeps the statistics of
the empty table: the planner picks nested loops over hundreds of thousands of order
lines (issue 18: ``suggest_prices`` ran 26 min on such a plan, 117 s after
``ANALYZE``). The imports therefore analyse what they wrote. SQLite's ``ANALYZE``
fills ``sqlite_stat1`` the same way.

References
----------
PostgreSQL documentation, "ANALYZE" and "Routine Vacuuming" (24.1.3, "Updating
Planner Statistics": run ANALYZE after large changes when autovacuum is off).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Model


def tables_analyze(*, models: Iterable[type[Model]]) -> list[str]:
    """Run ``ANALYZE`` on the tables of ``models`` (PostgreSQL and SQLite).

    Returns the table names analysed, in the order given (duplicates once); other
    database vendors are left alone and give ``[]``.
    """
    if connection.vendor not in ("postgresql", "sqlite"):
        return []
    tables = list(dict.fromkeys(m._meta.db_table for m in models))
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return tables
