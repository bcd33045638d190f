"""How the client reaches the service: proxy, TLS verification and the environment, as httpx users expect them.

`proxy=`, `verify=` (True, False, a CA bundle path or an `ssl.SSLContext`) and `trust_env=True` (proxies from
`HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` minus `NO_PROXY`, CA bundles from `SSL_CERT_FILE`/`SSL_CERT_DIR`) mean what
they mean for `httpx.AsyncClient`. The proxy is resolved once, for the endpoint's host, so the aiohttp sender
does not look the environment up on every request (aiohttp's own `trust_env` does, in a thread).
"""

from __future__ import annotations

import os
import ssl
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import httpx
from attrs import frozen

from .._exceptions import InvalidArgumentError

__all__ = ["Network"]

Verify = bool | str | ssl.SSLContext


@frozen
class Network:
    """A client's proxy and TLS settings; checked when the client is made."""

    proxy: str | None = None
    verify: Verify = True
    trust_env: bool = True

    def __attrs_post_init__(self) -> None:
        if self.proxy is not None:
            parts = urlsplit(str(self.proxy))
            if parts.scheme not in ("http", "https", "socks5") or not parts.hostname:
                raise InvalidArgumentError("proxy must be a URL such as http://proxy.example.com:3128")
        if not isinstance(self.verify, (bool, str, ssl.SSLContext)):
            raise InvalidArgumentError("verify must be True, False, a CA bundle path or an ssl.SSLContext")

    def proxy_for(self, endpoint: str) -> str | None:
        """The proxy to reach `endpoint` through: `proxy=`, else (with `trust_env`) the environment's, else None."""
        if self.proxy is not None:
            return str(self.proxy)
        if not self.trust_env:
            return None
        parts = urlsplit(endpoint)
        proxies = urllib.request.getproxies_environment()
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # (untyped in typeshed)
        if parts.hostname and proxies.get("no") and bypass(parts.hostname, proxies):
            return None
        return proxies.get(parts.scheme) or proxies.get("all")

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context for https endpoints (loading the default trust store costs ~0.1 s: only when needed)."""
        if isinstance(self.verify, ssl.SSLContext):
            return self.verify
        if isinstance(self.verify, str):  # httpx deprecates paths: build the context it asks for
            if os.path.isdir(self.verify):
                return ssl.create_default_context(capath=self.verify)
            return ssl.create_default_context(cafile=self.verify)
        return httpx.create_ssl_context(verify=self.verify, trust_env=self.trust_env)

    def httpx_options(self) -> dict[str, Any]:
        """The same settings for an `httpx.AsyncClient` of our own."""
        verify = self.ssl_context() if isinstance(self.verify, str) else self.verify
        return {"proxy": self.proxy, "verify": verify, "trust_env": self.trust_env}
