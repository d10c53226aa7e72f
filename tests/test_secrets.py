"""Masking storage URLs: what regadvisor masks is exactly what SQLAlchemy hands the driver as a
secret, for any password, or the URL is refused without showing any of it."""

from __future__ import annotations

import html
import json
import string
from contextlib import contextmanager
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from regadvisor import _secrets
from regadvisor._secrets import MASK, mask_url, register, scrub
from regadvisor.errors import ConfigError

# Printable characters as str.isprintable() has them (letters, marks, numbers, punctuation,
# symbols, the space); passwords are drawn as runs of them mixed with the characters and
# sequences that mean something in a URL, so that those are drawn often.
_PRINTABLE = st.one_of(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")),
    st.just(" "))
_SPECIAL = [*"@:/?#%&+=;[]'\"\\<> ", "%40", "%2", "%zz", "?password=", "&x=", "@host/"]


def _passwords(special: list[str]) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(special), st.text(_PRINTABLE, min_size=1, max_size=4),
                      st.text(string.hexdigits, min_size=1, max_size=3))
    return st.lists(piece, min_size=1, max_size=8).map("".join)


PASSWORDS = _passwords(_SPECIAL)
PASSWORDS_WITHOUT_AMP = _passwords([s for s in _SPECIAL if "&" not in s]).filter(
    lambda p: "&" not in p)

# Where a password goes in each URL form ("{}"), and what SQLAlchemy must read from the rest.
USERINFO = {
    "postgresql": ("postgresql://ann:{}@db.example:5432/regadvisor",
                   dict(username="ann", host="db.example", port=5432, database="regadvisor",
                        query={})),
    "mysql": ("mysql+pymysql://ann:{}@db.example/regadvisor?charset=utf8mb4",
              dict(username="ann", host="db.example", port=None, database="regadvisor",
                   query={"charset": "utf8mb4"})),
    "sqlite": ("sqlite://ann:{}@/study.db",
               dict(username="ann", host=None, port=None, database="study.db", query={})),
    "pysqlcipher": ("sqlite+pysqlcipher://:{}@//data/c.db?cipher=aes-256-cfb&kdf_iter=64000",
                    dict(username="", host=None, port=None, database="/data/c.db",
                         query={"cipher": "aes-256-cfb", "kdf_iter": "64000"})),
}
QUERY = {
    "postgresql": ("postgresql://ann@db.example:5432/regadvisor?sslmode=disable&password={}",
                   "password", dict(username="ann", host="db.example", port=5432,
                                    database="regadvisor", password=None,
                                    query={"sslmode": "disable"})),
    "mysql": ("mysql+pymysql://ann@db.example/regadvisor?passwd={}&charset=utf8mb4", "passwd",
              dict(username="ann", host="db.example", port=None, database="regadvisor",
                   password=None, query={"charset": "utf8mb4"})),
    "sqlite": ("sqlite:///q.db?password={}", "password",
               dict(username=None, host=None, port=None, database="q.db", password=None,
                    query={})),
    "sqlite key": ("sqlite:///q.db?uri=true&key={}&mode=ro", "key",
                   dict(username=None, host=None, port=None, database="q.db", password=None,
                        query={"uri": "true", "mode": "ro"})),
}
REFUSALS = {_secrets.AMBIGUOUS, _secrets.BAD_PORT, _secrets.IGNORED}


@contextmanager
def _registry():
    """A registry of secrets of its own (register() is process-wide)."""
    saved = set(_secrets._secrets)
    _secrets._secrets.clear()
    try:
        yield
    finally:
        _secrets._secrets.clear()
        _secrets._secrets.update(saved)


def _read(url: str) -> dict:
    """What SQLAlchemy reads from ``url`` (and so what the driver gets)."""
    u = make_url(url)
    return dict(username=u.username, password=u.password, host=u.host, port=u.port,
                database=u.database, query=dict(u.query))


def _renderings(secret: str) -> list[str]:
    """Ways the secret could be written out: as it is, by SQLAlchemy's URL rendering, in JSON,
    HTML, CSV and Python reprs."""
    return [secret, quote(secret, safe=" +"), quote_plus(secret), quote(secret, safe=""),
            json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
            html.escape(secret), repr(secret)[1:-1], secret.replace('"', '""')]


