"""The demo desk's set-up: «Тропа», a small online shop of hiking gear, and its support team.

Keys (``"general"``, ``"maria"``, ``"wa"``…) are how the conversation scripts refer to
groups, agents and channels.
"""

from __future__ import annotations

from dataclasses import dataclass

SHOP_TIME_ZONE = "Europe/Moscow"


@dataclass(frozen=True)
class GroupSpec:
    key: str
    name: str
    first_reply_target_minutes: int
    description: str
    is_default: bool = False


@dataclass(frozen=True)
class AgentSpec:
    key: str
    email: str
    name: str
    role: str
    groups: tuple[str, ...]
    language: str = "ru"


@dataclass(frozen=True)
class ChannelSpec:
    key: str
    kind: str
    name: str
    group: str = ""


GROUPS = (
    GroupSpec(
        key="general",
        name="Общие вопросы / General",
        first_reply_target_minutes=60,
        description="Заказы, наличие, доставка и подбор снаряжения.",
        is_default=True,
    ),
    GroupSpec(
        key="tech",
        name="Техподдержка / Technical",
        first_reply_target_minutes=240,
        description="Приложение, личный кабинет, вход и гарантийная диагностика снаряжения.",
    ),
    GroupSpec(
        key="billing",
        name="Оплата / Billing",
        first_reply_target_minutes=120,
        description="Платежи, двойные списания, счета и закрывающие документы для компаний.",
    ),
    GroupSpec(
        key="refunds",
        name="Возвраты / Refunds",
        first_reply_target_minutes=480,
        description="Возвраты, обмены и возмещения.",
    ),
)

ALL_GROUPS = tuple(group.key for group in GROUPS)

AGENTS = (
    AgentSpec(
        key="anna",
        email="anna@demo.unidesk.local",
        name="Анна Смирнова",
        role="admin",
        groups=ALL_GROUPS,
    ),
    AgentSpec(
        key="dmitry",
        email="dmitry@demo.unidesk.local",
        name="Дмитрий Волков",
        role="supervisor",
        groups=("general", "tech"),
    ),
    AgentSpec(
        key="katya",
        email="ekaterina@demo.unidesk.local",
        name="Екатерина Белова",
        role="agent",
        groups=("billing", "refunds"),
    ),
    AgentSpec(
        key="igor",
        email="igor@demo.unidesk.local",
        name="Игорь Никитин",
        role="agent",
        groups=("tech",),
    ),
    AgentSpec(
        key="maria",
        email="maria@demo.unidesk.local",
        name="Мария Орлова",
        role="agent",
        groups=("general", "refunds"),
    ),
    AgentSpec(
        key="olivia",
        email="olivia@demo.unidesk.local",
        name="Olivia Grant",
        role="agent",
        groups=("general", "billing"),
        language="en",
    ),
    AgentSpec(
        key="sergey",
        email="sergey@demo.unidesk.local",
        name="Сергей Павлов",
        role="trainee",
        groups=("general",),
    ),
)

CHANNELS = (
    ChannelSpec(key="form", kind="api", name="Форма обратной связи на сайте", group="general"),
    ChannelSpec(key="mail", kind="email", name="support@tropa.example", group="general"),
    ChannelSpec(key="b2b", kind="email", name="b2b@tropa.example (юрлица)", group="billing"),
    ChannelSpec(key="chat", kind="webchat", name="Чат на сайте tropa.example", group="general"),
    ChannelSpec(key="tg", kind="telegram", name="Telegram @tropa_help_bot", group="general"),
    ChannelSpec(key="wa", kind="whatsapp", name="WhatsApp +7 495 120-45-67", group="general"),
    ChannelSpec(key="vk", kind="vk", name="ВКонтакте: сообщество «Тропа»", group="general"),
)

# Tags the team uses, with the colours they chose for them.
TAGS = {
    "доставка": "#2563eb",
    "задержка": "#f59e0b",
    "изменение-заказа": "#0ea5e9",
    "отмена": "#64748b",
    "возврат": "#dc2626",
    "обмен": "#db2777",
    "размер": "#a855f7",
    "брак": "#b91c1c",
    "гарантия": "#7c3aed",
    "промокод": "#16a34a",
    "оплата": "#059669",
    "двойное-списание": "#e11d48",
    "юрлицо": "#0f766e",
    "документы": "#475569",
    "приложение": "#4f46e5",
    "вход": "#6366f1",
    "консультация": "#84cc16",
    "жалоба": "#ea580c",
    "публично": "#facc15",
    "english": "#0891b2",
}
