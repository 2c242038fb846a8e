"""E-mail to commenters who left an address: "told when answered".

A commenter who gives an address gets a confirmation with the receipt link, a message when
their comment's answer becomes public, and one when the results are published; each in
the comment's language, each with a link that stops them.

- ``outbox``: the queue's rules that every area may call (queue a confirmation, cancel on
  erasure, the code lists, the masked address). It reads no area: comments and their
  erasure call it.
- ``events``: which answer and publication changes owe which message (``answers_changed``,
  ``results_published``), by ``comments.public``'s rule of when an answer is public.
- ``messages``: a queued event written as an e-mail, in the comment's language.
- ``stop``: the signed stop link and what it does.
- ``delivery``: ``consult send-mail``'s SMTP delivery with claims, retries and backoff.

Nothing is sent from a web request: requests only add outbox rows, in their transaction.
"""