def _assert_scrubbed(secret: str) -> None:
    for form in _renderings(secret):
        # All of it replaced (by asterisks only: a secret may hold '*' itself).
        assert set(scrub(form)) == {"*"}, (secret, form, scrub(form))


def _refused(url: str) -> bool:
    """Register ``url``; True when it is refused, after checking the refusal shows nothing."""
    try:
        register(url)
    except ConfigError as e:
        event("refused")
        assert e.message in REFUSALS  # a fixed sentence: nothing of the URL in it
        assert mask_url(url) == url.split("://", 1)[0] + "://" + MASK
        assert not _secrets._secrets  # nothing half-registered
        return True
    event("accepted")
    return False


@settings(max_examples=150, deadline=None)
@given(password=PASSWORDS, form=st.sampled_from(sorted(USERINFO)))
@example(password="p@s3cr3t", form="postgresql")
def test_an_escaped_password_in_the_user_part_is_masked_exactly(password, form):
    template, rest = USERINFO[form]
    url = template.format(quote(password, safe=""))
    with _registry():
        assert not _refused(url)
        assert _read(url) == {**rest, "password": password}
        assert mask_url(url) == template.format(MASK)
        _assert_scrubbed(password)


@settings(max_examples=300, deadline=None)
@given(password=PASSWORDS, form=st.sampled_from(sorted(USERINFO)))
@example(password="S3C?RET", form="postgresql")  # a '?' in the password: accepted, masked
@example(password="Zq7:s3c/x9k", form="pysqlcipher")
@example(password="p@s3cr3t", form="postgresql")  # an unescaped '@': refused
@example(password="a@b?c", form="postgresql")  # SQLAlchemy: host 'b', query 'c@db...'
@example(password="a?password=b", form="postgresql")
def test_an_unescaped_password_in_the_user_part_is_masked_or_refused(password, form):
    template, rest = USERINFO[form]
    url = template.format(password)
    with _registry():
        if _refused(url):
            assert "@" in password or "?" in password  # nothing else makes it ambiguous
            return
        # Accepted: the driver gets the whole password as the password, nothing of it elsewhere.
        assert _read(url) == {**rest, "password": unquote(password)}
        assert mask_url(url) == template.format(MASK)
        _assert_scrubbed(password)
        _assert_scrubbed(unquote(password))


@settings(max_examples=150, deadline=None)
@given(password=PASSWORDS, form=st.sampled_from(sorted(QUERY)),
       escape=st.sampled_from([quote_plus, lambda s: quote(s, safe="")]))
def test_an_escaped_password_in_the_query_is_masked_exactly(password, form, escape):
    template, key, rest = QUERY[form]
    url = template.format(escape(password))
    with _registry():
        assert not _refused(url)
        read = _read(url)
        assert read["query"].pop(key) == password
        assert read == rest
        assert mask_url(url) == template.format(MASK)
        _assert_scrubbed(password)


@settings(max_examples=300, deadline=None)
@given(password=PASSWORDS_WITHOUT_AMP, form=st.sampled_from(sorted(QUERY)))
@example(password="Zq7Wv4+s3cR8t", form="sqlite")
@example(password="a@b", form="postgresql")  # SQLAlchemy: user 'ann@db.example', host 'b'
@example(password="a@b", form="sqlite")
def test_an_unescaped_password_in_the_query_is_masked_or_refused(password, form):
    """'&' separates the query's parameters in every URL: ``password=a&b=c`` is two parameters
    to anyone reading it, so a password with '&' must be written %26 (an '&' followed by no '='
    is refused: test_an_ampersand_in_a_query_password_is_refused)."""
    template, key, rest = QUERY[form]
    url = template.format(password)
    with _registry():
        if _refused(url):
            assert "@" in password
            return
        read = _read(url)
        assert read["query"].pop(key) == unquote_plus(password)
        assert read == rest
        assert mask_url(url) == template.format(MASK)
        _assert_scrubbed(password)
        _assert_scrubbed(unquote_plus(password))


