"""Who did something: an agent, a customer, the system, an automation rule or the bot.

Services take an ``Actor`` so activity logs and events say who acted without each layer
knowing the others' models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ActorKind = Literal["agent", "customer", "system", "automation", "bot"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: int | None = None
    name: str = ""

    @classmethod
    def system(cls, name: str = "unidesk") -> Actor:
        return cls(kind="system", name=name)

    @classmethod
    def for_agent(cls, agent: Any) -> Actor:
        return cls(kind="agent", id=agent.pk, name=agent.display_name)

    @classmethod
    def for_customer(cls, customer: Any) -> Actor:
        return cls(kind="customer", id=customer.pk, name=customer.name)

    @property
    def agent_id(self) -> int | None:
        return self.id if self.kind == "agent" else None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Actor:
        return cls(kind=data["kind"], id=data.get("id"), name=data.get("name", ""))
