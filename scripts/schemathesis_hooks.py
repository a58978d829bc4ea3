"""Hooks for scripts/schemathesis.sh: what a correct client knows that JSON Schema cannot say.

An Idempotency-Key names one request: the same key with another request is 422
`idempotency_key_reused`, by design. The fuzzer draws keys from the header's schema and its
example, so it sends one key with many requests; this gives every valid key it draws a suffix
unique to the test case (still valid: printable ASCII, at most 255 characters), and leaves
invalid keys as drawn, so their refusal is still checked.
"""

import itertools
import re

import schemathesis

_VALID_KEY = re.compile(r"^[!-~]([ -~]*[!-~])?$")
_KEY_LENGTH_MAX = 255
_cases = itertools.count(1)


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = case.headers
    key = headers.get("Idempotency-Key") if headers else None
    if isinstance(key, str) and len(key) <= _KEY_LENGTH_MAX and _VALID_KEY.match(key):
        suffix = f"-{next(_cases)}"
        headers["Idempotency-Key"] = key[: _KEY_LENGTH_MAX - len(suffix)] + suffix
