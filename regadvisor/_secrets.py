"""Secrets never reach disk or output: the passwords of storage URLs, masked where they enter.

A storage URL enters through ``--storage`` (or the Python API's ``storage=``); :func:`register`
records its password the moment it does. Every way out scrubs registered secrets: files
(:func:`regadvisor._io.atomic_write_text`), the terminal (the CLI's consoles), tracebacks shown
with ``--debug``, the command line saved in ``report.json``. :func:`mask_url` masks a URL for
display, whatever form its password takes.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import parse_qsl, quote, quote_plus, unquote

__all__ = ["mask_url", "password_of", "register", "scrub"]

MASK = "***"
_QUERY_KEYS = {"password", "pass", "passwd", "pwd", "secret", "token", "sslpassword"}
_lock = threading.Lock()
_secrets: set[str] = set()


def _split(url: str) -> tuple[str, str, str, str] | None:
    """``(scheme://, userinfo, rest of the authority and path, query)`` or None if no scheme."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*://)(.*)$", url, re.DOTALL)
    if match is None:
        return None
    scheme, rest = match.groups()
    if scheme.lower().startswith(("sqlite", "file")):
        return scheme, "", rest, ""  # a path: no user, no password
    query = ""
    if "?" in rest:
        rest, query = rest.split("?", 1)
    # The authority ends at the first "/" after the last "@" (a password may hold "@" and "/").
    at = rest.rfind("@")
    if at < 0:
        return scheme, "", rest, query
    return scheme, rest[:at], rest[at + 1:], query


def password_of(url: str) -> list[str]:
    """The password(s) a URL carries, as written and decoded (empty when it has none)."""
    parts = _split(url or "")
    if parts is None:
        return []
    _, userinfo, _, query = parts
    found = []
    if ":" in userinfo:
        found.append(userinfo.split(":", 1)[1])
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key.lower() in _QUERY_KEYS:
            found.append(value)
    for match in re.finditer(r"(?:^|&)([^=&]+)=([^&]*)", query):
        if match.group(1).lower() in _QUERY_KEYS:
            found.append(match.group(2))
    out: list[str] = []
    for secret in found:
        for form in (secret, unquote(secret), quote(unquote(secret), safe=""),
                     quote_plus(unquote(secret))):
            if form and form not in out:
                out.append(form)
    return out


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (in the user part and in the query)."""
    parts = _split(url or "")
    if parts is None:
        return scrub(url)
    scheme, userinfo, rest, query = parts
    if not password_of(url):
        return scrub(url)
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":" + MASK
    if query:
        query = "&".join(
            f"{key}={MASK}" if key.lower() in _QUERY_KEYS else item
            for item in query.split("&")
            for key in [item.split("=", 1)[0]])
    text = scheme + (userinfo + "@" if userinfo else "") + rest
    return scrub(text + ("?" + query if query else ""))


def register(url: str | None) -> None:
    """Remember the password(s) of ``url`` so that :func:`scrub` removes them everywhere."""
    if not url:
        return
    with _lock:
        _secrets.update(s for s in password_of(url) if len(s) >= 1)


def scrub(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest first)."""
    if not _secrets or not isinstance(text, str):
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text