@pytest.mark.parametrize("url", [
    "postgresql://ann@db.example/regadvisor?password=Zq7Wv4&s3cR8t",
    "postgresql://ann@db.example/regadvisor?password=Zq7Wv4&s3cR8t&sslmode=disable",
    "sqlite:///q.db?key=Zq7Wv4&s3cR8t",
])
def test_an_ampersand_in_a_query_password_is_refused(url):
    with _registry(), pytest.raises(ConfigError) as error:
        register(url)
    assert error.value.message == _secrets.AMBIGUOUS
    assert "%26" in error.value.message  # says how to write it


@pytest.mark.parametrize(("url", "message"), [
    ("postgresql://ann:p@s3cr3t@127.0.0.1:1/db", _secrets.AMBIGUOUS),
    ("postgresql://ann@127.0.0.1:5432/db?password=p@s3cr3t", _secrets.AMBIGUOUS),
    ("postgresql://127.0.0.1:5432?password=p@s3cr3t", _secrets.AMBIGUOUS),
    ("postgresql://ann:p/s@s3cr3t/x@host/db", _secrets.AMBIGUOUS),
    ("sqlite+pysqlcipher://:p@s3cr3t@//data/c.db", _secrets.AMBIGUOUS),
    ("postgresql://ann:s3cr3t", _secrets.BAD_PORT),  # no '@host': SQLAlchemy reads a port
    ("postgresql://ann:s3cr3t/db", _secrets.BAD_PORT),
    ("postgresql://ann@h/db?password=s3cr3t\nx", _secrets.IGNORED),
    ("postgresql://ann:s3cr3t@[::1]x/db", _secrets.IGNORED),
])
def test_ambiguous_urls_are_refused_with_a_fixed_sentence(url, message):
    with _registry(), pytest.raises(ConfigError) as error:
        register(url)
    assert error.value.message == message
    assert "s3cr3t" not in error.value.message and "s3cr3t" not in mask_url(url)


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://user:S3C?RET@host/db", "postgresql://user:***@host/db"),
    ("postgresql://user@host/db?password=p@ss", "postgresql://user@host/db?password=***"),
    ("sqlite:///q.db?password=S3CRET", "sqlite:///q.db?password=***"),
    ("sqlite://user:S3CRET@/q.db", "sqlite://user:***@/q.db"),
    ("sqlite+pysqlcipher://:S3CRET@//data/c.db", "sqlite+pysqlcipher://:***@//data/c.db"),
    ("sqlite:////tmp/a.db", "sqlite:////tmp/a.db"),
    ("sqlite:///C:/Users/ann@example/a.db", "sqlite:///C:/Users/ann@example/a.db"),
    ("postgresql://h/db?sslmode=disable&PassWord=x%26y&Auth_Token=t&PWD=z",
     "postgresql://h/db?sslmode=disable&PassWord=***&Auth_Token=***&PWD=***"),
    ("not a url", "not a url"),
    ("user:S3CRET@host/db", "user:***@host/db"),  # not a URL SQLAlchemy reads: masked still
    ("my-db://user:S3CRET@host/db", "my-db://user:***@host/db"),
])
def test_mask_url(url, shown):
    with _registry():
        assert mask_url(url) == shown


def test_register_keeps_the_forms_a_driver_or_a_file_may_show():
    with _registry():
        register("postgresql://ann:p%40ss%22w%3Crd@host/db")
        for text in ('p@ss"w<rd', "p%40ss%22w%3Crd", 'p@ss\\"w<rd', "p@ss&quot;w&lt;rd",
                     "p@ss&#34;w&lt;rd", 'p@ss""w<rd'):
            assert scrub(f"[{text}]") == f"[{MASK}]", text


def test_the_python_api_refuses_an_ambiguous_url_too():
    from regadvisor.tuning import TuneSettings

    with _registry(), pytest.raises(ConfigError, match="is ambiguous"):
        TuneSettings(storage="postgresql://ann:p@s3cr3t@127.0.0.1:1/db")
