"""Redaction by value: the client knows its own secrets, so it removes them from errors whatever the echo format.

A gateway may echo a credential back in an error body as a header line, as JSON, as a Python dict or inside a
canonical request; a transport may quote it in its own exception; a 200 answer may copy it into a field of the
wrong type, which the converter then quotes, maybe cut in the middle of the secret. Every error leaving a call
passes `Redactor.scrub` once, in `Pipeline.fetch`, whether the wire or the converter raised it: it replaces each
known secret (and its JSON-, repr- and URL-escaped forms, and its start before a cut) with `***`, and drops the
exception chain, whose transport exceptions carry the request with its headers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote

from ._exceptions import ModelArtsError

__all__ = ["SENSITIVE_HEADERS", "Redactor", "secrets_of"]

#: Request headers whose values are credentials, whoever set them.
SENSITIVE_HEADERS = frozenset({"authorization", "x-auth-token", "x-security-token", "cookie", "proxy-authorization"})
#: Shorter values are not redacted: replacing every occurrence of a 1-3 character string would garble messages.
_MIN_SECRET_LENGTH = 4
_MASK = "***"
#: What the converters' excerpts end with where they cut a long value (`_v2/_converter.py`).
_CUT = "…"


def secrets_of(auth: object, headers: Mapping[str, str]) -> Callable[[], tuple[str, ...]]:
    """The secrets an auth object and the client's own headers hold, read at redaction time (tokens change)."""
    from_auth: Callable[[], Iterable[str | None]] = getattr(auth, "secret_values", lambda: ())
    from_headers = tuple(value for name, value in headers.items() if name.lower() in SENSITIVE_HEADERS)

    def current() -> tuple[str, ...]:
        return (*from_headers, *(value for value in from_auth() if value))

    return current


class Redactor:
    """Removes the client's secrets from errors and the strings they hold."""

    def __init__(self, secrets: Callable[[], tuple[str, ...]]) -> None:
        self._secrets = secrets
        # The escaped forms of the secrets last seen: a request id is redacted on every call, and tokens change.
        self._forms_of: tuple[tuple[str, ...], list[str]] = ((), [])

    def redact(self, text: str) -> str:
        """`text` with every known secret, in any of its usual escaped forms, replaced by `***`.

        A value quoted in a message is cut to an excerpt ending in `…`: the start of a secret left before such a
        cut is replaced too, since no later redaction could recognise it.
        """
        forms = self._current_forms()
        for form in forms:
            if form in text:
                text = text.replace(form, _MASK)
        if _CUT in text and forms:
            text = _CUT.join(_without_cut_secret(piece, forms) for piece in text.split(_CUT))
        return text

    def _current_forms(self) -> list[str]:
        secrets = self._secrets()
        seen, forms = self._forms_of
        if secrets != seen:
            # Longest first: a secret that holds another (a token and its tail) goes whole.
            forms = sorted(
                {form for secret in secrets if len(secret) >= _MIN_SECRET_LENGTH for form in _forms(secret)},
                key=len,
                reverse=True,
            )
            self._forms_of = (secrets, forms)
        return forms

    def scrub(self, error: ModelArtsError) -> ModelArtsError:
        """Redact `error`'s message, text attributes (`error_msg`, `request_id`, ...) and notes in place, and cut its
        chain (its carriers hold headers). Scrubbing twice changes nothing more."""
        error.__cause__ = None
        error.__context__ = None
        error.__suppress_context__ = True
        if self._secrets():
            error.args = tuple(self.redact(arg) if isinstance(arg, str) else arg for arg in error.args)
            for name, value in vars(error).items():
                if isinstance(value, str):
                    setattr(error, name, self.redact(value))
            notes = getattr(error, "__notes__", None)
            if isinstance(notes, list):
                error.__notes__ = [self.redact(note) if isinstance(note, str) else note for note in notes]
        return error


def _forms(secret: str) -> list[str]:
    """How a secret may appear when echoed: as is, JSON-escaped, Python-repr-escaped, URL-encoded."""
    forms = [secret, json.dumps(secret)[1:-1], repr(secret)[1:-1], quote(secret, safe="")]
    forms.append(forms[1].replace("/", "\\/"))  # some JSON encoders escape '/'
    return sorted(set(forms), key=len, reverse=True)


def _without_cut_secret(piece: str, forms: list[str]) -> str:
    """`piece` (the text before a cut) with its end masked when that end is the start of a secret (the longest
    such start of any secret, so that no part of it is left)."""
    longest = 0
    for form in forms:
        for length in range(min(len(form) - 1, len(piece)), max(longest, _MIN_SECRET_LENGTH - 1), -1):
            if piece.endswith(form[:length]):
                longest = length
                break
    return piece[:-longest] + _MASK if longest else piece
