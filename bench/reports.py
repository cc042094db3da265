"""Reports on a large desk: the summary and series API and the reports page, for a 90-day
report of one group.

Seeds the desk with set-based SQL (a year of tickets, five messages each, their metrics rows
and surveys; no Python loop over rows), starts `unidesk run`, and times the requests over
HTTP as a supervisor. Sizes: 1,000,000 tickets / 5,000,000 messages on PostgreSQL and
200,000 / 1,000,000 on SQLite (BENCH_REPORTS_PG_TICKETS, BENCH_REPORTS_SQLITE_TICKETS,
BENCH_REPORTS_REQUESTS to change). Targets (2-core machine): p95 ≤ 1 s on PostgreSQL,
≤ 2 s on SQLite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.common import fresh_postgres, machine, server, summary_ms, tree_rss_mb
from bench.pages import login

PG_TICKETS = int(os.environ.get("BENCH_REPORTS_PG_TICKETS", "1000000"))
SQLITE_TICKETS = int(os.environ.get("BENCH_REPORTS_SQLITE_TICKETS", "200000"))
REQUESTS = int(os.environ.get("BENCH_REPORTS_REQUESTS", "40"))

SEED = r"""
import sys, time
from datetime import UTC, datetime
import django
django.setup()
from django.db import connection, transaction
from unidesk.accounts.models import Group
from unidesk.accounts.services import agent_create_or_update
from unidesk.channels.models import ChannelAccount
from unidesk.tickets.models import Tag

tickets = int(sys.argv[1])
pg = connection.vendor == "postgresql"
now = datetime.now(UTC).replace(microsecond=0)
groups = [Group.objects.create(name=n) for n in ("General", "Technical", "Billing", "Refunds")]
agent_create_or_update(email="sup@bench.local", password="bench-pass", role="supervisor",
                       name="Supervisor")
agents = [agent_create_or_update(email=f"a{i}@bench.local", password="bench-pass",
                                 role="agent", name=f"Agent {i}",
                                 group_names=[groups[i % 4].name]) for i in range(20)]
channel = ChannelAccount.objects.create(kind="api", name="bench", key="bench-key")
tag = Tag.objects.create(name="refund")

def rnd(k):
    # A random integer in [0, k).
    return f"floor(random() * {k})::bigint" if pg else f"(abs(random()) % {k})"

def series(n):
    if pg:
        return f"SELECT n FROM generate_series(1, {n}) AS g(n)"
    return (f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {n}) "
            "SELECT n FROM g")

def at(*offsets):
    # now - ago + offsets (seconds), as the database stores a timestamp.
    if pg:
        parts = "".join(f" + make_interval(secs => {o})" for o in offsets)
        return f"(%(now)s::timestamptz - make_interval(secs => ago){parts})"
    mods = ", ".join(f"'+' || ({o}) || ' seconds'" for o in offsets)
    return f"datetime(%(now)s, '-' || ago || ' seconds'{', ' + mods if mods else ''})"

def pick(values, index_expr):
    if pg:
        quoted = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)
        return f"(ARRAY[{quoted}])[1 + ({index_expr}) % {len(values)}]"
    cases = " ".join(f"WHEN {i} THEN {v!r}" for i, v in enumerate(values))
    return f"(CASE ({index_expr}) % {len(values)} {cases} END)"

group_ids = [g.pk for g in groups]
agent_ids = [a.pk for a in agents]
channels = ["email", "telegram", "webchat", "whatsapp", "vk", "api"]
params = {"now": now if pg else now.strftime("%Y-%m-%d %H:%M:%S")}
true, false = ("true", "false") if pg else ("1", "0")
def run(cur, sql):
    # Modulo signs are doubled: the statements carry %(now)s parameters.
    cur.execute(sql.replace(" % ", " %% "), params)

