"""The check of a load's ledger against the database (tests/soak/load.py): what each
outcome a client saw allows to be stored."""
from __future__ import annotations

from tests.soak.load import ACKNOWLEDGED, REFUSED, UNKNOWN, Attempt, Ledger, verify


def ledger(*attempts: Attempt) -> Ledger:
    result = Ledger()
    result.attempts.extend(attempts)
    return result


def test_an_acknowledged_comment_is_stored_once_under_its_receipt():
    sent = ledger(Attempt("m1", ACKNOWLEDGED, 302, "AAAA-1111-CCCC"))
    assert verify(sent, {"m1": ["AAAA-1111-CCCC"]}).sound
    assert verify(sent, {}).missing == sent.attempts
    assert verify(sent, {"m1": ["AAAA-1111-XXXX"]}).wrong_receipt == sent.attempts
    twice = verify(sent, {"m1": ["AAAA-1111-CCCC", "AAAA-1111-CCCC"]})
    assert twice.duplicated == ["m1"] and not twice.sound


def test_a_refused_comment_is_not_stored():
    sent = ledger(Attempt("m2", REFUSED, 503))
    assert verify(sent, {}).sound
    assert verify(sent, {"m2": ["AAAA-2222-CCCC"]}).stored_refused == sent.attempts


def test_an_unknown_outcome_may_go_either_way_and_is_counted():
    sent = ledger(Attempt("m3", UNKNOWN, 502), Attempt("m4", UNKNOWN, None))
    verdict = verify(sent, {"m3": ["AAAA-3333-CCCC"]})
    assert verdict.sound
    assert (verdict.unknown_stored, verdict.unknown_absent) == (1, 1)
    assert not verify(sent, {"m3": ["A", "B"]}).sound  # but never twice


def test_a_comment_nobody_sent_is_reported():
    assert verify(ledger(), {"m5": ["AAAA-5555-CCCC"]}).phantoms == ["m5"]
