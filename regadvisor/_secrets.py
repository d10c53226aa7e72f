"""Secrets never reach disk or output: the passwords of storage URLs, masked where they enter.

A storage URL enters through ``--storage`` (or the Python API's ``storage=``); :func:`register`
records its secrets the moment it does. Every way out scrubs registered secrets: files
(:func:`regadvisor._io.atomic_write_text`), the terminal (the CLI's consoles), tracebacks shown
with ``--debug``, the command line saved in ``report.json``. :func:`mask_url` masks a URL for
display.

A URL is read exactly as SQLAlchemy reads it (the pattern of
``sqlalchemy.engine.url.make_url``, copied below), for every scheme, SQLite's included: the
password is what follows the first ``:`` of the user part up to the *first* ``@`` after it (it may
hold ``:``, ``/``, ``?``, ``#``), and the query's secrets are the values of keys such as
``password``, ``key`` or ``token``. Those are the texts the driver receives as secrets, so those
are what is masked and registered (as written, decoded, and in the encodings a driver, a JSON,
HTML or CSV file may show them in).

A driver echoes what it reads as the host, port, user or database in its error messages. So a URL
is refused (:class:`~regadvisor.errors.ConfigError`, one fixed sentence that quotes nothing of the
URL) wherever the way a person reads it could put part of a password somewhere SQLAlchemy does not
read a secret: a password with an unescaped ``@`` (SQLAlchemy ends it at the first ``@`` and the
driver shows the rest as the host name), an ``@`` after a ``?`` that SQLAlchemy takes into the
user part (``user@host:5432/db?password=p@ss`` gives the host ``ss``), an ``&`` followed by no
``=`` after a query password (``password=p&ss`` is cut at the ``&``), a port that is not a number
(``postgresql://user:password`` with no ``@host``: the driver's error quotes the port), or text
SQLAlchemy would silently ignore (a line break). Refusing, rather than scrubbing every fragment
of a possibly split password, is deliberate: the fragments can be as short as one letter, and
masking them would garble all output while the connection would fail anyway, as the driver
would not receive the password the user meant. Percent-encoding the password (``@`` as ``%40``)
always gives a URL that is accepted. What cannot be told apart is left as URLs define it:
``password=a&b=c`` is two parameters (an ``&`` in a query password must be written ``%26``).
"""

from __future__ import annotations

import html
import json
import re
import threading
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from regadvisor.errors import ConfigError

__all__ = ["AMBIGUOUS", "BAD_PORT", "IGNORED", "MASK", "mask_url", "password_of", "register",
           "scrub"]

MASK = "***"

_HOW = ("Percent-encode the password (in Python: urllib.parse.quote(password, safe=''); '@' is "
        "%40, '&' is %26) and pass the URL again.")
AMBIGUOUS = ("The storage URL (--storage) is ambiguous: SQLAlchemy would not read its password "
             "as it is written (an '@' in the password, an '@' after the host, or an '&' in a "
             "password in the query), and the database driver could then show part of it. "
             + _HOW)
BAD_PORT = ("The storage URL (--storage) has a port that is not a number; a password needs the "
            "form user:password@host:port/database. " + _HOW)
IGNORED = ("The storage URL (--storage) holds text that SQLAlchemy would ignore (a line break, "
           "or text after the ']' of an IPv6 host). " + _HOW)

#: SQLAlchemy's URL pattern (sqlalchemy/engine/url.py, ``_parse_url``, unchanged since 1.4).
#: tests/test_secrets.py checks what it reads against ``make_url`` itself.
_SQLALCHEMY_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
        """,
    re.X,
)
_SECRET_KEYS = frozenset({"password", "pass", "passwd", "pwd", "secret", "token", "key",
                          "sslpassword", "sslkey", "passphrase", "apikey", "api_key"})
_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token")

_lock = threading.Lock()
_secrets: set[str] = set()

Span = tuple[int, int]


def _is_secret_key(name: str) -> bool:
    key = unquote_plus(name).strip().lower()
    return key in _SECRET_KEYS or any(word in key for word in _SECRET_WORDS)


def _query_spans(url: str, start: int, end: int, *, greedy: bool) -> list[Span]:
    """Spans of the secret values in ``url[start:end]``, a query split as ``parse_qsl`` splits it
    (on ``&``; an item with no ``=`` or an empty value is dropped).

    ``greedy``: a secret value runs on over the items with no ``=`` that follow it (how a person
    reads ``password=a&b``; SQLAlchemy reads ``a``)."""
    spans: list[Span] = []
    pos = start
    for item in url[start:end].split("&"):
        item_end = pos + len(item)
        if "=" in item:
            key, value = item.split("=", 1)
            if value and _is_secret_key(key):
                spans.append((item_end - len(value), item_end))
        elif greedy and spans and spans[-1][1] == pos - 1:
            spans[-1] = (spans[-1][0], item_end)
        pos = item_end + 1
    return spans


def _sqlalchemy_spans(match: re.Match) -> list[Span]:
    """The secrets as SQLAlchemy hands them to the driver: the password and the query's."""
    spans = [match.span("password")] if match.group("password") else []
    if match.group("query") is not None:
        spans += _query_spans(match.string, match.start("query"), match.end("query"),
                              greedy=False)
    return spans


