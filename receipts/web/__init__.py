"""Server-rendered pages for researchers (Jinja2, no scripts): ``receipts.web.routes.router``."""