started = time.perf_counter()
with transaction.atomic(), connection.cursor() as cur:
    run(cur, f"INSERT INTO customers_customer (name, note, language, created_at, updated_at) "
                f"SELECT 'Клиент ' || n, '', '', %(now)s, %(now)s FROM ({series(tickets // 3)}) s")
    cur.execute("SELECT min(id) FROM customers_customer")
    first_customer = cur.fetchone()[0]
    # One row of random draws per ticket; everything else is derived from it.
    run(cur,
        f"CREATE TEMP TABLE seed AS SELECT n, {rnd(31536000)} AS ago, "
        f"({rnd(1000)} * {rnd(1000)} * {rnd(1000)} * 172800) / 1000000000 + 30 AS frt, "
        f"({rnd(1000)} * {rnd(1000)} * 604800) / 1000000 + 60 AS extra, "
        f"{rnd(20)} AS st, {rnd(100)} AS r1, {rnd(6)} + 1 AS replies, {rnd(100)} AS r2, "
        f"{rnd(70)} + 25 AS bpct FROM ({series(tickets)}) s"
    )
    status = pick(["solved"] * 12 + ["closed"] * 5 + ["new", "open", "pending"], "st")
    solved = f"(st < 17 AND ago > frt + extra)"
    run(cur,
        "INSERT INTO tickets_ticket (number, subject, status, priority, group_id, assignee_id, "
        "requester_id, channel_account_id, channel, thread_key, is_public, created_at, "
        "updated_at, first_response_at, solved_at, closed_at, agent_reply_count, reopen_count) "
        f"SELECT 1000 + n, 'Вопрос о заказе ' || (n % 97), "
        f"CASE WHEN {solved} THEN {status} WHEN st < 17 THEN 'open' ELSE {status} END, "
        f"1 + (r2 % 4), {pick(group_ids, 'n')}, {pick(agent_ids, 'n * 7')}, "
        f"{first_customer} + (n % {tickets // 3}), {channel.pk}, {pick(channels, 'n')}, '', "
        f"{false}, "
        f"{at()}, {at('frt + extra')}, "
        f"CASE WHEN ago > frt THEN {at('frt')} END, "
        f"CASE WHEN {solved} THEN {at('frt + extra')} END, NULL, "
        f"CASE WHEN ago > frt THEN replies ELSE 0 END, CASE WHEN r1 < 6 THEN 1 ELSE 0 END "
        f"FROM seed")
    k = "k.k" if pg else "k.n"
    texts = ["Здравствуйте! Где мой заказ?", "Заказ в пути, будет завтра.", "Спасибо!",
             "Проверить склад", "Рады помочь!"]
    run(cur,
        "INSERT INTO tickets_message (ticket_id, direction, origin, author_name, text, html, "
        "is_public, channel_account_id, external_id, delivery_status, delivery_error, "
        "created_at, metadata) "
        f"SELECT t.id, {pick(['in', 'out', 'in', 'note', 'out'], k)}, "
        f"{pick(['channel', 'agent', 'channel', 'agent', 'agent'], k)}, '', {pick(texts, k)}, "
        f"'', {false}, {channel.pk}, '', '', '', t.created_at, '{{}}' "
        f"FROM tickets_ticket t CROSS JOIN ({series(5)}) {'k(k)' if pg else 'k'}")
    # The measurements the subscribers would have stored, business time a share of it.
    run(cur,
        "INSERT INTO reports_ticketmetrics (ticket_id, group_id, agent_id, channel, priority, "
        "status, created_at, first_response_at, first_response_seconds, "
        "first_response_business_seconds, solved_at, resolution_seconds, "
        "resolution_business_seconds, replies_to_solve, agent_replies, reopen_count, refreshed_at) "
        "SELECT t.id, t.group_id, t.assignee_id, t.channel, t.priority, t.status, t.created_at, "
        "t.first_response_at, CASE WHEN t.first_response_at IS NOT NULL THEN s.frt END, "
        "CASE WHEN t.first_response_at IS NOT NULL THEN s.frt * s.bpct / 100 END, t.solved_at, "
        "CASE WHEN t.solved_at IS NOT NULL THEN s.frt + s.extra END, "
        "CASE WHEN t.solved_at IS NOT NULL THEN (s.frt + s.extra) * s.bpct / 100 END, "
        "CASE WHEN t.solved_at IS NOT NULL THEN t.agent_reply_count END, t.agent_reply_count, "
        "t.reopen_count, %(now)s "
        f"FROM tickets_ticket t JOIN seed s ON t.number = 1000 + s.n")
    run(cur,
        "INSERT INTO csat_survey (ticket_id, solve_seq, customer_id, channel_account_id, channel, "
        "group_id, agent_id, solved_at, language, scale, state, state_reason, due_at, sent_at, "
        "nonce, expires_at, rating, score, comment, rated_at, rating_source, created_at, "
        "updated_at) "
        "SELECT t.id, 0, t.requester_id, t.channel_account_id, t.channel, t.group_id, "
        "t.assignee_id, t.solved_at, 'ru', 3, 'sent', '', t.solved_at, t.solved_at, "
        "'n' || t.id, t.solved_at, 1 + (s.r2 % 3), "
        f"{pick(['bad', 'okay', 'great'], 's.r2')}, "
        "CASE WHEN s.r2 % 5 = 0 THEN 'Спасибо' ELSE '' END, "
        "t.solved_at, 'button', t.solved_at, t.solved_at "
        "FROM tickets_ticket t JOIN seed s ON t.number = 1000 + s.n "
        "WHERE t.solved_at IS NOT NULL AND s.r1 < 35")
    run(cur,
        f"INSERT INTO tickets_ticket_tags (ticket_id, tag_id) SELECT t.id, {tag.pk} "
        f"FROM tickets_ticket t WHERE t.id % 10 = 0")
    cur.execute("DROP TABLE seed")
