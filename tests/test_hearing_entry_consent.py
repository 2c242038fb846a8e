"""Fast entry records the speaker's consent with the choices of the kit and the paper form."""
from __future__ import annotations

import re

import pytest

from consult.core.vocab import CONSENTS

ENTRY = {"document": "sample-programme", "clause": "2", "speaker": "Айгүл Осмонова",
         "organisation": "", "category": "individual", "gender": "female",
         "language": "ky", "channel": "hearing-written", "body": "Keep the pastures open."}


def entry_url(hearing_id: int) -> str:
    return f"/en/hearings/{hearing_id}/entry"


def test_fast_entry_offers_every_consent_with_anonymous_chosen(client, login, naryn):
    login("moderator")
    page = client.get(entry_url(naryn)).get_data(as_text=True)
    select = page.split('name="consent"')[1].split("</select>")[0]
    assert re.findall(r'<option[^>]*value="([^"]+)"', select) == list(CONSENTS)
    assert re.search(r'<option selected value="anonymous"|<option value="anonymous" selected',
                     select)


@pytest.mark.parametrize(("sent", "stored"), [
    ({}, "anonymous"), ({"consent": "full"}, "full"), ({"consent": "none"}, "none")])
def test_fast_entry_stores_the_consent_chosen(stored_comments, client, login, naryn, sent,
                                              stored):
    login("moderator")
    client.post(entry_url(naryn), data={**ENTRY, **sent})
    assert [c.consent for c in stored_comments()] == [stored]


def test_fast_entry_refuses_a_consent_outside_the_list(stored_comments, client, login, naryn):
    login("moderator")
    response = client.post(entry_url(naryn), data={**ENTRY, "consent": "everything"})
    assert response.status_code == 200
    assert b"Choose one of the listed values." in response.data
    assert stored_comments() == []


def test_correcting_an_entry_keeps_or_changes_its_consent(stored_comments, client, login,
                                                          naryn):
    login("moderator")
    client.post(entry_url(naryn), data={**ENTRY, "consent": "none"})
    comment_id = stored_comments()[0].id
    edit_url = f"/en/hearings/{naryn}/comments/{comment_id}/edit"
    select = client.get(edit_url).get_data(as_text=True).split('name="consent"')[1]
    assert re.search(r'<option selected value="none"|<option value="none" selected',
                     select.split("</select>")[0])
    client.post(edit_url, data={**ENTRY, "consent": "full"})
    assert [c.consent for c in stored_comments()] == ["full"]
