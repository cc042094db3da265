"""The demo desk's set-up: «Тропа», a small online shop of hiking gear, and its support team.

Keys (``"general"``, ``"maria"``, ``"wa"``…) are how the conversation scripts refer to
groups, agents and channels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

SHOP_TIME_ZONE = "Europe/Moscow"


@dataclass(frozen=True)
class HoursSpec:
    """A working schedule (``weekly`` as ``BusinessHours`` stores it); the public holidays
    of the shop's country are added to it for the current year and the next."""

    name: str
    weekly: dict[str, list[str]]


@dataclass(frozen=True)
class GroupSpec:
    key: str
    name: str
    first_reply_target_minutes: int
    description: str
    hours: str
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
    # The channel's own settings (a mailbox's address).
    settings: tuple[tuple[str, str], ...] = ()


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _weekdays(*periods: str) -> dict[str, list[str]]:
    return {day: list(periods) for day in _WEEKDAYS}


# Each group answers in its own hours: the shop's questions while the shop is open, the
# technical team and the refunds desk on shorter office days.
HOURS = {
    "shop": HoursSpec(
        name="Тропа: магазин (заказы и оплата)",
        weekly={**_weekdays("09:00-21:00"), "sat": ["10:00-18:00"]},
    ),
    "tech": HoursSpec(name="Тропа: техподдержка", weekly=_weekdays("10:00-19:00")),
    "refunds": HoursSpec(
        name="Тропа: возвраты",
        weekly={**_weekdays("10:00-13:00", "14:00-18:00"), "sat": ["11:00-16:00"]},
    ),
}

# Russia's public holidays (month, day): the New Year week and Christmas, Defender of the
# Fatherland Day, Women's Day, Spring and Labour Day, Victory Day, Russia Day, Unity Day.
PUBLIC_HOLIDAYS = (
    *((1, day) for day in range(1, 9)),
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 9),
    (6, 12),
    (11, 4),
)


GROUPS = (
    GroupSpec(
        key="general",
        name="Общие вопросы / General",
        first_reply_target_minutes=60,
        description="Заказы, наличие, доставка и подбор снаряжения.",
        hours="shop",
        is_default=True,
    ),
    GroupSpec(
        key="tech",
        name="Техподдержка / Technical",
        first_reply_target_minutes=240,
        description="Приложение, личный кабинет, вход и гарантийная диагностика снаряжения.",
        hours="tech",
    ),
    GroupSpec(
        key="billing",
        name="Оплата / Billing",
        first_reply_target_minutes=120,
        description="Платежи, двойные списания, счета и закрывающие документы для компаний.",
        hours="shop",
    ),
    GroupSpec(
        key="refunds",
        name="Возвраты / Refunds",
        first_reply_target_minutes=480,
        description="Возвраты, обмены и возмещения.",
        hours="refunds",
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

WHATSAPP_TEMPLATES = [
    {
        "name": "order_update",
        "language": "ru",
        "text": "Здравствуйте! Статус заказа {{1}}: {{2}}.",
    },
    {
        "name": "still_need_help",
        "language": "ru",
        "text": "Здравствуйте, {{1}}! Мы ответили на ваш вопрос. Если помощь ещё нужна, "
        "просто напишите в этот чат.",
    },
]

CHANNELS = (
    ChannelSpec(key="form", kind="api", name="Форма обратной связи на сайте", group="general"),
    ChannelSpec(
        key="mail",
        kind="email",
        name="support@tropa.example",
        group="general",
        settings=(("address", "support@tropa.example"), ("from_name", "Тропа / Tropa")),
    ),
    ChannelSpec(
        key="b2b",
        kind="email",
        name="b2b@tropa.example (юрлица)",
        group="billing",
        settings=(
            ("address", "b2b@tropa.example"),
            ("from_name", "Тропа: отдел по работе с юрлицами"),
        ),
    ),
    ChannelSpec(key="chat", kind="webchat", name="Чат на сайте tropa.example", group="general"),
    ChannelSpec(key="tg", kind="telegram", name="Telegram @tropa_help_bot", group="general"),
    ChannelSpec(
        key="wa",
        kind="whatsapp",
        name="WhatsApp +7 495 120-45-67",
        group="general",
        # After 24 hours of the customer's silence WhatsApp takes only approved templates.
        settings=(("templates", json.dumps(WHATSAPP_TEMPLATES, ensure_ascii=False)),),
    ),
    ChannelSpec(key="vk", kind="vk", name="ВКонтакте: сообщество «Тропа»", group="general"),
    ChannelSpec(key="phone", kind="phone", name="Телефон +7 495 120-45-60", group="general"),
)

# Channels whose replies reach a real person even in the demo: the web chat is served by
# the desk itself (its "try" page talks to it). The others have no platform to reach, so
# their replies are recorded as sent and kept under the demo outbox (demo_delivery).
REACHABLE_IN_DEMO = frozenset({"webchat"})


@dataclass(frozen=True)
class BotAnswerSpec:
    question_ru: str
    question_en: str
    keywords: str
    answer_ru: str
    answer_en: str


# The web chat's greeting bot: it answers the three questions the team is asked most and
# passes everything else to a person.
CHAT_BOT_NAME = "Тропик"
CHAT_BOT_ANSWERS = (
    BotAnswerSpec(
        question_ru="Сроки доставки",
        question_en="Delivery times",
        keywords="доставка, доставить, курьер, посылка, delivery, shipping, courier",
        answer_ru=(
            "По Москве курьер привезёт заказ на следующий день, в другие города СДЭК "
            "доставляет за 2–6 дней. Точный срок и цену сайт покажет в корзине, когда вы "
            "укажете адрес."
        ),
        answer_en=(
            "In Moscow a courier brings your order the next day; elsewhere in Russia CDEK "
            "delivers in 2–6 days. The basket shows the exact date and price once you enter "
            "the address."
        ),
    ),
    BotAnswerSpec(
        question_ru="Возврат товара",
        question_en="Returns",
        keywords="вернуть, возврат, обмен, return, refund, exchange",
        answer_ru=(
            "Неношеное снаряжение можно вернуть в течение 30 дней: оформите возврат в личном "
            "кабинете и сдайте посылку в любой пункт СДЭК — доставка обратно за наш счёт. "
            "Деньги вернутся за 3–5 рабочих дней."
        ),
        answer_en=(
            "Unused gear can be returned within 30 days: start a return in your account and "
            "drop the parcel at any CDEK point, free of charge. The refund arrives in 3–5 "
            "working days."
        ),
    ),
    BotAnswerSpec(
        question_ru="Шоурум и самовывоз",
        question_en="Showroom and pick-up",
        keywords="шоурум, самовывоз, забрать, адрес, showroom, pick up, pickup",
        answer_ru=(
            "Шоурум: Москва, ул. Сельскохозяйственная, 17, стр. 3. Открыт каждый день с 10 "
            "до 21. Заказ можно забрать через 2 часа после письма «Заказ собран»."
        ),
        answer_en=(
            "Showroom: 17 Selskokhozyaystvennaya St, bldg 3, Moscow, open daily 10:00–21:00. "
            "Orders can be picked up 2 hours after the 'Order ready' email."
        ),
    ),
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
