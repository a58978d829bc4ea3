"""Hooks for scripts/schemathesis.sh: what a correct client knows that JSON Schema cannot say.

An Idempotency-Key names one request: the same key with another request is 422
`idempotency_key_reused`, by design. The fuzzer draws keys from the header's schema and its
example, so it sends one key with many requests; this gives every valid key it draws a suffix
unique to the test case (still valid: printable ASCII, at most 255 characters), and leaves
invalid keys as drawn, so their refusal is still checked.

An `expires_at` must be in the future, by the server's clock, and after `starts_at`: a rule of
the clock that a schema cannot state. A well-formed `expires_at` in the past (or not after a
well-formed `starts_at` of the same body) is moved to a month after both; a malformed one is
left as drawn, so its refusal is still checked.

A member's addresses are dialled (the node at `peer_addr` must answer as the new member before
it is added): a well-formed `host:port` is moved to a loopback port where nothing listens
(`SCHEMATHESIS_DEAD_ADDR`), so an add is refused without a packet leaving the machine; a
malformed one is left as drawn. A cluster's first members have distinct ids: a later member
with an id already drawn is dropped.

A coupon's currency is its state: a redeem, hold or validate of a coupon whose money is in a
currency must name it (422 without), and a fixed discount keeps its own (a change to another is
422). A client knows the coupon it sells; the hooks read it (`GET /coupons/{id}` or `?code=`,
with the admin key) and, where the drawn request names no currency (or, on a change of a fixed
coupon, another one), give it the coupon's (and the order amount drawn for no currency its
whole units, which every currency takes). A change that sets no currency has its money bounds
cut to whole units too, as has a validate's order amount beside a currency (two query
parameters, which a schema cannot relate; a body's amounts are held to their currency's minor
units by the document itself).

An import names each code once (a repeat is 422): later lines that repeat a code (as the server
reads one: first column, trimmed, unquoted, upper case) are dropped. A body the fuzzer draws of
another type than text is sent as its JSON text (`null` is the code NULL): it is sent empty
instead, which stays a body the server must refuse.
"""

import datetime
import itertools
import json
import os
import re
import urllib.parse
import urllib.request

import schemathesis

_VALID_KEY = re.compile(r"^[!-~]([ -~]*[!-~])?$")
_KEY_LENGTH_MAX = 255
_cases = itertools.count(1)
_MARGIN = datetime.timedelta(minutes=5)
_LATER = datetime.timedelta(days=30)
_ADDRESS = re.compile(r"^.+:[0-9]{1,5}$")
_AMOUNT = re.compile(r"^[0-9]+([.][0-9]+)?$")
_DEAD_ADDR = os.environ.get("SCHEMATHESIS_DEAD_ADDR", "127.0.0.1:9")


def _instant(value):
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


def _future_expiry(body):
    expires_at = _instant(body.get("expires_at"))
    if expires_at is None:
        return
    now = datetime.datetime.now(datetime.timezone.utc)
    floor = now + _MARGIN
    starts_at = _instant(body.get("starts_at"))
    if starts_at is not None:
        floor = max(floor, starts_at + _MARGIN)
    if expires_at <= floor and floor + _LATER < datetime.datetime(9999, 1, 1, tzinfo=datetime.timezone.utc):
        later = (floor + _LATER).astimezone(datetime.timezone.utc)
        body["expires_at"] = later.strftime("%Y-%m-%dT%H:%M:%SZ")


def _member_addresses(member):
    for field in ("api_addr", "peer_addr"):
        value = member.get(field)
        if isinstance(value, str) and _ADDRESS.match(value) and int(value.rsplit(":", 1)[1]) < 65536:
            member[field] = _DEAD_ADDR


def _coupon(case):
    """The coupon the case's path names, as the API shows it (None when there is none)."""
    base = os.environ.get("SCHEMATHESIS_BASE_URL")
    params = case.path_parameters or {}
    if not base:
        return None
    if "code" in params and str(case.path).startswith("/codes/"):
        code = urllib.parse.unquote(str(params["code"]))
        url = f"{base}/coupons?code={urllib.parse.quote(code)}"
    elif "id" in params and str(case.path).startswith("/coupons/"):
        url = f"{base}/coupons/{urllib.parse.quote(urllib.parse.unquote(str(params['id'])))}"
    else:
        return None
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {os.environ.get('SCHEMATHESIS_BEARER', '')}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            coupon = json.load(answer)
    except Exception:  # noqa: BLE001 - no coupon (404, a malformed path): nothing to give
        return None
    return coupon if isinstance(coupon, dict) else None


