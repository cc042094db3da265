from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories
from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelAccount

LOGIN = reverse("workspace:login")
INBOX = reverse("workspace:home")
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def test_an_agent_logs_in_with_email_and_password_and_lands_in_the_inbox(
    client: Client, agent: Agent
) -> None:
    page = client.get(LOGIN)
    assert page.status_code == 200
    assert "Log in to the agent workspace" in page.content.decode()

    response = client.post(
        LOGIN, {"username": agent.email.upper(), "password": "correct horse battery"}
    )

    assert response.status_code == 302
    assert response["Location"] == INBOX
    assert agent.display_name in client.get(INBOX).content.decode()


def test_a_wrong_password_is_refused_with_a_message(client: Client, agent: Agent) -> None:
    response = client.post(LOGIN, {"username": agent.email, "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_deactivated_agent_cannot_log_in(client: Client, db: None) -> None:
    gone = factories.agent(email="gone@example.com")
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    client.post(LOGIN, {"username": "gone@example.com", "password": "correct horse battery"})

    assert "_auth_user_id" not in client.session


def test_logging_out_ends_the_session(agent_client: Client) -> None:
    response = agent_client.post(reverse("workspace:logout"))

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert agent_client.get(INBOX).status_code == 302


@pytest.mark.parametrize(
    "url",
    [
        reverse("workspace:home"),
        reverse("workspace:search") + "?q=x",
        reverse("workspace:ticket", args=[1001]),
        reverse("workspace:attachment", args=[1]),
        reverse("workspace:customer", args=[1]),
    ],
)
def test_every_page_needs_a_login(client: Client, db: None, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={url.replace('?', '%3F').replace('=', '%3D')}"


@pytest.mark.parametrize(
    "url",
    [
        reverse("workspace:ticket-reply", args=[1001]),
        reverse("workspace:ticket-update", args=[1001]),
        reverse("workspace:message-retry", args=[1001, 1]),
        reverse("workspace:language"),
    ],
)
def test_every_action_needs_a_login(client: Client, db: None, url: str) -> None:
    response = client.post(url, {"text": "hi", "status": "solved", "language": "ru"})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_switching_to_russian_saves_the_agents_language_and_translates_the_workspace(
    agent_client: Client, agent: Agent, account: ChannelAccount
) -> None:
    ticket = factories.conversation(account, text="Где мой заказ?").ticket

    response = agent_client.post(
        reverse("workspace:language"), {"language": "ru", "next": f"/t/{ticket.number}/"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/t/{ticket.number}/"
    agent.refresh_from_db()
    assert agent.language == "ru"
    html = agent_client.get(response["Location"]).content.decode()
    assert '<html lang="ru"' in html
    assert "Входящие" in html
    assert "Ответ клиенту" in html
    assert "Внутренняя заметка" in html
    assert "Новое" in html  # the status
    assert "Взять себе" in html
    inbox = agent_client.get(INBOX, {"view": "unassigned"}).content.decode()
    assert "Без исполнителя" in inbox
    assert "Последняя активность" in inbox


def test_the_saved_language_follows_the_agent_to_a_new_browser(
    client: Client, agent: Agent
) -> None:
    agent.language = "ru"
    agent.save(update_fields=["language"])
    client.force_login(agent)

    html = client.get(INBOX).content.decode()

    assert "Мои" in html
    assert "Выйти" in html


def test_the_language_switch_ignores_unknown_languages_and_foreign_redirects(
    agent_client: Client, agent: Agent
) -> None:
    response = agent_client.post(
        reverse("workspace:language"), {"language": "xx", "next": "https://evil.example/"}
    )

    assert response["Location"] == INBOX
    agent.refresh_from_db()
    assert agent.language == ""


def test_the_login_page_can_be_switched_to_russian_before_logging_in(
    client: Client, db: None
) -> None:
    client.post(reverse("set_language"), {"language": "ru", "next": LOGIN})

    html = client.get(LOGIN).content.decode()

    assert "Вход в рабочее место сотрудника" in html
    assert "Войти" in html


def _empty_msgstr(entry: str) -> bool:
    """A translation line with nothing in it and no continuation lines after it (a long
    translation starts with `msgstr ""` and goes on in the next lines)."""
    lines = entry.strip().splitlines()
    return any(
        re.fullmatch(r'msgstr(\[\d+\])? ""', line)
        and (index + 1 == len(lines) or not lines[index + 1].startswith('"'))
        for index, line in enumerate(lines)
    )


def test_every_message_of_the_russian_catalogue_is_translated() -> None:
    entries = CATALOGUE.read_text(encoding="utf-8").split("\n\n")[1:]

    untranslated = [entry for entry in entries if "#, fuzzy" in entry or _empty_msgstr(entry)]

    assert len(entries) > 200
    assert untranslated == []
    assert CATALOGUE.with_suffix(".mo").exists()
