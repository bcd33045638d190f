"""Where the command's client comes from: a config context, the environment, or flags; with advice for a shell user.

The library's messages are written for Python callers ("pass config_file=", "use ModelArtsClient.from_env()");
`cli_advice` rewrites that advice in terms of the command's own options before a message is shown.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any, NamedTuple

from .._client import ModelArtsClient, create_client
from .._config import CONFIG_ENV, DEFAULT_CONFIG_FILE, ENV_NAMES
from .._exceptions import AuthenticationError, ConfigError, InvalidArgumentError
from ._errors import StopExport, UsageError
from ._reach import describe_failure

__all__ = ["CONNECTION_HELP", "CliClient", "add_connection_options", "cli_advice", "make_client"]

CONNECTION_HELP = """\
With --context (or --config), the client comes from that context of the config file (format: README,
"Authentication"); otherwise from the environment: HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK
(+ HUAWEICLOUD_SDK_SECURITY_TOKEN), HUAWEICLOUD_SDK_PROJECT_ID, and MODELARTS_ENDPOINT or HUAWEICLOUD_SDK_REGION.
Environment variables override the file; --endpoint and --project-id override both. Without credentials,
requests are sent unsigned, and only to an endpoint you name (--endpoint or MODELARTS_ENDPOINT): a private
gateway or the offline fake (python -m modelarts_async.testing serve), never a region's public endpoint."""

_ENVIRONMENT = "leave out --context and --config to use the HUAWEICLOUD_SDK_* environment variables"
#: Python advice in library messages → the same advice for the command line; the first match of each wins.
_ADVICE = [
    # The warning of a listing that saw the dataset change (see _v2/_listing.py).
    (re.compile(r"list_samples\(\.\.\., version_id=\.\.\.\)"), "export --version-id VERSION"),
    (re.compile(r"use create_client\(\) with a config file"), "use --context NAME with a config file"),
    (re.compile(r"pass it to the call or to ModelArtsClient\(\)"), "pass --project-id"),
    (re.compile(r"(?:use )?ModelArtsClient\.from_env\(\)"), _ENVIRONMENT),
    (re.compile(r"create_client\(\)"), "--context NAME"),
    (re.compile(r"\bconfig_file="), "--config FILE"),
    (re.compile(r"\bendpoint="), "--endpoint"),
    (re.compile(r"\bproject_id="), "--project-id"),
    (re.compile(r"\bmax_connections="), "--concurrency"),
]


def cli_advice(message: str) -> str:
    """`message` with its Python advice (`config_file=`, `ModelArtsClient.from_env()`) turned into options."""
    for pattern, replacement in _ADVICE:
        message = pattern.sub(replacement, message)
    return message


class CliClient(NamedTuple):
    """The client, and whether its requests go unsigned (no credentials were configured); the `FailureAdvice` of
    the command's messages."""

    client: ModelArtsClient
    unsigned: bool

    def describe(self, error: BaseException) -> str:
        """The message of a failure that stops the command, led by what to check when the endpoint is unreachable."""
        return describe_failure(error, self.client.endpoint)

    def failure_hint(self, error: BaseException) -> str | None:
        """What to try when the service refused a request sent without credentials."""
        if isinstance(error, AuthenticationError) and self.unsigned:
            return "no credentials were sent: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or use --context NAME"
        return None

    def stop(self, error: BaseException) -> StopExport:
        """The `StopExport` that ends the command for `error`: its message as `describe` words it, and the hint."""
        hint = self.failure_hint(error)
        return StopExport(self.describe(error), *([hint] if hint else []))


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection", CONNECTION_HELP)
    group.add_argument(
        "--endpoint", help="base URL, e.g. https://modelarts.cn-north-4.myhuaweicloud.com (default: MODELARTS_ENDPOINT)"
    )
    group.add_argument("--project-id", help="project id (default: HUAWEICLOUD_SDK_PROJECT_ID)")
    group.add_argument("--context", metavar="NAME", help="use this context of the config file")
    group.add_argument(
        "--config",
        metavar="FILE",
        help="the config file (default: MODELARTS_CONFIG, else ~/.modelarts/config.json); alone: its 'default' context",
    )


def make_client(args: argparse.Namespace, *, max_connections: int = 100) -> CliClient:
    """A client as `CONNECTION_HELP` says; `UsageError` with what to do when the settings cannot give one."""
    explicit: dict[str, Any] = {"endpoint": args.endpoint, "project_id": args.project_id}
    try:
        if args.context is not None or args.config is not None:
            _check_config_file(args.config)
            client = create_client(args.context or "default", args.config, max_connections=max_connections, **explicit)
            return CliClient(client, unsigned=False)
        return _client_from_env(args, max_connections)
    except (ConfigError, InvalidArgumentError) as exc:
        raise UsageError(cli_advice(str(exc))) from None


def _check_config_file(config: str | None) -> None:
    path = Path(config or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_FILE).expanduser()
    if not path.exists():
        origin = "--config" if config else CONFIG_ENV if os.environ.get(CONFIG_ENV) else "the default"
        raise UsageError(
            f"config file {path} ({origin}) does not exist: create it (README, 'Authentication'), name another with "
            f"--config FILE or {CONFIG_ENV}, or {_ENVIRONMENT}"
        )


def _client_from_env(args: argparse.Namespace, max_connections: int) -> CliClient:
    env = {key: os.environ.get(name) for key, name in ENV_NAMES.items()}
    endpoint = args.endpoint or env["endpoint"]
    if not endpoint and not env["region"]:
        raise UsageError(
            "no endpoint: pass --endpoint URL, set MODELARTS_ENDPOINT or HUAWEICLOUD_SDK_REGION, or use --context NAME "
            "for a config file (try `modelarts-async demo` to see the tool work offline)"
        )
    project_id = args.project_id or env["project_id"]
    if not project_id:
        raise UsageError("no project id: pass --project-id or set HUAWEICLOUD_SDK_PROJECT_ID")
    if env["ak"] or env["sk"] or env["security_token"]:
        client = ModelArtsClient.from_env(
            endpoint=args.endpoint, project_id=args.project_id, max_connections=max_connections
        )
        return CliClient(client, unsigned=False)
    if not endpoint:
        raise UsageError(
            "no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or use --context NAME; unsigned requests "
            "go only to an endpoint you name with --endpoint or MODELARTS_ENDPOINT"
        )
    return CliClient(ModelArtsClient(endpoint, project_id=project_id, max_connections=max_connections), unsigned=True)
