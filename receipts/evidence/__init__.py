"""Evidence: per-crawl WARC files, WACZ export and hash verification.

Storage layout (documented here and in the report of every crawl):

- Each crawl writes ``RECEIPTS_DATA_DIR/warc/<crawl_id>.warc.gz`` (WARC 1.1, one gzip member per
  record). The crawl document lists the file name in ``warc_files``; each capture carries
  ``warc_file`` (that name) and ``warc_record_id`` (its ``response`` record, or its ``metadata``
  record when the fetch failed) and ``meta.warc`` = ``{"offset", "length"}``, the byte range of
  the capture's record group (response, request, metadata) inside the file.
- The ``warcs`` collection holds one document per WARC file (``_id`` = file name): ``crawl_id``,
  ``sha256`` and ``bytes`` of the closed file, ``records``, ``closed_at`` and ``resources`` (the
  ``resource`` records: ``record_id``, ``uri``, ``content_type``, ``target_id``, ``offset``,
  ``length``), so ``receipts verify`` can detect a changed byte and ``receipts export wacz`` can
  copy records without scanning the file.
- The ``timestamps`` collection holds the RFC 3161 tokens of each closed WARC (and of each WACZ
  signature), keyed by the digest they cover (:mod:`receipts.db.timestamps`,
  :mod:`receipts.evidence.timestamps`); ``receipts export wacz`` signs ``datapackage-digest.json``
  (:mod:`receipts.evidence.signing`) and ``receipts verify`` checks both (:mod:`receipts.evidence.proofs`).
- Digests are ``sha256:<hex>`` everywhere (``WARC-Block-Digest``, ``WARC-Payload-Digest``).
- The normalised post JSON is a ``resource`` record with ``WARC-Target-URI``
  ``urn:receipts:post:<platform>:<id>`` (e.g. ``urn:receipts:post:x:1890…``); screenshots are
  ``resource`` records written through ``ArchiveWriter.add_resource``.
"""