def _coupon_currency(case):
    coupon = _coupon(case)
    discount = coupon.get("discount") if coupon else None
    return discount if isinstance(discount, dict) else None


def _order_currency(case):
    path = str(case.path)
    if not (path.endswith("/redeem") or path.endswith("/holds") or path.endswith("/validate")):
        return
    discount = _coupon_currency(case)
    currency = discount.get("currency") if discount else None
    if not currency:
        return
    if path.endswith("/validate"):
        if case.query is None:
            case.query = {}
        order = case.query
    else:
        order = case.body
    if isinstance(order, dict) and order.get("currency") is None:
        order["currency"] = currency
        _whole_units(order)


def _whole_units(fields, names=("order_amount",)):
    """Amounts drawn without knowing their currency, cut to whole units (which every currency
    takes); one that was above zero stays above zero."""
    for name in names:
        amount = fields.get(name)
        if isinstance(amount, str) and _AMOUNT.match(amount):
            whole = amount.split(".", 1)[0]
            fields[name] = "1" if int(whole) == 0 and float(amount) > 0 else whole


def _patch_bounds_units(case):
    """A change that sets no currency has its money bounds in the coupon's."""
    if case.method.upper() != "PATCH" or not isinstance(case.body, dict) or "currency" in case.body:
        return
    discount = _coupon_currency(case)
    if discount and discount.get("currency"):
        _whole_units(case.body, ("min_order_amount", "max_discount_amount"))


def _validate_query_units(case):
    """A body holds its order amount to its currency's minor units in the schema (`if`/`then`);
    a query cannot say that of two parameters, so an amount drawn beside a currency keeps its
    whole units."""
    if str(case.path).endswith("/validate") and isinstance(case.query, dict):
        if isinstance(case.query.get("currency"), str):
            _whole_units(case.query)


def _fixed_currency(case):
    if case.method.upper() != "PATCH" or not isinstance(case.body, dict) or "currency" not in case.body:
        return
    discount = _coupon_currency(case)
    if discount and discount.get("type") == "fixed" and isinstance(case.body["currency"], str):
        case.body["currency"] = discount.get("currency")


def _code_of(line):
    first = line.split(",", 1)[0].strip().strip('"').strip(" \t\n\f\r")
    return first.upper()


def _distinct_codes(body):
    lines, seen = [], set()
    for line in body.split("\n"):
        code = _code_of(line)
        if code and code in seen:
            continue
        seen.add(code)
        lines.append(line)
    return "\n".join(lines)


def _distinct_members(body):
    members = body.get("members")
    if not isinstance(members, list):
        return
    seen, kept = set(), []
    for member in members:
        key = member.get("id") if isinstance(member, dict) else None
        # The server reads an integer written with a zero fraction (2763.0) as that integer.
        if isinstance(key, float) and key.is_integer():
            key = int(key)
        if isinstance(key, int) and not isinstance(key, bool):
            if key in seen:
                continue
            seen.add(key)
        kept.append(member)
    body["members"] = kept


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = case.headers
    key = headers.get("Idempotency-Key") if headers else None
    if isinstance(key, str) and len(key) <= _KEY_LENGTH_MAX and _VALID_KEY.match(key):
        suffix = f"-{next(_cases)}"
        headers["Idempotency-Key"] = key[: _KEY_LENGTH_MAX - len(suffix)] + suffix
    if isinstance(case.body, dict):
        _future_expiry(case.body)
        _member_addresses(case.body)
        _distinct_members(case.body)
        for member in case.body.get("members") or []:
            if isinstance(member, dict):
                _member_addresses(member)
    if case.media_type == "text/csv":
        case.body = _distinct_codes(case.body) if isinstance(case.body, str) else ""
    _order_currency(case)
    _validate_query_units(case)
    _fixed_currency(case)
    _patch_bounds_units(case)
