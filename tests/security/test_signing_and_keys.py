"""Signing, constant-time comparison and secret-key handling, attacked directly."""

from __future__ import annotations

import logging
import time

import pytest

from fastcore.exceptions import ImproperlyConfigured
from fastcore.security import Signer, constant_time_compare, random_token, resolve_secret_keys
from fastcore.security.keys import secret_key_problem
from tests.security.helpers import OTHER_SECRET, SECRET


def test_signed_value_round_trips_and_keeps_dots() -> None:
    signer = Signer(SECRET, salt="test")
    signed = signer.sign("user.42.admin")
    assert signed.startswith("user.42.admin.")
    assert signer.unsign(signed) == "user.42.admin"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: s.replace("user", "root", 1),  # changed value
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # changed signature
        lambda s: s.rsplit(".", 1)[0],  # signature dropped
        lambda s: s.rsplit(".", 2)[0] + ".zzzzzz." + s.rsplit(".", 1)[1],  # changed time
        lambda s: "",
        lambda s: "...",
    ],
)
def test_tampered_values_are_rejected(tamper) -> None:  # type: ignore[no-untyped-def]
    signer = Signer(SECRET, salt="test")
    assert signer.unsign(tamper(signer.sign("user"))) is None


def test_a_signature_from_another_key_or_salt_is_rejected() -> None:
    signed = Signer(OTHER_SECRET, salt="test").sign("user")
    assert Signer(SECRET, salt="test").unsign(signed) is None
    assert Signer(SECRET, salt="sessions").unsign(Signer(SECRET, salt="reset").sign("x")) is None


def test_key_rotation_newest_signs_all_verify() -> None:
    old = Signer(OTHER_SECRET, salt="test")
    rotated = Signer([SECRET, OTHER_SECRET], salt="test")
    assert rotated.unsign(old.sign("before")) == "before"
    new_value = rotated.sign("after")
    assert Signer(SECRET, salt="test").unsign(new_value) == "after"
    assert old.unsign(new_value) is None  # the old key alone cannot verify new values


def test_max_age_expires_values() -> None:
    signer = Signer(SECRET, salt="test")
    old = signer.sign("x", timestamp=time.time() - 120)
    assert signer.unsign(old, max_age=60) is None
    assert signer.unsign(old, max_age=300) == "x"
    value, signed_at = signer.unsign_with_timestamp(old) or ("", 0)
    assert value == "x" and abs(signed_at - (time.time() - 120)) < 2


def test_objects_round_trip_and_reject_garbage() -> None:
    signer = Signer(SECRET, salt="test")
    assert signer.unsign_object(signer.sign_object({"a": [1, "b"]})) == {"a": [1, "b"]}
    assert signer.unsign_object(signer.sign("not base64 json!")) is None


def test_empty_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        Signer("", salt="x")
    with pytest.raises(ValueError):
        Signer([], salt="x")


def test_constant_time_compare_and_tokens() -> None:
    assert constant_time_compare("abc", b"abc")
    assert not constant_time_compare("abc", "abd")
    assert not constant_time_compare("abc", "abcd")
    tokens = {random_token() for _ in range(50)}
    assert len(tokens) == 50 and all(len(token) >= 43 for token in tokens)
    with pytest.raises(ValueError):
        random_token(8)


@pytest.mark.parametrize(
    "key, weak",
    [
        ("", True),
        ("short", True),
        ("a" * 64, True),
        ("changeme-" + "x1y2z3w4v5u6t7s8r9q0" * 2, True),
        (SECRET, False),
    ],
)
def test_weak_keys_are_named(key: str, weak: bool) -> None:
    assert (secret_key_problem(key) is not None) is weak


def test_production_refuses_a_missing_or_weak_key() -> None:
    with pytest.raises(ImproperlyConfigured, match="FASTCORE_SECRET_KEY"):
        resolve_secret_keys(None, debug=False, environ={})
    with pytest.raises(ImproperlyConfigured, match="shorter"):
        resolve_secret_keys("tiny", debug=False, environ={})


def test_keys_come_from_the_environment_with_fallbacks() -> None:
    environ = {"FASTCORE_SECRET_KEY": SECRET, "FASTCORE_SECRET_KEY_FALLBACKS": OTHER_SECRET}
    assert resolve_secret_keys(environ=environ) == [SECRET, OTHER_SECRET]
    assert resolve_secret_keys([SECRET], fallbacks=[OTHER_SECRET], environ={}) == [
        SECRET,
        OTHER_SECRET,
    ]


def test_debug_generates_a_key_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="fastcore.security"):
        first = resolve_secret_keys(None, debug=True, environ={})
        second = resolve_secret_keys(None, environ={"FASTCORE_DEBUG": "1"})
    assert first == second and secret_key_problem(first[0]) is None
    import fastcore.security.keys as keys

    keys._generated_key = None
    with caplog.at_level(logging.WARNING, logger="fastcore.security"):
        resolve_secret_keys(None, debug=True, environ={})
    assert "generated a random one" in caplog.text


@pytest.mark.parametrize("key", [b"", b"k", b"k" * 64, b"k" * 65, bytes(range(200))])
def test_the_precomputed_hmac_matches_the_standard_library(key: bytes) -> None:
    import hmac

    from fastcore.security.signing import _HmacSha256

    for message in (b"", b"m", b"x" * 1000):
        assert _HmacSha256(key).digest(message) == hmac.digest(key, message, "sha256")


def test_base64_helpers_match_the_standard_library_and_refuse_garbage() -> None:
    import base64
    import os

    from fastcore.security.crypto import b64decode, b64encode

    for size in range(70):
        data = os.urandom(size)
        text = b64encode(data)
        assert text == base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
        assert b64decode(text) == data
    for garbage in ("a", "abcde", "é", "\udcff"):
        with pytest.raises(ValueError):
            b64decode(garbage)


@pytest.mark.parametrize("signature", ["é", "\udcff", "", "=" * 43])
def test_a_malformed_signature_is_refused_not_an_error(signature: str) -> None:
    signer = Signer(SECRET, salt="s")
    message = signer.sign("value").rsplit(".", 1)[0]
    assert signer.unsign(f"{message}.{signature}") is None


def test_a_value_that_cannot_be_encoded_is_refused_not_an_error() -> None:
    assert Signer(SECRET, salt="s").unsign("\udcff.1xYZsw.signature") is None
