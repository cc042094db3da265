"""Every message of the corpus (real clients' shapes and hostile ones) parsed, with what
an agent would notice asserted for each: who wrote, the subject, the words, the files,
whether it is an automatic message, and where the reply ends."""

from __future__ import annotations

from typing import Any

import pytest

from tests.channels.email.support import corpus_names, eml, parse
from unidesk.channels.base import DeliveryUpdate, InboundMessage

# name -> what the parsed message must show. Keys: sender, name, subject, has (text
# contains), lacks (text does not contain), files (file names in order), inline (names
# shown in place), cc, ticket (subject token), automatic (loop protection reason
# starts with), auto_reply, collapsed (quote/signature), reply_has (the shown reply
# part), bounce (the Message-ID reported failed), events (0 for nothing at all).
EXPECTED: dict[str, dict[str, Any]] = {
    "1c_windows1251_8bit": {
        "sender": "buh@vector.example",
        "subject": "Акт сверки за ноябрь",
        "has": ["Направляем акт сверки за ноябрь 2026 г."],
    },
    "apple_mail_reply": {
        "sender": "claire.martin@icloud.com",
        "name": "Claire Martin",
        "collapsed": "quote",
        "reply_has": "Where can I see the tracking",
        "refs": ["c1b2c3d4-0000-4000-8000-000000000003@shop.example"],
    },
    "attachment_only": {"sender": "scanner@office.example", "files": ["scan 001.pdf"]},
    "bogus_charset_name": {"has": ["Café crème, s'il vous plaît."], "subject": "Hello"},
    "bounce_plain_daemon": {
        "bounce": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a@shop.example",
        "bounce_reason": "no mailbox here by that name",
    },
    "calendar_invite": {"files": ["invite.ics"], "has": ["invited to a call"]},
    "cc_colleagues": {
        "sender": "boss@client.example",
        "cc": ["accountant@client.example", "assistant@client.example"],
    },
    "dsn_bounce_5_1_1": {
        "bounce": "0d6f2a4e-5b1c-4f7e-9a3d-2c8b7e6f5a41@shop.example",
        "bounce_reason": "5.1.1",
    },
    "dsn_delayed": {"events": 0},
    "forward_as_attachment": {
        "files": ["Жалоба.eml"],
        "has": [
            "See the customer's complaint",
            "From: Angry Customer <angry@customer.example>",
            "The kettle leaks after two days.",
        ],
    },
    "garbage_date_broken_base64": {
        "sender": "weird@client.example",
        "sent_at": None,
        "has": ["Привет"],
    },
    "gmail_inline_forward": {
        "has": ["Forwarding the seller's answer", "Returns go through the shop's support."],
        "collapsed": None,
    },
    "gmail_inline_image": {
        "files": ["photo.png"],
        "inline": ["photo.png"],
        "html_has": 'src="cid:ii_photo1"',
    },
    "gmail_reply_ru": {
        "sender": "olga.petrova@gmail.com",
        "name": "Ольга Петрова",
        "subject": "Re: Ваш заказ 4512 отправлен [#1042]",
        "ticket": 1042,
        "collapsed": "quote",
        "reply_has": "Спасибо, посылка пришла!",
        "refs": ["a1b2c3d4-0000-4000-8000-000000000001@shop.example"],
    },
    "hostile_broken_boundary": {"has": ["The text part is here."]},
    "hostile_deep_nesting": {"files": ["rest-of-message.eml"]},
    "hostile_encoded_address_spoof": {"sender": "phisher@attacker.example", "name": ""},
    "hostile_header_injection_name": {
        "sender": "evil@attacker.example",
        "subject": "Hello Bcc: victim@target.example",
        "cc": [],
    },
    "hostile_missing_boundary": {"has": ["Just some text where parts should be."]},
    "hostile_nul_bytes": {"subject": "Nullbyte", "has": ["Beforeafter the NUL."]},
    "hostile_path_traversal_filenames": {"files": ["passwd", "win.ini", "html .txt", "htaccess"]},
    "hostile_script_html": {"has": ["Hello agent", "real link"], "lacks": ["alert"]},
    "html_meta_charset_cp1251": {"has": ["Здравствуйте! Когда появится товар в наличии?"]},
    "html_only": {"has": ["Where is my parcel?", "Order 5531"]},
    "iso8859_2_czech": {
        "name": "Jiří Novák",
        "subject": "Reklamace zboží",
        "has": ["zboží dorazilo poškozené"],
    },
    "iso8859_5_cyrillic": {"subject": "Вопрос", "has": ["Сколько стоит доставка"]},
    "koi8r_8bit": {
        "name": "Пётр Кузнецов",
        "subject": "Не могу войти",
        "has": ["Не могу войти в личный кабинет"],
    },
    "koi8r_label_cp1251_body": {"has": ["пришлите, пожалуйста, накладную"]},
    "large_attachment": {"files": ["layout.zip", "note.txt"]},
    "mailru_mobile_reply": {
        "name": "Анна Смирнова",
        "subject": "Re[2]: Доставка заказа 9921",
        "collapsed": "quote",
        "reply_has": "курьер не приехал",
        "refs": ["f1b2c3d4-0000-4000-8000-000000000006@shop.example"],
    },
    "mislabelled_latin1_is_cp1251": {"has": ["когда будет возврат денег за заказ 5510"]},
    "newsletter_list_id": {"automatic": "Precedence: bulk", "auto_reply": False},
    "no_charset_cp1251": {"has": ["есть ли самовывоз в Казани"]},
    "no_message_id": {"id_suffix": "@unidesk.invalid"},
    "noreply_sender": {"automatic": "automatic sender", "auto_reply": False},
    "outlook_cp1251_qp": {
        "name": "Ирина Соколова",
        "subject": "Счёт на оплату",
        "has": ["ООО «Ромашка»"],
    },
    "outlook_out_of_office": {"automatic": "Auto-Submitted", "auto_reply": True},
    "outlook_reply_qp": {
        "collapsed": "quote",
        "reply_has": "refund has not arrived yet",
        "hidden_has": "We have issued the refund.",
    },
    "plain_with_signature": {
        "collapsed": "signature",
        "reply_has": "copy of invoice 2231",
        "hidden_has": "Head of purchasing",
    },
    "qp_soft_breaks": {
        "has": ["no line exceeds seventy-six characters, and the = sign must survive: 2+2=4."]
    },
    "raw_8bit_headers_cp1251": {
        "name": "Василий Пупкин",
        "subject": "Где мой заказ?",
        "has": ["Заказ 1234 не пришёл."],
    },
    "rfc2047_filename": {"subject": "Счёт", "files": ["Счёт №12.xls"]},
    "rfc2231_filename": {"files": ["Договор № 17.pdf"]},
    "sent_from_iphone": {"collapsed": "signature", "hidden_has": "Sent from my iPhone"},
    "thunderbird_reply": {
        "collapsed": "quote",
        "reply_has": "Danke schön",
        "hidden_has": "We sent the repaired headphones back.",
    },
    "ticket_token_no_references": {"ticket": 1042, "refs": []},
    "unknown_8bit_charset": {"subject": "Вопрос", "has": ["Вопрос по доставке в Минск."]},
    "vacation_auto_submitted": {"automatic": "Auto-Submitted: auto-replied", "auto_reply": True},
    "web_form_reply_to": {"sender": "forms@shop.example", "reply_to": ["visitor@client.example"]},
    "yandex_reply": {
        "name": "Сергей Иванов",
        "ticket": 1077,
        "collapsed": "quote",
        "reply_has": "Промокод так и не применился",
        "hidden_has": "ZIMA2026",
    },
}


