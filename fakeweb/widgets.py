"""``platform.twitter.com/widgets.js`` and ``/embed/Tweet.html``.

widgets.js turns each ``blockquote.twitter-tweet`` into the rendered form of embeds/07 (a
``div.twitter-tweet-rendered`` holding an iframe with ``data-tweet-id``). The iframe is filled through
``srcdoc`` from the blockquote's own content, so a browser never needs to reach a real X host; the real
``embed/Tweet.html?…&id=ID`` address is kept in ``data-src`` for the record.
"""

from __future__ import annotations

from html import escape

from fakeweb.catalog import display_date
from fakeweb.oembed import paragraph_html
from fakeweb.respond import Response, html_response
from fakeweb.store import Store

WIDGETS_JS = r"""/* fake widgets.js (receipts fakeweb) */
(function () {
  if (window.__fakewebWidgets) return;
  window.__fakewebWidgets = true;
  var counter = 0;
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function pageUrl() {
    var canonical = document.querySelector('link[rel="canonical"]');
    return canonical ? canonical.href : location.href;
  }
  function card(author, handle, html, date, id) {
    return '<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{font-family:sans-serif;margin:0}' +
      'article{border:1px solid #cfd9de;border-radius:12px;padding:12px 16px;max-width:550px}</style></head><body>' +
      '<article data-testid="tweet" data-tweet-id="' + esc(id) + '"><div data-testid="User-Name"><b>' + esc(author) +
      '</b> <span>@' + esc(handle) + '</span></div><div data-testid="tweetText" lang="en">' + html +
      '</div><div><time>' + esc(date) + '</time></div></article></body></html>';
  }
  function render(root) {
    var quotes = (root || document).querySelectorAll("blockquote.twitter-tweet, blockquote.twitter-video");
    Array.prototype.forEach.call(quotes, function (bq) {
      var links = bq.querySelectorAll("a[href]");
      var last = links[links.length - 1];
      var match = last && /\/status(?:es)?\/(\d+)/.exec(last.getAttribute("href"));
      if (!match) return;
      var id = match[1];
      var p = bq.querySelector("p");
      var byline = /\u2014\s*(.*?)\s*\(@(\w+)\)/.exec(bq.textContent) || ["", "", ""];
      var n = counter++;
      var holder = document.createElement("div");
      holder.className = "twitter-tweet twitter-tweet-rendered";
      holder.setAttribute("style", "display: flex; max-width: 550px; width: 100%; margin-top: 10px; margin-bottom: 10px;");
      var frame = document.createElement("iframe");
      frame.id = "twitter-widget-" + n;
      frame.setAttribute("scrolling", "no");
      frame.setAttribute("frameborder", "0");
      frame.setAttribute("allowtransparency", "true");
      frame.setAttribute("allowfullscreen", "true");
      frame.className = "";
      frame.setAttribute("style", "position: static; visibility: visible; width: 550px; height: 300px; display: block; flex-grow: 1;");
      frame.setAttribute("title", "X Post");
      frame.setAttribute("data-src", "https://platform.twitter.com/embed/Tweet.html?dnt=false&embedId=twitter-widget-" + n +
        "&frame=false&hideCard=false&hideThread=false&id=" + id + "&lang=en&origin=" + encodeURIComponent(pageUrl()) +
        "&theme=light&widgetsVersion=2615f7e52b7e0%3A1702314776716&width=550px");
      frame.srcdoc = card(byline[1], byline[2], p ? p.innerHTML : "", last.textContent, id);
      frame.setAttribute("data-tweet-id", id);
      holder.appendChild(frame);
      bq.parentNode.replaceChild(holder, bq);
    });
  }
  window.twttr = window.twttr || {};
  window.twttr.widgets = {load: render};
  window.twttr.ready = function (fn) { fn(window.twttr); };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { render(); });
  else render();
})();
"""


def widgets_js() -> Response:
    return Response(200, WIDGETS_JS.encode(), "application/javascript; charset=utf-8",
                    [("Cache-Control", "public, max-age=1800")])


def tweet_html(store: Store, post_id: str) -> Response:
    """A server-rendered card for ``embed/Tweet.html?id=ID``."""
    found = store.lookup(post_id) if post_id.isdigit() else None
    if found is None or found[0] not in ("live", "empty", "browser_only", "flaky503", "age_restricted"):
        inner = '<article data-testid="tweet-unavailable"><span>This Post is unavailable.</span></article>'
    else:
        body = found[1]
        user = body["user"]
        inner = (
            f'<article data-testid="tweet" data-tweet-id="{body["id_str"]}"><div data-testid="User-Name"><b>'
            f'{escape(user["name"])}</b> <span>@{user["screen_name"]}</span></div>'
            f'<div data-testid="tweetText" lang="{body.get("lang", "en")}">{paragraph_html(body)}</div>'
            f'<a href="https://twitter.com/{user["screen_name"]}/status/{body["id_str"]}"><time '
            f'datetime="{body["created_at"]}">{display_date(body)}</time></a></article>'
        )
    return html_response(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>X Post</title></head>'
                         f"<body>{inner}</body></html>")
