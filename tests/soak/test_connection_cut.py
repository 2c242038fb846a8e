"""The unit-sized companion of the database-away soak test: a connection cut after a
request has done its work (the database restarted, or an operator ended the connection)
must not turn the answer already made into a 500 when the request's session is closed."""
from __future__ import annotations

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session


def test_a_connection_cut_before_the_session_closes_keeps_the_answer(app, client,
                                                                      monkeypatch):
    closed = []

    def cut(session):
        closed.append(session)
        raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to "
                                                         "administrator command"))

    monkeypatch.setattr(Session, "close", cut)
    response = client.get("/en/")
    assert closed, "the request used no database session: the test proves nothing"
    assert response.status_code == 200
