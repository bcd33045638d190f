"""A client's settings as plain values: `ClientConfig`, and the `Connection` a config file or the environment gives.

`read_context()` and `read_env()` return a `Connection` (endpoint, project, auth); `create_client()` and
`ModelArtsClient.from_env()` build a client from it. `ClientConfig` holds every setting a client can be rebuilt
from (credentials as text, not auth objects), so it pickles: one value to send to the workers of a cluster.

The file (default `~/.modelarts/config.json`, or the path in `MODELARTS_CONFIG`)::

    {"contexts": {"default": {"region": "cn-north-4", "project_id": "...", "ak": "...", "sk": "..."}}}

Each context has `endpoint` or `region` (or both: `region` then only names the IAM region), `project_id`, and
exactly one way to authenticate: `ak` + `sk` (+ `security_token`), `token`, or `username` + `password` +
`domain_name` (+ `iam_endpoint`). The official SDK's environment variables override the file. Reading is
synchronous, like the old SDK's: call these before starting async work, not inside a busy event loop.
Error messages name the file, context and key, never a value (values may be secrets).
"""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from attrs import field, frozen

from ._auth import AKSKAuth, TokenAuth
from ._exceptions import ConfigError, InvalidArgumentError
from ._iam import IAMPasswordAuth
from ._retry import RetryPolicy
from ._service import endpoint_for_region, is_valid_region
from ._transport._network import Network

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_IMAGE_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "ENV_NAMES",
    "ClientConfig",
    "Connection",
    "config_of",
    "read_context",
    "read_env",
]

#: connect 10 s, read 30 s, write 30 s, waiting for a pooled connection 30 s (each attempt; see RetryPolicy.deadline).
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=30.0)
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: The largest image `download_images` writes (a bigger Content-Length is refused before reading).
DEFAULT_MAX_IMAGE_BYTES = 200 * 1024 * 1024
#: Page requests on the wire at once. At 50 ms a page, 1 lists ~1,700 samples/s and 8 about 5.5x that on 2 cores
#: (4: ~3.7x; decoding 100 samples takes ~6 ms of CPU), a modest load on a service that publishes no rate limit.
DEFAULT_PAGES_IN_FLIGHT = 8

DEFAULT_CONFIG_FILE = "~/.modelarts/config.json"
CONFIG_ENV = "MODELARTS_CONFIG"
#: Context key → the environment variable that overrides it (the official SDK's names where it has one).
ENV_NAMES = {
    "ak": "HUAWEICLOUD_SDK_AK",
    "sk": "HUAWEICLOUD_SDK_SK",
    "security_token": "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "project_id": "HUAWEICLOUD_SDK_PROJECT_ID",
    "endpoint": "MODELARTS_ENDPOINT",
    "region": "HUAWEICLOUD_SDK_REGION",
}
_AUTH_KEYS = {
    "ak/sk": ("ak", "sk", "security_token"),
    "token": ("token",),
    "username/password": ("username", "password", "domain_name", "iam_endpoint"),
}
_REQUIRED_KEYS = {
    "ak/sk": ("ak", "sk"),
    "token": ("token",),
    "username/password": ("username", "password", "domain_name"),
}
_KNOWN_KEYS = frozenset({"endpoint", "region", "project_id"}).union(*_AUTH_KEYS.values())


@frozen
class Connection:
    """Where and as whom to connect: what a config context or the environment gives a client."""

    endpoint: str
    project_id: str
    auth: httpx.Auth
    #: Names where the settings came from, for error messages ("context 'default' in ~/.modelarts/config.json").
    source: str = ""


def read_context(
    context: str = "default",
    config_file: str | os.PathLike[str] | None = None,
    *,
    endpoint: str | None = None,
    project_id: str | None = None,
) -> Connection:
    """The connection of a named context of the config file, with environment variables and arguments on top.

    The file is `config_file`, else `$MODELARTS_CONFIG`, else `~/.modelarts/config.json`. Reads synchronously.
    Raises `ConfigError` naming the file, context and key at fault.
    """
    path = Path(config_file or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_FILE).expanduser()
    contexts = _read_contexts(path)
    if context not in contexts:
        known = ", ".join(repr(name) for name in sorted(contexts)) or "none"
        raise ConfigError(f"{path} has no context {context!r}; known contexts: {known}")
    where = f"context {context!r} in {path}"
    values = _checked_context(contexts[context], where)
    values = _with_env_overrides(values, os.environ)
    values = _with_explicit(values, endpoint=endpoint, project_id=project_id)
    return _connection(values, where, lambda key: repr(key))


