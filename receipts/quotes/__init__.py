"""Quote checks: does an article show a post faithfully?"""

from receipts.quotes.compare import check_quote, compare_text

__all__ = ["check_quote", "compare_text"]
