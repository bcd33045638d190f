"""Every error this library raises.

Users catch `ModelArtsError` and never see a raw httpx exception::

    ModelArtsError
    ├── APIError                   the service answered and reported a failure (`retry_after` if it said)
    │   ├── AuthenticationError      401, APIG.0301/0303/0307, expired or invalid token
    │   ├── PermissionDeniedError    403
    │   ├── NotFoundError            404, ModelArts.0102, or an id missing from a batch answer
    │   ├── RateLimitError           429, APIG.0308, ModelArts.0114
    │   └── ServerError              5xx
    ├── TransportError             no usable answer: refused, reset, closed mid-response
    │   └── RequestTimeoutError      connect, read, write or pool timeout
    ├── ResponseValidationError    an answer that is not JSON or not the documented shape
    ├── ImageDownloadError         an image that could not be downloaded: not http(s), expired, not an image, too big
    ├── InvalidArgumentError       bad input, caught before anything is sent (also a ValueError)
    ├── ConfigError                the config file or environment cannot give a client, or a client a
    │                                ClientConfig (also a ValueError)
    └── ClientStateError           the client is closed, or used from another event loop (also a RuntimeError)

No message, attribute or repr here ever holds a credential: the decoder redacts token headers that gateways
echo back (see `_decode.py`), and transport errors carry only the method and path.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "ClientStateError",
    "ConfigError",
    "ImageDownloadError",
    "InvalidArgumentError",
    "ModelArtsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseValidationError",
    "ServerError",
    "TransportError",
]


class ModelArtsError(Exception):
    """Base class of every error raised by modelarts_async.

    Every error can be pickled (to cross a process boundary: multiprocessing, concurrent.futures, Celery) and
    keeps its type, message and attributes.
    """

    #: How many attempts were made before this error was raised (set by the retry layer; 1 without retries).
    attempts: int = 1
    #: The HTTP status of the answer this error comes from, when there was one.
    status_code: int | None = None
    #: The service's error code (`ModelArts.4420`, `APIG.0308`, ...), when it sent one.
    error_code: str | None = None
    #: The service's error message, when it sent one (secrets the client knows are redacted).
    error_msg: str | None = None
    #: The request id support asks for, when the service sent one.
    request_id: str | None = None
    #: Seconds the service asked to wait (`Retry-After`), when it said.
    retry_after: float | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only arguments, which Exception's own pickling cannot pass back.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[ModelArtsError], args: tuple[Any, ...], state: dict[str, Any]) -> ModelArtsError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class APIError(ModelArtsError):
    """The service answered and said the call failed (HTTP >= 400, or `is_success: false` on any status).

    `retry_after` holds the seconds a `Retry-After` header asked for (on 429 and 503 answers, typically), else None.
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        error_code: str | None = None,
        error_msg: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, error_code={self.error_code!r}, "
            f"error_msg={self.error_msg!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(APIError):
    """The credentials were rejected or expired. Never retried: Huawei Cloud locks keys after 5 failures."""


class PermissionDeniedError(APIError):
    """The credentials are valid but may not do this (HTTP 403)."""


class NotFoundError(APIError):
    """The project, annotation job, image, or the API itself does not exist at this endpoint."""


class RateLimitError(APIError):
    """The service throttled the call; `retry_after` holds the seconds it asked us to wait, if it said."""


class ServerError(APIError):
    """The service failed on its side (HTTP 5xx); usually transient."""


class TransportError(ModelArtsError):
    """No usable answer arrived: the connection was refused, reset, or closed mid-response."""


class RequestTimeoutError(TransportError):
    """A connect, read, write or pool timeout expired (the attribute `phase` says which)."""

    def __init__(self, message: str, *, phase: str) -> None:
        super().__init__(message)
        self.phase = phase


class ResponseValidationError(ModelArtsError):
    """The answer was not JSON, not the documented shape, or too large; the message names the field."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        body_excerpt: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id
        self.body_excerpt = body_excerpt


class InvalidArgumentError(ModelArtsError, ValueError):
    """An argument was rejected before anything was sent; the message names the argument."""


class ClientStateError(ModelArtsError, RuntimeError):
    """The client cannot be used now: it was closed, or it belongs to another event loop."""


class ConfigError(ModelArtsError, ValueError):
    """The config file or the environment cannot give a client: missing, not JSON, or a context is wrong.

    Also raised by `ClientConfig(...)` for credentials that make no way to authenticate, and by `client.config`
    for a client that a `ClientConfig` cannot carry (one made with `transport=`, `http_client=`, an auth of the
    user's own or an `ssl.SSLContext`).

    The message says which file, context and key; it never holds a value from the file (they may be secrets).
    """


class ImageDownloadError(ModelArtsError):
    """An image could not be downloaded from its sample's `source` URL; the message says why.

    The URL's signature (`Signature=`, `AccessKeyId=`, `X-Amz-*`, `x-obs-*`) never appears in the message.
    `status_code` is the image server's HTTP status, when it answered.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
