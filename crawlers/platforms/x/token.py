"""The syndication ``token`` query parameter, computed exactly as react-tweet does in JavaScript.

react-tweet: ``((Number(id) / 1e15) * Math.PI).toString(36).replace(/(0+|\\.)/g, '')``. The
fractional base-36 digits depend on V8's ``DoubleToRadixCString``, which emits digits only up to
the precision of the double (with round-half-even and carry), so it is reimplemented here.
"""

from __future__ import annotations

import math
import re

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_TWO_53 = float(2**53)


def js_number(text: str) -> float:
    """JavaScript ``Number(text)`` for the decimal/ID strings we pass (NaN when not numeric)."""
    s = text.strip()
    if not s:
        return 0.0
    if re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", s):
        return float(s)
    if s in ("Infinity", "+Infinity"):
        return math.inf
    if s == "-Infinity":
        return -math.inf
    return math.nan


def js_to_string_radix(value: float, radix: int) -> str:
    """``Number.prototype.toString(radix)`` for 2 ≤ radix ≤ 36 (V8 ``DoubleToRadixCString``)."""
    if not 2 <= radix <= 36:
        raise ValueError("radix must be between 2 and 36")
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    if radix == 10:
        return _js_decimal(value)
    negative = value < 0
    if negative:
        value = -value

    integer = math.floor(value)
    fraction = value - integer
    # Fractional digits are produced only up to the double's own precision.
    delta = max(0.5 * (math.nextafter(value, math.inf) - value), math.nextafter(0.0, 1.0))
    frac_digits: list[int] = []
    if fraction >= delta:
        while True:
            fraction *= radix
            delta *= radix
            digit = int(fraction)
            frac_digits.append(digit)
            fraction -= digit
            if (fraction > 0.5 or (fraction == 0.5 and (digit & 1))) and fraction + delta > 1:
                # Round up, propagating the carry through the written digits.
                while True:
                    if not frac_digits:
                        integer += 1
                        break
                    last = frac_digits.pop()
                    if last + 1 < radix:
                        frac_digits.append(last + 1)
                        break
                break
            if fraction < delta:
                break

    int_digits: list[str] = []
    integer = float(integer)
    # Digits below the double's precision are written as zeros (Double(integer / radix).Exponent() > 0).
    while integer / radix >= _TWO_53:
        integer /= radix
        int_digits.append("0")
    while True:
        remainder = math.fmod(integer, radix)
        int_digits.append(_DIGITS[int(remainder)])
        integer = (integer - remainder) / radix
        if integer <= 0:
            break

    out = ("-" if negative else "") + "".join(reversed(int_digits))
    if frac_digits:
        out += "." + "".join(_DIGITS[d] for d in frac_digits)
    return out


def _js_decimal(value: float) -> str:
    """ECMAScript Number::toString for radix 10 (shortest round-trip digits, JS exponent rules)."""
    sign = "-" if value < 0 else ""
    mantissa, _, exp = repr(abs(value)).partition("e")
    whole, _, frac = mantissa.partition(".")
    significant = (whole + frac).lstrip("0")
    # n: position of the decimal point relative to the first significant digit
    n = len(whole) - (len(whole + frac) - len(significant)) + (int(exp) if exp else 0)
    digits = significant.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        body = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + body


def syndication_token(post_id: str) -> str:
    """The ``token`` react-tweet sends to ``cdn.syndication.twimg.com/tweet-result``."""
    value = (js_number(str(post_id)) / 1e15) * math.pi
    return re.sub(r"(0+|\.)", "", js_to_string_radix(value, 36))