def read_env(*, endpoint: str | None = None, project_id: str | None = None) -> Connection:
    """The connection the official SDK's variables give: `HUAWEICLOUD_SDK_AK`, `_SK`, `_PROJECT_ID`, ...

    Needs `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, `HUAWEICLOUD_SDK_PROJECT_ID`, and `MODELARTS_ENDPOINT` or
    `HUAWEICLOUD_SDK_REGION`; `HUAWEICLOUD_SDK_SECURITY_TOKEN` for temporary credentials. `endpoint=` and
    `project_id=` take the place of their variables.
    """
    values = _with_explicit(_with_env_overrides({}, os.environ), endpoint=endpoint, project_id=project_id)
    if "ak" not in values:
        raise ConfigError(
            f"{ENV_NAMES['ak']} and {ENV_NAMES['sk']} are not set: set them (and {ENV_NAMES['project_id']}, "
            f"{ENV_NAMES['endpoint']} or {ENV_NAMES['region']}), or use create_client() with a config file"
        )
    return _connection(values, "the environment", lambda key: ENV_NAMES.get(key, key))


def _read_contexts(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist: create it (see the README, 'Authentication'), pass "
            f"config_file=, set {CONFIG_ENV}, or use ModelArtsClient.from_env()"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ConfigError(f"cannot read config file {path}: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # `from None`: the decoder's exception holds the whole document, secrets included.
        raise ConfigError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise ConfigError(f"{path} is nested too deeply to be a config file") from None
    contexts = data.get("contexts") if isinstance(data, dict) else None
    if not isinstance(contexts, dict):
        raise ConfigError(
            f'{path} must hold a JSON object with a "contexts" object, e.g. {{"contexts": {{"default": {{...}}}}}}'
        )
    return contexts


def _checked_context(context: Any, where: str) -> dict[str, str]:
    if not isinstance(context, dict):
        raise ConfigError(f"{where} must be a JSON object")
    unknown = sorted(set(context) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where} has unknown keys {unknown}; known keys: {sorted(_KNOWN_KEYS)}")
    for key, value in context.items():
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: {key!r} must be a non-empty string")
    return dict(context)


def _with_env_overrides(values: dict[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """The context with the environment's settings on top; AK/SK from the environment replace the file's auth."""
    env = {key: environ[name] for key, name in ENV_NAMES.items() if environ.get(name)}
    values = dict(values)
    if "ak" in env or "sk" in env:
        for key in (*_AUTH_KEYS["token"], *_AUTH_KEYS["username/password"], *_AUTH_KEYS["ak/sk"]):
            values.pop(key, None)
        for key in ("ak", "sk"):
            if key not in env:
                raise ConfigError(
                    f"{ENV_NAMES[key]} must be set together with {ENV_NAMES['ak' if key == 'sk' else 'sk']}"
                )
    if "security_token" in env and "ak" not in env and "ak" not in values:
        raise ConfigError(f"{ENV_NAMES['security_token']} is set but no AK/SK is: temporary credentials need all three")
    if "endpoint" not in env and "region" in env:
        values.pop("endpoint", None)  # a region from the environment picks its own endpoint
    values.update(env)
    return values


def _with_explicit(values: dict[str, str], *, endpoint: str | None, project_id: str | None) -> dict[str, str]:
    """The values with the caller's own endpoint and project on top (a region then only names the IAM region)."""
    explicit = {key: value for key, value in (("endpoint", endpoint), ("project_id", project_id)) if value}
    return {**values, **explicit} if explicit else values


def _connection(values: dict[str, str], where: str, name: Callable[[str], str]) -> Connection:
    region = values.get("region")
    if region is not None and not is_valid_region(region):
        raise ConfigError(f"{where}: {name('region')} must look like 'cn-north-4', got {region!r}")
    endpoint = values.get("endpoint") or (endpoint_for_region(region) if region else None)
    if endpoint is None:
        raise ConfigError(f"{where} is missing {name('endpoint')} or {name('region')}")
    project_id = values.get("project_id")
    if project_id is None:
        raise ConfigError(f"{where} is missing {name('project_id')}")
    try:
        auth = _auth(values, where, name, project_id)
    except InvalidArgumentError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return Connection(endpoint, project_id, auth, where)


def _auth(values: dict[str, str], where: str, name: Callable[[str], str], project_id: str | None) -> httpx.Auth:
    methods = [method for method, keys in _AUTH_KEYS.items() if any(key in values for key in keys)]
    if len(methods) > 1:
        raise ConfigError(f"{where} has two authentication methods ({' and '.join(methods)}): keep one")
    if not methods:
        raise ConfigError(f"{where} has no authentication: add ak and sk, token, or username, password and domain_name")
    method = methods[0]
    for key in _REQUIRED_KEYS[method]:
        if key not in values:
            raise ConfigError(f"{where} is missing {name(key)} (needed for {method} authentication)")
    if method == "ak/sk":
        return AKSKAuth(values["ak"], values["sk"], security_token=values.get("security_token"), project_id=project_id)
    if method == "token":
        return TokenAuth(values["token"])
    if "region" not in values and "iam_endpoint" not in values:
        raise ConfigError(f"{where} is missing {name('region')} or 'iam_endpoint' (needed to get an IAM token)")
    return IAMPasswordAuth(
        username=values["username"],
        password=values["password"],
        domain_name=values["domain_name"],
        region=values.get("region"),
        project_id=project_id,
        iam_endpoint=values.get("iam_endpoint"),
    )


def _timeout(value: httpx.Timeout | float | None) -> httpx.Timeout:
    return DEFAULT_TIMEOUT if value is None else httpx.Timeout(value)


def _hidden(value: object) -> str:
    return "None" if value is None else "'***'"


def _header_items(headers: Mapping[str, str] | tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Headers as a tuple of pairs: a frozen value must not hold a dict someone could change."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return tuple((str(name), str(value)) for name, value in items)


def _header_names(headers: tuple[tuple[str, str], ...]) -> str:
    # Header values may be credentials (X-Auth-Token, Authorization): the repr names the headers only.
    return repr({name: "***" for name, _ in headers})


def _proxy_shown(proxy: str | None) -> str:
    # A proxy URL may hold a user name and password: the repr shows where it goes, not who logs in.
    if proxy is None:
        return "None"
    parts = urlsplit(proxy)
    return repr(f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else ""))


@frozen
class ClientConfig:
    """Every setting of a client as one frozen value that pickles: to rebuild the same client in another process.

    Make one by hand, or take `client.config` of a client you have; `ModelArtsClient.from_config(config)` and
    `SyncModelArtsClient.from_config(config)` build a client from it. Credentials are kept as text (one way to
    authenticate: `ak` + `sk` (+ `security_token`), `token`, or `username` + `password` + `domain_name` with
    `region` or `iam_endpoint`; none for a service that needs no auth). The `repr` hides them, but pickling carries
    them: send a config only where those credentials may go, as with any secret a worker needs::

        config = ClientConfig("https://modelarts.cn-north-4.myhuaweicloud.com", project_id=pid, ak=ak, sk=sk)
        with SyncModelArtsClient.from_config(config) as client:
            dataset = client.get_dataset(dataset_id="WxCREuCkBSAlQr9xrde")

    It pickles as long as `retry`'s `sleep` and `clock` do (the defaults do). Raises `ConfigError` naming the
    field when the credentials do not make one way to authenticate.
    """

    endpoint: str
    project_id: str | None = None
    ak: str | None = field(default=None, repr=_hidden)
    sk: str | None = field(default=None, repr=_hidden)
    security_token: str | None = field(default=None, repr=_hidden)
    token: str | None = field(default=None, repr=_hidden)
    username: str | None = None
    password: str | None = field(default=None, repr=_hidden)
    domain_name: str | None = None
    #: The IAM region of password authentication (`iam_endpoint` names another IAM).
    region: str | None = None
    iam_endpoint: str | None = None
    #: None means the default, as for `ModelArtsClient(timeout=None)` (not httpx's "no timeout at all").
    timeout: httpx.Timeout = field(default=DEFAULT_TIMEOUT, converter=_timeout)
    retry: RetryPolicy = field(factory=RetryPolicy)
    headers: tuple[tuple[str, str], ...] = field(default=(), converter=_header_items, repr=_header_names)
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    proxy: str | None = field(default=None, repr=_proxy_shown)
    #: True, False, or the path of a CA bundle (an `ssl.SSLContext` does not pickle: pass a path).
    verify: bool | str = True
    trust_env: bool = True

    def __attrs_post_init__(self) -> None:
        self.auth()  # bad credentials fail here, naming the field, not later in a worker

    def auth(self) -> httpx.Auth | None:
        """A new auth object for these credentials (each client gets its own: an IAM token cache is per client)."""
        values = {key: value for key in _CREDENTIAL_KEYS if (value := getattr(self, key)) is not None}
        if not any(key in values for keys in _AUTH_KEYS.values() for key in keys):
            return None
        # AK/SK without a project of its own: each request then names its call's project (the client's by default),
        # as a client whose AKSKAuth had none did; a fixed one would sign another call's project with this one.
        project_id = None if "ak" in values or "sk" in values else self.project_id
        try:
            return _auth(values, "ClientConfig", repr, project_id)
        except InvalidArgumentError as exc:
            raise ConfigError(f"ClientConfig: {exc}") from None

    def client_options(self) -> dict[str, Any]:
        """The keyword arguments of `ModelArtsClient` (after the endpoint) that make a client of these settings."""
        return {
            "project_id": self.project_id,
            "auth": self.auth(),
            "timeout": self.timeout,
            "retry": self.retry,
            "headers": dict(self.headers),
            "max_connections": self.max_connections,
            "max_response_bytes": self.max_response_bytes,
            "proxy": self.proxy,
            "verify": self.verify,
            "trust_env": self.trust_env,
        }


_CREDENTIAL_KEYS = (*(key for keys in _AUTH_KEYS.values() for key in keys), "region")


def config_of(
    endpoint: str,
    project_id: str | None,
    auth: httpx.Auth | None,
    network: Network,
    **settings: Any,
) -> ClientConfig:
    """The `ClientConfig` of a client made with these settings; `ConfigError` saying why when one cannot be."""
    if isinstance(network.verify, ssl.SSLContext):
        raise ConfigError(
            "this client's verify= is an ssl.SSLContext, which a ClientConfig cannot carry (it does not pickle): "
            "pass the CA bundle's path as verify= instead"
        )
    return ClientConfig(
        endpoint,
        project_id=project_id,
        proxy=network.proxy,
        verify=network.verify,
        trust_env=network.trust_env,
        **_credentials(auth, project_id),
        **settings,
    )


def _credentials(auth: httpx.Auth | None, project_id: str | None) -> dict[str, Any]:
    """The credentials of one of our own auth objects, as `ClientConfig` fields; `ConfigError` for any other."""
    if auth is None:
        return {}
    if type(auth) not in (AKSKAuth, TokenAuth, IAMPasswordAuth):
        raise ConfigError(
            f"this client's auth is a {type(auth).__name__}, which a ClientConfig cannot carry: it holds AKSKAuth, "
            "TokenAuth or IAMPasswordAuth credentials (not subclasses, which may sign differently)"
        )
    if isinstance(auth, AKSKAuth):
        ak, sk, security_token = auth.secret_values()
        _check_same_project("AKSKAuth", auth.project_id, project_id, optional=True)
        return {"ak": ak, "sk": sk, "security_token": security_token}
    if isinstance(auth, TokenAuth):
        (token,) = auth.secret_values()
        return {"token": token}
    assert isinstance(auth, IAMPasswordAuth)
    _check_same_project("IAMPasswordAuth", auth.project_id, project_id, optional=False)
    return {
        "username": auth.username,
        "password": auth.secret_values()[0],
        "domain_name": auth.domain_name,
        "region": auth.region,
        "iam_endpoint": auth.iam_endpoint,
    }


def _check_same_project(kind: str, auth_project: str | None, project_id: str | None, *, optional: bool) -> None:
    if auth_project != project_id and not (optional and auth_project is None):
        raise ConfigError(
            f"this client's {kind} has project_id={auth_project!r} but the client has {project_id!r}: a "
            "ClientConfig holds one project_id for both, so make the client with the same one"
        )