with connection.cursor() as cur:
    if pg:
        cur.execute("SELECT setval('tickets_ticket_number_seq', %s)", [1001 + tickets])
        # What autovacuum does on a live desk: the visibility map lets the covering indexes
        # answer without visiting the table.
        cur.execute("VACUUM ANALYZE")
    else:
        cur.execute("ANALYZE")
    cur.execute("SELECT count(*) FROM tickets_ticket")
    n_tickets = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM tickets_message")
    n_messages = cur.fetchone()[0]
print(n_tickets, n_messages, groups[2].pk, f"{time.perf_counter() - started:.0f}")
"""


def seed(env: dict[str, str], tickets: int) -> tuple[int, int, int, str]:
    subprocess.run([sys.executable, "-m", "unidesk", "migrate", "-v0"], env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-c", SEED, str(tickets)],
        env={**env, "DJANGO_SETTINGS_MODULE": "unidesk.settings"},
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"seeding failed:\n{done.stderr[-3000:]}")
    out = done.stdout.split()
    return int(out[0]), int(out[1]), int(out[2]), out[3]


def timed(client: httpx.Client, path: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:200]}"
    return samples


def run_case(label: str, tickets: int, database_url: str | None) -> None:
    print(f"- {label}")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "UNIDESK_DATA_DIR": tmp, "UNIDESK_DEMO": "0"}
        env.pop("DATABASE_URL", None)
        if database_url:
            env["DATABASE_URL"] = database_url
        n_tickets, n_messages, group, seconds = seed(env, tickets)
        print(f"  seeded {n_tickets} tickets, {n_messages} messages in {seconds} s")
        with server(Path(tmp), database_url=database_url) as desk:
            token = desk.cli("token", "create", "--agent", "sup@bench.local").strip().split()[-1]
            api = httpx.Client(
                base_url=desk.url, timeout=60, headers={"Authorization": f"Bearer {token}"}
            )
            page = login(desk.url, "sup@bench.local")
            page.timeout = httpx.Timeout(60)
            until = datetime.now(UTC).date() + timedelta(days=1)
            since = until - timedelta(days=90)
            query = f"since={since}&until={until}&group={group}&tz=Europe/Moscow"
            cases = {
                "API summary, 90 days, one group": f"/api/v1/reports/summary?{query}",
                "API time series (first response, per day), 90 days, one group": (
                    f"/api/v1/reports/timeseries?metric=first_response_seconds&interval=day&{query}"
                ),
                "API time series (tickets created, per week), 90 days, one group": (
                    f"/api/v1/reports/timeseries?metric=tickets_created&interval=week&{query}"
                ),
                "reports page (summary, charts), 90 days, one group": f"/reports/?{query}",
                "its table by agent (loaded after the page)": f"/reports/by/agent/?{query}",
                "its table by channel (loaded after the page)": f"/reports/by/channel/?{query}",
                "reports page, 90 days, whole desk": (
                    f"/reports/?since={since}&until={until}&tz=Europe/Moscow"
                ),
                "its table by group (loaded after the page)": (
                    f"/reports/by/group/?since={since}&until={until}&tz=Europe/Moscow"
                ),
                "API summary, 90 days, whole desk": (
                    f"/api/v1/reports/summary?since={since}&until={until}&tz=Europe/Moscow"
                ),
            }
            results = {}
            for name, path in cases.items():
                client = page if path.startswith("/reports/") else api
                timed(client, path, 3)  # warm-up
                results[name] = timed(client, path, REQUESTS)
            started = time.perf_counter()
            export = api.get(f"/api/v1/reports/tickets.csv?{query}")
            export_seconds = time.perf_counter() - started
            rows = export.text.count("\n") - 1
            rss = tree_rss_mb(desk.process.pid)
        for name, samples in results.items():
            print(f"  - {name}: {summary_ms(samples)}")
        print(f"  - CSV export of the same 90 days: {rows} rows in {export_seconds:.1f} s")
        print(f"  - server RSS after the run: {rss:.0f} MB")


def main() -> None:
    print(f"machine: {machine()}")
    only = os.environ.get("BENCH_REPORTS_ONLY", "")
    if only in ("", "sqlite"):
        run_case(f"SQLite, {SQLITE_TICKETS} tickets", SQLITE_TICKETS, None)
    if only in ("", "postgresql"):
        run_case(
            f"PostgreSQL, {PG_TICKETS} tickets",
            PG_TICKETS,
            fresh_postgres("unidesk_bench_reports"),
        )


if __name__ == "__main__":
    main()
