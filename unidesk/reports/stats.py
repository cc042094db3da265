"""Medians, 90th percentiles and means computed by the database, on SQLite and PostgreSQL.

PostgreSQL has the ordered-set aggregate ``percentile_cont``: one grouped query gives every
field's count, mean, median and p90. SQLite has no percentile aggregate, but it has window
functions: each value is ranked within its partition (``ROW_NUMBER() OVER (PARTITION BY …
ORDER BY value)``) next to the partition's size and mean, and only the rows either side of
the 50th and 90th percentile positions leave the database — at most four rows per partition,
whatever the number of tickets — to be interpolated linearly, as ``percentile_cont`` does.
Both databases give the same answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.db import connections
from django.db.models import F, QuerySet

PERCENTILES: Final = (50, 90)


@dataclass(frozen=True)
class Stats:
    count: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "median": self.median, "p90": self.p90, "mean": self.mean}


EMPTY = Stats()


def _interpolate(ranked: dict[int, float], n: int, pct: int) -> float | None:
    """The percentile of ``n`` sorted values from the ranked rows around its position."""
    if n == 0:
        return None
    low = ((n - 1) * pct) // 100  # zero-based index, as the SQL computes it
    fraction = (n - 1) * pct / 100 - low
    below = ranked.get(low + 1)
    if below is None:
        return None
    above = ranked.get(low + 2, below)
    return below + (above - below) * fraction


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def stats_by(
    qs: QuerySet[Any], fields: Sequence[str], *, partition: Any = None
) -> dict[Hashable, dict[str, Stats]]:
    """Count, mean, median and p90 of each of ``fields`` over the rows of ``qs`` where the
    first field is not null, per value of the ``partition`` expression (one partition,
    keyed ``None``, without one). The fields must be null together (calendar and business
    durations of the same span are)."""
    columns = {f"v{i}": F(name) for i, name in enumerate(fields)}
    base = qs.filter(**{f"{fields[0]}__isnull": False})
    if partition is not None:
        base = base.annotate(k=partition, **columns).values("k", *columns)
    else:
        base = base.annotate(**columns).values(*columns)
    inner_sql, params = base.query.sql_with_params()
    if connections[qs.db].vendor == "postgresql":
        return _aggregated(qs.db, inner_sql, params, fields, partitioned=partition is not None)
    over = "PARTITION BY b.k" if partition is not None else ""
    key = "b.k" if partition is not None else "NULL"
    selects = [f"{key} AS k", f"COUNT(*) OVER ({over}) AS n"]
    wanted = []
    for alias in columns:
        selects.append(f"AVG(b.{alias}) OVER ({over}) AS mean_{alias}")
        selects.append(f"ROW_NUMBER() OVER ({over} ORDER BY b.{alias}) AS rn_{alias}")
        selects.append(f"b.{alias} AS {alias}")
        for pct in PERCENTILES:
            low = f"((r.n - 1) * {pct}) / 100"
            wanted.append(f"r.rn_{alias} IN ({low} + 1, {low} + 2)")
    sql = (
        f"SELECT * FROM (SELECT {', '.join(selects)} FROM ({inner_sql}) b) r "  # noqa: S608 (no input in the text: aliases only, values are parameters)
        f"WHERE {' OR '.join(wanted)}"
    )
    by_key: dict[Hashable, list[tuple[Any, ...]]] = defaultdict(list)
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        for row in cursor.fetchall():
            record = dict(zip(names, row, strict=True))
            by_key[record["k"]].append(tuple(record[name] for name in names))
    result: dict[Hashable, dict[str, Stats]] = {}
    for group_key, rows in by_key.items():
        records = [dict(zip(names, row, strict=True)) for row in rows]
        n = int(records[0]["n"])
        per_field: dict[str, Stats] = {}
        for index, alias in enumerate(columns):
            ranked = {
                int(record[f"rn_{alias}"]): float(record[alias])
                for record in records
                if record[alias] is not None
            }
            mean = records[0][f"mean_{alias}"]
            per_field[fields[index]] = Stats(
                count=n,
                mean=_round(float(mean)) if mean is not None else None,
                median=_round(_interpolate(ranked, n, 50)),
                p90=_round(_interpolate(ranked, n, 90)),
            )
        result[group_key] = per_field
    return result


def _aggregated(
    db: str, inner_sql: str, params: Any, fields: Sequence[str], *, partitioned: bool
) -> dict[Hashable, dict[str, Stats]]:
    """PostgreSQL: ``percentile_cont`` per field, grouped by partition, in one query."""
    key = "b.k" if partitioned else "NULL"
    selects = [f"{key} AS k", "COUNT(*) AS n"]
    for index in range(len(fields)):
        selects.append(f"AVG(b.v{index})")
        selects.append(f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY b.v{index})")
    group_by = " GROUP BY b.k" if partitioned else ""
    sql = f"SELECT {', '.join(selects)} FROM ({inner_sql}) b{group_by}"  # noqa: S608 (aliases only)
    result: dict[Hashable, dict[str, Stats]] = {}
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            n = int(row[1])
            if n == 0:
                continue
            per_field = {}
            for index, name in enumerate(fields):
                mean, percentiles = row[2 + 2 * index], row[3 + 2 * index]
                per_field[name] = Stats(
                    count=n,
                    mean=_round(float(mean)) if mean is not None else None,
                    median=_round(float(percentiles[0])),
                    p90=_round(float(percentiles[1])),
                )
            result[row[0]] = per_field
    return result


def stats(qs: QuerySet[Any], fields: Sequence[str]) -> dict[str, Stats]:
    """``stats_by`` without partitions: every field's Stats (empty when no rows)."""
    found = stats_by(qs, fields).get(None)
    return found if found is not None else dict.fromkeys(fields, EMPTY)
