"""Which hosts the app answers for, and the public base URL every absolute link is built from.

The Host header is the client's to choose: an absolute URL built from it (a citation, a copied
link, an export's permalinks) would carry whatever an attacker sent, and a cache in front could
keep it for everyone. So absolute URLs come from the configured BASE_URL only, redirects are
relative, and a request naming a host not in ALLOWED_HOSTS gets a 400 before any view runs.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")


class HostNotAllowed(Exception):
    """The request's Host is not one this deployment serves."""

    def __init__(self, host: str):
        super().__init__(host)
        self.host = host


def host_name(host: str) -> str:
    """The host part of a Host header value, lower case, without port or IPv6 brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def allowed(host: str, patterns: tuple[str, ...]) -> bool:
    """Whether `host` (a name, no port) matches one of the patterns ("example.org", ".example.org" for subdomains, "*")."""
    for pattern in patterns:
        pattern = pattern.strip().lower()
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith(".") and (host.endswith(pattern) or host == pattern[1:]):
            return True
    return False


def init_app(app: Flask) -> None:
    """Check every request's Host against ALLOWED_HOSTS (config, a list of patterns)."""
    patterns = tuple(app.config.get("ALLOWED_HOSTS") or DEFAULT_HOSTS)
    app.config["ALLOWED_HOSTS"] = patterns

    @app.before_request
    def check_host() -> Any:
        raw = request.environ.get("HTTP_HOST") or request.environ.get("SERVER_NAME", "")
        if not allowed(host_name(raw), patterns):
            raise HostNotAllowed(raw)
        return None
