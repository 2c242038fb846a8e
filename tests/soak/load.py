"""Citizens under load: concurrent clients reading pages and commenting through the real
form, each comment's outcome kept in a ledger that is checked against the database after.

Every comment carries a unique marker in its text. Its outcome, as the client saw it:

- ``acknowledged``: the app redirected to a receipt. It must be stored exactly once, under
  that receipt code.
- ``refused``: the app itself answered with another status (its pages carry its
  Content-Security-Policy header): a refused form, a 503 while the database is away. It must
  not be stored.
- ``unknown``: no answer from the app: the connection was lost, or nginx answered 502
  because the app server died with the request. A worker killed between its commit and its
  answer has stored the comment without anyone hearing of it, so either is correct; these
  are counted, never assumed.
"""
from __future__ import annotations

import http.client
import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import create_engine, select

from bench.serving import Browser, comment_form, percentile, receipt_code
from consult.models import Comment
from tests.soak.servers import Site

ACKNOWLEDGED, REFUSED, UNKNOWN = "acknowledged", "refused", "unknown"
# What a client does next, with weights: read the notice, a whole document, a clause, or
# open a clause and comment on it (then open the receipt, as a browser follows a redirect).
ACTIONS = (("notice", 1), ("document", 1), ("clause", 3), ("comment", 3))
VISIT_LENGTH = 12  # actions per browser visit (new connection, new cookies)
# A person shown an error page waits a moment before trying again; clients that did not
# would only measure how fast nginx can say 502.
PAUSE_AFTER_ERROR = 0.25
UNAVAILABLE_TITLE = b"The consultation site is busy for a moment"


@dataclass(frozen=True)
class Answer:
    """One request: when it started (seconds into the run), what it was, what came back
    (``status`` None: no answer at all)."""
    at: float
    kind: str
    status: int | None
    seconds: float
    by_app: bool = False
    readable: bool = False  # an error answered with the app's own page for it


@dataclass(frozen=True)
class Attempt:
    marker: str
    outcome: str
    status: int | None
    receipt: str | None = None


