"""The kernel every area builds on, importing nothing of the areas.

- ``vocab``: every code list with its translated labels (channels, categories, regions,
  genders, consents, moderation states, hide reasons, response statuses, ...)
- ``languages``: which languages exist, their names and fallback order
- ``time``: naive UTC in the database, Asia/Bishkek for people
- ``spreadsheets``: the one safe-cell rule for every xlsx and CSV written, and ``Problem``
- ``paging``: page numbers from URLs and the pages they give
- ``consultation``: the current consultation, its phase, period and moderation mode
"""
