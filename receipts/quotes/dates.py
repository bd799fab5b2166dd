"""Dates as articles display them ("February 13, 2025", "26. Mai 2019", "2019年5月26日") and whether
a post's UTC time is consistent with one.

An embed's date is written in the time zone of whoever generated the embed, which is neither
UTC nor necessarily the article's, so a displayed date is consistent with a post when the post's
instant falls on that calendar day in some real UTC offset (−12:00 … +14:00).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate([
    "january jan januar janv janvier enero ene gennaio genn janeiro januari jänner",
    "february feb februar févr fevrier février febrero febbraio fevereiro fev februari",
    "march mar märz maerz mars marzo março marco maart",
    "april apr avril abril aprile abr",
    "may mai mayo maggio maio mei",
    "june jun juni juin junio giugno junho",
    "july jul juli juil juillet julio luglio julho",
    "august aug augusti août aout agosto ago augustus",
    "september sep sept septembre septiembre settembre setembro set",
    "october oct oktober octobre octubre ottobre outubro out okt",
    "november nov novembre noviembre novembro",
    "december dec dez dezember déc décembre decembre diciembre dic dicembre dezembro",
], start=1):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _number)

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_CJK = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_NUMERIC = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b")  # day-first (European) numeric dates
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
MIN_OFFSET = timedelta(hours=-12)
MAX_OFFSET = timedelta(hours=14)


def _month(token: str) -> int | None:
    token = token.lower().rstrip(".")
    if token in _MONTHS:
        return _MONTHS[token]
    if len(token) >= 3:
        for name, number in _MONTHS.items():
            if len(name) > 3 and name.startswith(token):
                return number
    return None


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_displayed_date(text: str | None) -> date | None:
    """The calendar date in an embed footer or byline; None when none can be read."""
    if not text:
        return None
    for pattern, order in ((_ISO, (0, 1, 2)), (_CJK, (0, 1, 2)), (_NUMERIC, (2, 1, 0))):
        m = pattern.search(text)
        if m:
            parts = [int(g) for g in m.groups()]
            return _safe(parts[order[0]], parts[order[1]], parts[order[2]])
    tokens = _TOKEN.findall(text)
    year = month = day = None
    for i, token in enumerate(tokens):
        if token.isdigit():
            if len(token) == 4 and year is None:
                year = int(token)
            elif len(token) <= 2 and day is None and year is None:
                day = int(token)
        elif month is None and (number := _month(token)) is not None:
            month = number
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if day is None and nxt.isdigit() and len(nxt) <= 2:
                day = int(nxt)
    if year is None or month is None or day is None:
        return None
    return _safe(year, month, day)


def date_consistent(shown: date, posted: datetime, offset: timedelta | None = None) -> bool:
    """Is *posted* (an aware instant) on the calendar day *shown* in *offset*, or if None, in any real offset?"""
    posted = posted.astimezone(UTC) if posted.tzinfo else posted.replace(tzinfo=UTC)
    if offset is not None:
        return (posted + offset).date() == shown
    return (posted + MIN_OFFSET).date() <= shown <= (posted + MAX_OFFSET).date()
