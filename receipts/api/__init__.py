"""The HTTP API (FastAPI): ``create_app()`` in :mod:`receipts.api.app`."""