def _read_spans(url: str) -> list[Span]:
    """The secrets as a person may read ``url``: the password runs from the first ``:`` after
    ``scheme://`` (with no ``/`` before it) to the last ``@`` of the URL, the query begins at
    the first ``?``, and a query password runs on over the items with no ``=`` after it."""
    scheme = url.find("://")
    begin = scheme + 3 if scheme >= 0 else 0
    spans: list[Span] = []
    at = url.rfind("@", begin)
    colon = url.find(":", begin, at) if at >= 0 else -1
    if colon >= 0 and "/" not in url[begin:colon] and colon + 1 < at:  # no user part holds "/"
        spans.append((colon + 1, at))
    question = url.find("?", begin)
    if question >= 0:
        spans += _query_spans(url, question + 1, len(url), greedy=True)
    return spans


def _problem(url: str, match: re.Match) -> str | None:
    """Why ``url`` (read by SQLAlchemy as ``match``) is refused; None when it is not."""
    if match.end() != len(url):
        return IGNORED
    port = match.group("port")
    if port and not (port.isascii() and port.isdigit()):
        return BAD_PORT
    secret = {i for start, end in _sqlalchemy_spans(match) for i in range(start, end)}
    if any(i not in secret for start, end in _read_spans(url) for i in range(start, end)):
        return AMBIGUOUS
    return None


def _spans(url: str) -> list[Span]:
    """What to mask in ``url``, merged and in order.

    Raises:
        ConfigError: ``url`` is refused (see the module's docstring).
    """
    match = _SQLALCHEMY_URL.match(url)
    if match is None:  # not a URL SQLAlchemy reads (it will say so): mask what may be secret
        spans = _read_spans(url)
    else:
        problem = _problem(url, match)
        if problem:
            raise ConfigError(problem)
        spans = _sqlalchemy_spans(match)
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _forms(secret: str) -> set[str]:
    """``secret`` as written and decoded, and as URL renderings (SQLAlchemy's among them), JSON,
    HTML (Jinja's and the standard library's), CSV and Python reprs may show it."""
    out = set()
    for text in {secret, unquote(secret), unquote_plus(secret)}:
        markup = (text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
                  .replace("'", "&#39;").replace('"', "&#34;"))
        out |= {text, quote(text, safe=""), quote(text, safe=" +"), quote_plus(text),
                json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1],
                html.escape(text), markup, repr(text)[1:-1], text.replace('"', '""')}
    return {form for form in out if form}


def password_of(url: str) -> list[str]:
    """The secrets ``url`` carries, in every form they may be shown in (empty when none).

    Raises:
        ConfigError: ``url`` is refused (see the module's docstring).
    """
    forms: set[str] = set()
    for start, end in _spans(url or ""):
        forms |= _forms(url[start:end])
    return sorted(forms, key=lambda s: (-len(s), s))


def mask_url(url: str) -> str:
    """``url`` with each of its secrets replaced by ``***`` (the password, secret query values).

    A refused URL is shown as ``scheme://***``; text that is not a URL SQLAlchemy reads is masked
    from the first ``:`` of its user part to its last ``@``.
    """
    if not url:
        return url
    try:
        spans = _spans(url)
    except ConfigError:
        return url.split("://", 1)[0] + "://" + MASK
    for start, end in reversed(spans):
        url = url[:start] + MASK + url[end:]
    return url


def register(url: str | None) -> None:
    """Remember the secrets of ``url`` so that :func:`scrub` removes them everywhere.

    Raises:
        ConfigError: ``url`` is refused (see the module's docstring); nothing is registered.
    """
    if not url:
        return
    found = password_of(url)
    with _lock:
        _secrets.update(found)


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
