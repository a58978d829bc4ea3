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
"""

import datetime
import itertools
import re

import schemathesis

_VALID_KEY = re.compile(r"^[!-~]([ -~]*[!-~])?$")
_KEY_LENGTH_MAX = 255
_cases = itertools.count(1)
_MARGIN = datetime.timedelta(minutes=5)
_LATER = datetime.timedelta(days=30)


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


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = case.headers
    key = headers.get("Idempotency-Key") if headers else None
    if isinstance(key, str) and len(key) <= _KEY_LENGTH_MAX and _VALID_KEY.match(key):
        suffix = f"-{next(_cases)}"
        headers["Idempotency-Key"] = key[: _KEY_LENGTH_MAX - len(suffix)] + suffix
    if isinstance(case.body, dict):
        _future_expiry(case.body)
