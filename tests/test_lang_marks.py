"""Text in another language than the page's is marked with its language (WCAG 3.1.2):
a draft shown in its fallback language, and the comment form's page in every language."""
from __future__ import annotations

import re


def test_a_draft_shown_in_its_fallback_language_says_so_in_lang(client, make_document):
    make_document(languages=("ru", "en"))
    html = client.get("/ky/documents/sample-programme/").get_data(as_text=True)
    assert '<html lang="ky">' in html
    assert re.search(r'<h1 lang="ru">Пример программы</h1>', html)
    assert re.search(r'<h2 id="section-0" class="heading level-1" lang="ru">Глава 1', html)
    assert re.search(r'<a href="#section-0" lang="ru">Глава 1', html)
    clause = client.get("/ky/documents/sample-programme/1/").get_data(as_text=True)
    assert re.search(r'<span lang="ru">Глава 1\. Общие положения</span>', clause)


def test_a_draft_in_the_page_language_carries_no_extra_marks(client, make_document):
    make_document()
    html = client.get("/ky/documents/sample-programme/").get_data(as_text=True)
    assert re.search(r"<h1>Программанын үлгүсү</h1>", html)
    assert 'class="heading level-1" lang=' not in html
