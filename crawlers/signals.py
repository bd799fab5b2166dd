"""Receipts' own Scrapy signals: plain objects, like the ones in ``scrapy/signals.py``.

``capture_recorded`` is the capture middleware's only way out: it is sent (``send_catch_log``)
for every HTTP attempt with ``capture`` (a :class:`~receipts.models.Capture`), ``body``,
``request``, ``response`` (None for a transport error or a failed render) and ``store_body``
(False for media, whose bytes live in the media bucket). The crawl's writer
(:mod:`pipelines.writer`) connects to it; receivers run in order, synchronously, so each capture
gets its WARC records before it is queued for insert.
"""

from __future__ import annotations

capture_recorded = object()
