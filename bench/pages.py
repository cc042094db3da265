"""Workspace pages on a large desk: the inbox first page and a ticket page.

Seeds 100,000 tickets and 500,000 messages (BENCH_PAGES_TICKETS to change) with bulk inserts,
starts `unidesk run`, logs in as a supervisor and as an agent, and times the pages over HTTP.
Targets (2-core machine): inbox first page p95 ≤ 50 ms, ticket page p95 ≤ 80 ms,
server RSS ≤ 250 MB.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import fresh_postgres, machine, server, summary_ms, tree_rss_mb

TICKETS = int(os.environ.get("BENCH_PAGES_TICKETS", "100000"))
MESSAGES_PER_TICKET = 5
REQUESTS = int(os.environ.get("BENCH_PAGES_REQUESTS", "300"))

SEED = r"""
import os, random, sys
from datetime import UTC, datetime, timedelta
import django
django.setup()
from django.db import connection, transaction
from unidesk.accounts.models import Agent, Group, Membership
from unidesk.accounts.services import agent_create_or_update
from unidesk.channels.models import ChannelAccount
from unidesk.customers.models import Customer, Identity
from unidesk.tickets.models import Message, Ticket

tickets, per_ticket = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(7)
now = datetime.now(UTC)
groups = [Group.objects.create(name=n) for n in ("General", "Technical", "Billing", "Refunds")]
supervisor = agent_create_or_update(email="sup@bench.local", password="bench-pass",
                                    role="supervisor", name="Supervisor")
agents = [agent_create_or_update(email=f"a{i}@bench.local", password="bench-pass", role="agent",
                                 name=f"Agent {i}", group_names=[groups[i % 4].name])
          for i in range(20)]
channel = ChannelAccount.objects.create(kind="api", name="bench", key="bench-key")
customers = Customer.objects.bulk_create(
    [Customer(name=f"Клиент {i}", created_at=now, updated_at=now) for i in range(tickets // 3)],
    batch_size=5000)
Identity.objects.bulk_create(
    [Identity(customer=c, kind="email", value=f"c{c.pk}@example.com") for c in customers],
    batch_size=5000)
texts = ["Здравствуйте! Заказ до сих пор не доставлен, подскажите сроки.",
         "Hello, I was charged twice for my order, please refund one payment.",
         "Промокод не применяется к корзине, пишет что недействителен.",
         "The app crashes when I open my order history on Android."]
statuses = ["solved"] * 6 + ["closed"] * 2 + ["new", "open", "pending", "on-hold"]
batch = 2000
for start in range(0, tickets, batch):
    with transaction.atomic():
        rows = []
        for n in range(start, min(tickets, start + batch)):
            created = now - timedelta(minutes=rng.randint(0, 525600))
            status = rng.choice(statuses)
            group = groups[n % 4]
            assignee = None if status == "new" else rng.choice(agents)
            rows.append(Ticket(number=1001 + n, subject=texts[n % 4][:40], status=status,
                               priority=rng.choice([1, 2, 2, 2, 3, 4]), group=group,
                               assignee=assignee, requester=customers[n % len(customers)],
                               channel_account=channel, channel="api",
                               created_at=created, updated_at=created + timedelta(hours=2)))
        made = Ticket.objects.bulk_create(rows)
        messages = []
        for ticket in made:
            for k in range(per_ticket):
                direction = "in" if k % 2 == 0 else ("out" if k % 3 else "note")
                inbound = direction == "in"
                messages.append(Message(
                    ticket=ticket, direction=direction, text=texts[(ticket.pk + k) % 4],
                    channel_account=channel,
                    author_customer_id=ticket.requester_id if inbound else None,
                    author_agent_id=None if inbound else ticket.assignee_id,
                    delivery_status="sent" if direction == "out" else "",
                    created_at=ticket.created_at + timedelta(minutes=10 * k)))
        Message.objects.bulk_create(messages, batch_size=5000)
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('tickets_ticket_number_seq', %s)", [1001 + tickets])
        cursor.execute("ANALYZE")
else:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
print(Ticket.objects.count(), Message.objects.count())
"""


def seed(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "unidesk", "migrate", "-v0"], env=env, check=True)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", SEED, str(TICKETS), str(MESSAGES_PER_TICKET)],
        env={**env, "DJANGO_SETTINGS_MODULE": "unidesk.settings"},
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    print(f"  seeded {out[0]} tickets, {out[1]} messages in {time.perf_counter() - started:.0f} s")


def login(url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/login/",
        data={"username": email, "password": "bench-pass", "csrfmiddlewaretoken": token[1]},
        headers={"Referer": f"{url}/login/"},
    )
    assert response.status_code == 302, f"login failed: {response.status_code}"
    return client


def timed(client: httpx.Client, paths: list[str]) -> list[float]:
    samples = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, f"{path}: {response.status_code}"
    return samples


def run_case(label: str, database_url: str | None) -> None:
    print(f"- {label}")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "UNIDESK_DATA_DIR": tmp, "UNIDESK_DEMO": "0"}
        env.pop("DATABASE_URL", None)
        if database_url:
            env["DATABASE_URL"] = database_url
        seed(env)
        with server(Path(tmp), database_url=database_url) as desk:
            supervisor = login(desk.url, "sup@bench.local")
            agent = login(desk.url, "a1@bench.local")
            rng = random.Random(1)
            numbers = [1001 + rng.randrange(TICKETS) for _ in range(REQUESTS)]
            inbox_all = ["/?view=all&status=unsolved"] * REQUESTS
            inbox_mine = ["/?view=mine&status=unsolved"] * REQUESTS
            tickets = [f"/t/{n}/" for n in numbers]
            for client, paths in ((supervisor, inbox_all[:20]), (supervisor, tickets[:20])):
                timed(client, paths)  # warm-up
            results = {
                "inbox first page, supervisor, All unsolved": timed(supervisor, inbox_all),
                "inbox first page, agent, Mine unsolved": timed(agent, inbox_mine),
                "ticket page (5 messages), supervisor": timed(supervisor, tickets),
            }
            rss = tree_rss_mb(desk.process.pid)
        for name, samples in results.items():
            print(f"  - {name}: {summary_ms(samples)}")
        print(f"  - server RSS after the run: {rss:.0f} MB")


def main() -> None:
    print(f"machine: {machine()}; {TICKETS} tickets, {TICKETS * MESSAGES_PER_TICKET} messages")
    run_case("SQLite", None)
    run_case("PostgreSQL", fresh_postgres("unidesk_bench_pages"))


if __name__ == "__main__":
    main()
