"""Code the Instagram, Threads and Facebook packages share (not a registered platform).

``graph``: Meta's token-gated oEmbed endpoints (the plan, the error bodies). ``page``: reading the public
embed pages (HTML helpers, login walls, HTTP failures).
"""
