import pytest

from unidesk.core.text import html_to_text, sanitize_html, search_terms, text_to_html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script><p>hi</p>",
        '<img src=x onerror="alert(1)"><p>hi</p>',
        '<a href="javascript:alert(1)">hi</a>',
        '<iframe src="https://evil.example"></iframe><p>hi</p>',
        '<p style="background:url(javascript:alert(1))">hi</p>',
        "<svg><script>alert(1)</script></svg><p>hi</p>",
        '<form action="https://evil.example"><input name=x></form><p>hi</p>',
    ],
)
def test_sanitising_removes_everything_that_could_run(hostile: str) -> None:
    cleaned = sanitize_html(hostile)

    for marker in ("<script", "onerror", "javascript:", "<iframe", "style=", "<form", "<svg"):
        assert marker not in cleaned.lower()
    assert "hi" in cleaned


def test_sanitised_links_open_safely_in_a_new_tab() -> None:
    cleaned = sanitize_html('<a href="https://example.com/track">order</a>')

    assert 'href="https://example.com/track"' in cleaned
    assert 'target="_blank"' in cleaned
    assert "noopener" in cleaned


def test_inline_cid_images_survive_for_later_rewriting() -> None:
    assert 'src="cid:logo@x"' in sanitize_html('<img src="cid:logo@x" alt="logo">')


def test_html_to_text_keeps_paragraphs_and_decodes_entities() -> None:
    text = html_to_text("<p>Здравствуйте,</p><p>заказ &laquo;123&raquo; готов<br>Спасибо</p>")

    assert text == "Здравствуйте,\nзаказ «123» готов\nСпасибо"


def test_text_to_html_escapes_before_adding_breaks() -> None:
    assert text_to_html("a <b>\nline") == "<p>a &lt;b&gt;<br>line</p>"


def test_search_terms_reduce_russian_and_english_word_forms_to_one_stem() -> None:
    assert search_terms("заказы заказа Заказ") == ["заказ", "заказ", "заказ"]
    assert search_terms("Refunds refunding") == ["refund", "refund"]
    assert search_terms("ёлка") == search_terms("елка")