def test_the_corpus_is_large_and_every_message_has_expectations() -> None:
    names = corpus_names()
    assert len(names) >= 40
    assert sorted(EXPECTED) == names


@pytest.mark.parametrize("name", corpus_names())
def test_each_message_parses_to_what_an_agent_should_see(name: str) -> None:
    expected = EXPECTED[name]
    events = parse(eml(name))
    assert parse(eml(name)) == events  # deterministic

    if expected.get("events") == 0:
        assert events == []
        return
    assert len(events) == 1
    (event,) = events
    if "bounce" in expected:
        assert isinstance(event, DeliveryUpdate)
        assert event.status == "failed"
        assert event.external_id == expected["bounce"]
        assert expected["bounce_reason"] in event.error
        return
    assert isinstance(event, InboundMessage)
    _check_message(event, expected)


def _check_message(event: InboundMessage, expected: dict[str, Any]) -> None:
    email = event.metadata["email"]
    assert event.external_id
    assert event.identity.kind == "email"
    assert event.text or event.attachments
    for text in (event.text, event.name, event.subject):
        assert "\x00" not in text
        assert "\r" not in text
    if "sender" in expected:
        assert event.identity.value == expected["sender"]
    if "name" in expected:
        assert event.name == expected["name"]
    if "subject" in expected:
        assert event.subject == expected["subject"]
    for words in expected.get("has", []):
        assert words in event.text
    for words in expected.get("lacks", []):
        assert words not in event.text
    if "html_has" in expected:
        assert expected["html_has"] in event.html
    if "files" in expected:
        assert [a.filename for a in event.attachments] == expected["files"]
    for attachment in event.attachments:
        assert "/" not in attachment.filename
        assert "\\" not in attachment.filename
        assert not attachment.filename.startswith(".")
        assert all(ch.isprintable() for ch in attachment.filename)
    if "inline" in expected:
        assert [a.filename for a in event.attachments if a.inline] == expected["inline"]
    if "cc" in expected:
        assert [ref.value for ref in event.cc] == expected["cc"]
    assert event.ticket_number == expected.get("ticket")
    if "refs" in expected:
        assert sorted(set(event.references)) == expected["refs"]
    if "sent_at" in expected:
        assert event.sent_at == expected["sent_at"]
    if "automatic" in expected:
        assert email["automatic"].startswith(expected["automatic"])
    else:
        assert "automatic" not in email
    assert event.auto_reply == expected.get("auto_reply", False)
    collapsed = email.get("collapsed")
    if expected.get("collapsed") is None:
        assert collapsed is None
    else:
        assert collapsed["kind"] == expected["collapsed"]
        if "reply_has" in expected:
            assert expected["reply_has"] in collapsed["reply"]
        if "hidden_has" in expected:
            assert expected["hidden_has"] in collapsed["hidden"]
            assert expected["hidden_has"] not in collapsed["reply"]
    if "id_suffix" in expected:
        assert event.external_id.endswith(expected["id_suffix"])
    if "reply_to" in expected:
        assert email["reply_to"] == expected["reply_to"]
