"""``python -m receipts.cli``: the same as the ``receipts`` console script."""

from receipts.cli import main

main()