@dataclass
class Ledger:
    """What every client saw, and the faults injected (name, seconds into the run)."""
    run: str = field(default_factory=lambda: f"soak{secrets.token_hex(4)}")
    answers: list[Answer] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    events: list[tuple[str, float]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    until: float = 0.0  # when the clients stop (monotonic time)
    seconds: float = 0.0  # how long they ran
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.started

    def add(self, item) -> None:
        with self.lock:
            (self.attempts if isinstance(item, Attempt) else self.answers).append(item)


def answered_by_app(response: http.client.HTTPResponse) -> bool:
    """Whether the app wrote this answer (rather than nginx, on the app's behalf)."""
    return response.getheader("Content-Security-Policy") is not None


def readable_error(response: http.client.HTTPResponse, body: bytes) -> bool:
    """An error answered with a page a person can read: the app's page for it (for a 503,
    the page saying the site is busy, with Retry-After)."""
    if not answered_by_app(response) or b"<h1>" not in body:
        return False
    if response.status == 503:
        return UNAVAILABLE_TITLE in body and response.getheader("Retry-After") is not None
    return True


def send(ledger: Ledger, browser: Browser, kind: str, method: str, path: str,
         form: dict | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    """One request, recorded; a lost connection is recorded and raised."""
    at, started = ledger.now(), time.perf_counter()
    try:
        response, body = browser.request(method, path, form)
    except (OSError, http.client.HTTPException):
        ledger.add(Answer(at, kind, None, time.perf_counter() - started))
        raise
    ledger.add(Answer(at, kind, response.status, time.perf_counter() - started,
                      answered_by_app(response),
                      response.status >= 400 and readable_error(response, body)))
    return response, body


def comment(ledger: Ledger, browser: Browser, path: str, marker: str) -> int:
    """Open a clause page and send a comment through its form, then open the receipt; the
    last status seen."""
    response, page = send(ledger, browser, "clause", "GET", path)
    if response.status != 200:
        return response.status
    form = comment_form(f"Soak comment {marker}: the juniper forests of "
                        "Naryn need protection.", "Soak Citizen")
    try:
        response, _ = send(ledger, browser, "comment", "POST", path, form)
    except (OSError, http.client.HTTPException):
        ledger.add(Attempt(marker, UNKNOWN, None))
        raise
    code = receipt_code(response)
    if code is not None:
        ledger.add(Attempt(marker, ACKNOWLEDGED, response.status, code))
        receipt = urlsplit(response.getheader("Location")).path
        return send(ledger, browser, "receipt", "GET", receipt)[0].status
    ledger.add(Attempt(marker, REFUSED if answered_by_app(response) else UNKNOWN,
                       response.status))
    return response.status


def citizen(ledger: Ledger, port: int, site: Site, ident: int) -> None:
    """One client, acting until the ledger says to stop."""
    rng = random.Random(ident)
    pages = {"notice": (site.notice,), "document": site.documents, "clause": site.clauses}
    browser, done, sent = None, 0, 0
    while time.monotonic() < ledger.until:
        if browser is None or done % VISIT_LENGTH == 0:
            if browser is not None:
                browser.close()
            browser = Browser(port, f"soak/{ident}")
        done += 1
        kind = rng.choices([a for a, _ in ACTIONS], [w for _, w in ACTIONS])[0]
        try:
            if kind == "comment":
                sent += 1
                status = comment(ledger, browser, rng.choice(site.clauses),
                                 f"{ledger.run}-{ident:02d}-{sent:05d}")
            else:
                status = send(ledger, browser, kind, "GET", rng.choice(pages[kind]))[0].status
        except (OSError, http.client.HTTPException, ValueError):
            # A lost connection (recorded by send) or a page without its form: start over
            # with a new visit.
            browser.close()
            browser = None
            status = None
        if status is None or status >= 500:
            time.sleep(PAUSE_AFTER_ERROR)
    if browser is not None:
        browser.close()


def run_load(port: int, site: Site, seconds: float, clients: int = 32,
             faults: Sequence[tuple[float, str, Callable[[], object]]] = (),
             after_faults: float = 0.0) -> Ledger:
    """``clients`` citizens through ``port`` for ``seconds``, and at least ``after_faults``
    seconds after the last fault is done (a restart takes what it takes). Each fault
    (seconds into the run, name, action) is injected on time, from this thread, and noted
    in the ledger with the time it was done and what the action returned."""
    ledger = Ledger()
    ledger.until = ledger.started + seconds
    threads = [threading.Thread(target=citizen, args=(ledger, port, site, i), daemon=True)
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for at, name, action in sorted(faults, key=lambda fault: fault[0]):
        time.sleep(max(0.0, at - ledger.now()))
        note = action()
        ledger.events.append((f"{name} ({note})" if note else name, ledger.now()))
    if faults:
        ledger.until = max(ledger.until, time.monotonic() + after_faults)
    for thread in threads:
        # A request may take its full timeout (30 s) after the end of the run.
        thread.join(timeout=max(0.0, ledger.until - time.monotonic()) + 45)
    if any(thread.is_alive() for thread in threads):
        raise AssertionError("a client did not finish: a request hangs past its timeout")
    ledger.seconds = ledger.now()
    return ledger


# ------------------------------------------------------------------ checking the database

@dataclass
class Verdict:
    """The ledger against the database."""
    missing: list[Attempt] = field(default_factory=list)  # acknowledged, not stored once
    wrong_receipt: list[Attempt] = field(default_factory=list)  # stored under another code
    stored_refused: list[Attempt] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)  # markers stored more than once
    unknown_stored: int = 0
    unknown_absent: int = 0
    phantoms: list[str] = field(default_factory=list)  # stored, never sent

    @property
    def sound(self) -> bool:
        return not (self.missing or self.wrong_receipt or self.stored_refused
                    or self.duplicated or self.phantoms)


def stored_comments(database_url: str, run: str) -> dict[str, list[str]]:
    """Marker -> receipt codes of the comments of this run in the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Comment.body, Comment.receipt_code).where(
                Comment.body.like(f"Soak comment {run}-%"))).all()
    finally:
        engine.dispose()
    stored: dict[str, list[str]] = {}
    for body, code in rows:
        marker = body.removeprefix("Soak comment ").split(":", 1)[0]
        stored.setdefault(marker, []).append(code)
    return stored


def verify(ledger: Ledger, stored: dict[str, list[str]]) -> Verdict:
    verdict = Verdict()
    sent = {attempt.marker for attempt in ledger.attempts}
    verdict.phantoms = sorted(set(stored) - sent)
    verdict.duplicated = sorted(marker for marker, codes in stored.items() if len(codes) > 1)
    for attempt in ledger.attempts:
        codes = stored.get(attempt.marker, [])
        if attempt.outcome == ACKNOWLEDGED:
            if len(codes) != 1:
                verdict.missing.append(attempt)
            elif codes[0] != attempt.receipt:
                verdict.wrong_receipt.append(attempt)
        elif attempt.outcome == REFUSED and codes:
            verdict.stored_refused.append(attempt)
        elif attempt.outcome == UNKNOWN:
            if codes:
                verdict.unknown_stored += 1
            else:
                verdict.unknown_absent += 1
    return verdict


# ------------------------------------------------------------------ figures

def server_errors(ledger: Ledger) -> list[Answer]:
    return [a for a in ledger.answers if a.status is not None and a.status >= 500]


def summary(name: str, ledger: Ledger, verdict: Verdict) -> str:
    """The figures of a run, one block of text for the test's output."""
    seconds = ledger.seconds
    outcomes = Counter(attempt.outcome for attempt in ledger.attempts)
    statuses = Counter(a.status for a in ledger.answers)
    errors = server_errors(ledger)
    lines = [f"{name}: {len(ledger.answers)} requests in {seconds:.0f} s "
             f"({len(ledger.answers) / seconds:.0f}/s), statuses "
             f"{dict(sorted(statuses.items(), key=lambda item: str(item[0])))}",
             f"  comments: {outcomes[ACKNOWLEDGED]} acknowledged, {outcomes[REFUSED]} refused "
             f"by the app, {outcomes[UNKNOWN]} unknown ({verdict.unknown_stored} of them "
             f"stored, {verdict.unknown_absent} not)",
             f"  5xx: {sum(a.by_app for a in errors)} from the app "
             f"({sum(a.readable for a in errors)} readable pages), "
             f"{sum(not a.by_app for a in errors)} from nginx; "
             f"{statuses[None]} requests without an answer"]
    for kind in ("notice", "document", "clause", "comment", "receipt"):
        times = [a.seconds * 1000 for a in ledger.answers if a.kind == kind and a.status]
        if times:
            lines.append(f"  {kind:8s} {len(times):6d} requests, p50 {percentile(times, 50):6.1f}"
                         f" ms, p99 {percentile(times, 99):7.1f} ms")
    lines += [f"  fault {event} at {at:.1f} s" for event, at in ledger.events]
    return "\n".join(lines)
