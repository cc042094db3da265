"""The agent's live connection: ``/ws/agent/``, authenticated by the session cookie.

It passes on what happens on tickets the agent may see (``live.tell_workspaces``), and on
the ticket the agent has open it carries presence ("Anna is viewing", "Anna is
replying"), typing both ways (with a web chat visitor too), and read marks for the
visitor. Frames from the page:

* ``{"type": "watch", "ticket": <number>}`` — I have this ticket open (checked against the
  agent's permissions, like the page itself);
* ``{"type": "typing", "active": true, "mode": "reply" | "note"}`` — I am writing;
* ``{"type": "seen", "message": <id>}`` — the conversation is on my screen up to there;
* ``{"type": "ping"}`` — I am still here (presence expires without it).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from unidesk.accounts.models import Agent
from unidesk.accounts.selectors import agent_group_ids
from unidesk.channels.webchat.services import agent_saw, agent_typing
from unidesk.core import realtime
from unidesk.core.errors import NotFound
from unidesk.core.inputs import loads_untrusted
from unidesk.core.threads import in_db_thread
from unidesk.tickets.models import Ticket
from unidesk.tickets.selectors import ticket_get_by_number_for

logger = logging.getLogger("unidesk.workspace")

MAX_FRAME = 4096
SCOPE_REFRESH = 60.0  # seconds before the agent's groups are read again
CLOSE_UNAUTHENTICATED = 4401


class AgentConsumer(AsyncWebsocketConsumer):
    agent: Agent
    sees_all: bool = False
    group_ids: frozenset[int] = frozenset()
    scope_read_at: float = 0.0
    watching: Ticket | None = None
    state: str = "viewing"

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.agent = user
        await self._read_scope()
        await self.channel_layer.group_add(realtime.DESK_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "agent", None) is None:
            return
        await self.channel_layer.group_discard(realtime.DESK_GROUP, self.channel_name)
        await self._unwatch()

    async def _read_scope(self) -> None:
        def read() -> tuple[bool, frozenset[int], bool]:
            fresh = Agent.objects.filter(pk=self.agent.pk).first()
            if fresh is None or not fresh.is_active:
                return False, frozenset(), False
            return fresh.sees_all_tickets, frozenset(agent_group_ids(fresh)), True

        self.sees_all, self.group_ids, active = await in_db_thread(read)()
        self.scope_read_at = time.monotonic()
        if not active:
            await self.close(code=CLOSE_UNAUTHENTICATED)

    def _may_see(self, fact: dict[str, Any]) -> bool:
        return (
            self.sees_all
            or fact.get("group_id") in self.group_ids
            or fact.get("assignee_id") == self.agent.pk
        )

    # --- frames from the page -------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME:
            await self._send({"type": "error", "code": "malformed"})
            return
        try:
            frame = loads_untrusted(text_data)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await self._send({"type": "error", "code": "malformed"})
            return
        handler = {
            "watch": self.on_watch,
            "unwatch": self.on_unwatch,
            "typing": self.on_typing,
            "seen": self.on_seen,
            "ping": self.on_ping,
        }.get(str(frame.get("type")))
        if handler is None:
            await self._send({"type": "error", "code": "unknown_type"})
            return
        await handler(frame)

    async def on_ping(self, frame: dict[str, Any]) -> None:
        if time.monotonic() - self.scope_read_at > SCOPE_REFRESH:
            await self._read_scope()
        if self.watching is not None:
            await self._announce(self.state)
        await self._send({"type": "pong"})

    async def on_watch(self, frame: dict[str, Any]) -> None:
        number = frame.get("ticket")
        if not isinstance(number, int) or isinstance(number, bool):
            await self._send({"type": "error", "code": "malformed"})
            return

        def find() -> Ticket | None:
            try:
                return ticket_get_by_number_for(self.agent, number)
            except NotFound:
                return None

        ticket = await in_db_thread(find)()
        if ticket is None:
            await self._send({"type": "error", "code": "not_found", "ticket": number})
            return
        await self._unwatch()
        self.watching, self.state = ticket, "viewing"
        await self.channel_layer.group_add(realtime.ticket_group(ticket.pk), self.channel_name)
        await self._announce("viewing")
        # Others say who they are, so the newcomer sees them at once.
        await self.channel_layer.group_send(
            realtime.ticket_group(ticket.pk),
            {"type": "presence.query", "ticket": ticket.pk, "asker": self.channel_name},
        )
        await self._send({"type": "watching", "ticket": ticket.pk, "number": ticket.number})

    async def on_unwatch(self, frame: dict[str, Any]) -> None:
        await self._unwatch()

    async def _unwatch(self) -> None:
        if self.watching is None:
            return
        ticket, self.watching = self.watching, None
        await self._announce("left", ticket=ticket)
        if self.state == "replying":
            agent_typing(ticket=ticket, name=self.agent.display_name, active=False)
        await self.channel_layer.group_discard(realtime.ticket_group(ticket.pk), self.channel_name)

    async def on_typing(self, frame: dict[str, Any]) -> None:
        ticket = self.watching
        if ticket is None:
            return
        active = bool(frame.get("active"))
        to_customer = frame.get("mode", "reply") == "reply"
        # Only a reply can collide with a colleague's; a note is just viewing.
        self.state = "replying" if active and to_customer else "viewing"
        await self._announce(self.state)
        if to_customer or not active:
            # Internal notes are never announced to the customer.
            agent_typing(ticket=ticket, name=self.agent.display_name, active=active and to_customer)

    async def on_seen(self, frame: dict[str, Any]) -> None:
        ticket = self.watching
        message_id = frame.get("message")
        if ticket is None or not isinstance(message_id, int) or isinstance(message_id, bool):
            return
        await in_db_thread(agent_saw)(ticket=ticket, until=message_id)

    async def _announce(self, state: str, *, ticket: Ticket | None = None) -> None:
        target = ticket or self.watching
        if target is None:
            return
        await self.channel_layer.group_send(
            realtime.ticket_group(target.pk),
            {
                "type": "presence.update",
                "ticket": target.pk,
                "agent": self.agent.pk,
                "name": self.agent.display_name,
                "state": state,
                "from": self.channel_name,
            },
        )

    # --- pushes from the desk -----------------------------------------------------------

    async def desk_event(self, event: dict[str, Any]) -> None:
        fact = event.get("fact") or {}
        if not self._may_see(fact):
            if fact.get("kind") == "updated":
                # It may have just left this agent's view (another group, another
                # assignee): say only that something changed, so lists refresh.
                await self._send({"type": "ticket", "fact": {"ticket": fact.get("ticket"),
                                                              "kind": "gone"}})  # fmt: skip
            return
        fact = dict(fact)
        fact["mine"] = fact.get("group_id") in self.group_ids
        fact["by_me"] = fact.get("actor_agent_id") == self.agent.pk
        await self._send({"type": "ticket", "fact": fact})

    async def presence_update(self, event: dict[str, Any]) -> None:
        if event.get("from") == self.channel_name:
            return
        await self._send(
            {
                "type": "presence",
                "ticket": event["ticket"],
                "agent": event["agent"],
                "name": event["name"],
                "state": event["state"],
            }
        )

    async def presence_query(self, event: dict[str, Any]) -> None:
        if event.get("asker") != self.channel_name and self.watching is not None:
            await self._announce(self.state)

    async def ticket_typing(self, event: dict[str, Any]) -> None:
        await self._send(
            {
                "type": "typing",
                "ticket": event["ticket"],
                "who": event.get("who", "customer"),
                "active": bool(event.get("active")),
            }
        )

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False, separators=(",", ":")))
