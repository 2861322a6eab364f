"""Password change, password reset end to end (file email backend), hashing and validators."""

from __future__ import annotations

import email
import re
from pathlib import Path

import pytest

from fastcore.auth import PasswordHasher, validate_password
from fastcore.auth.hashers import TEST_HASHER
from fastcore.auth.validators import CommonPasswordValidator
from tests.auth.conftest import Site
from tests.auth.support import PASSWORD

NEW_PASSWORD = "a brand new passphrase 42"


def _mails(outbox: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(path.read_bytes()) for path in sorted(outbox.glob("*.eml"))]


def _reset_link(outbox: Path) -> str:
    (message,) = _mails(outbox)
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    match = re.search(r"http://testserver(/accounts/password/reset/confirm\?token=\S+)", body)
    assert match is not None, body
    return match.group(1)


def test_password_reset_end_to_end(site: Site) -> None:
    site.make_user("yara", email="yara@example.com")
    sent = site.form("/accounts/password/reset", {"email": "yara@example.com"})
    assert sent.status_code == 200 and "Check your email" in sent.text
    (message,) = _mails(site.outbox)
    assert message["To"] == "yara@example.com"
    link = _reset_link(site.outbox)
    done = site.form(
        "/accounts/password/reset/confirm",
        {
            "token": link.split("token=")[1],
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        page=link,
    )
    assert done.status_code == 200 and "Your password was set" in done.text
    assert site.log_in("yara", PASSWORD).status_code == 400
    assert site.log_in("yara", NEW_PASSWORD).status_code == 303


def test_a_reset_link_works_once(site: Site) -> None:
    site.make_user("zoe", email="zoe@example.com")
    site.form("/accounts/password/reset", {"email": "zoe@example.com"})
    link = _reset_link(site.outbox)
    token = link.split("token=")[1]
    fields = {"token": token, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert site.form("/accounts/password/reset/confirm", fields, page=link).status_code == 200
    again = site.client.get(link)
    assert again.status_code == 400 and "invalid" in again.text


def test_a_login_invalidates_an_earlier_reset_link(site: Site) -> None:
    site.make_user("abe", email="abe@example.com")
    site.form("/accounts/password/reset", {"email": "abe@example.com"})
    link = _reset_link(site.outbox)
    site.log_in("abe")
    assert site.client.get(link).status_code == 400


def test_forged_or_expired_reset_tokens_are_refused(site: Site, tmp_path: Path) -> None:
    site.make_user("bea", email="bea@example.com")
    site.form("/accounts/password/reset", {"email": "bea@example.com"})
    link = _reset_link(site.outbox)
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert site.client.get(tampered).status_code == 400
    assert site.client.get("/accounts/password/reset/confirm?token=garbage").status_code == 400
    assert site.client.get("/accounts/password/reset/confirm").status_code == 400


def test_reset_request_does_not_tell_whether_the_address_exists(site: Site) -> None:
    site.make_user("cleo", email="cleo@example.com")
    known = site.form("/accounts/password/reset", {"email": "cleo@example.com"})
    unknown = site.form("/accounts/password/reset", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    nonce = re.compile(r'nonce="[^"]*"')
    assert nonce.sub("", known.text) == nonce.sub("", unknown.text)
    assert len(_mails(site.outbox)) == 1


def test_password_change_logs_out_other_sessions(site: Site) -> None:
    site.make_user("dina")
    site.log_in("dina")
    other_session = dict(site.client.cookies)
    site.client.cookies.clear()
    site.log_in("dina")
    changed = site.form(
        "/accounts/password/change",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 200 and "Password changed" in changed.text
    assert site.client.get("/whoami").json()["authenticated"] is True  # this session stays
    stale = site.client.get("/whoami", cookies=other_session)
    assert stale.json()["authenticated"] is False


def test_password_change_needs_the_old_password(site: Site) -> None:
    site.make_user("eli")
    site.log_in("eli")
    response = site.form(
        "/accounts/password/change",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 400 and "old password was entered incorrectly" in response.text


def test_outdated_hashes_are_upgraded_at_login(site: Site) -> None:
    # The site's hasher is TEST_HASHER; a user hashed with other parameters is rehashed.
    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    site.make_user("fay", password_hash=old)
    assert site.client.get("/test/hash/fay").json()["hash"] == old
    assert site.log_in("fay").status_code == 303
    upgraded = site.client.get("/test/hash/fay").json()["hash"]
    assert upgraded != old and not TEST_HASHER.needs_rehash(upgraded)
    assert TEST_HASHER.verify(upgraded, PASSWORD)


def test_hasher_round_trip_and_malformed_hashes() -> None:
    encoded = TEST_HASHER.hash("s3cret")
    assert encoded.startswith("$argon2id$")
    assert TEST_HASHER.verify(encoded, "s3cret")
    assert not TEST_HASHER.verify(encoded, "s3cret ")
    assert not TEST_HASHER.verify("not a hash", "s3cret")
    assert TEST_HASHER.needs_rehash("not a hash")
    assert PasswordHasher().needs_rehash(encoded)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "too short"),
        ("password123", "too common"),
        ("Dragon2024", "too common"),
        ("8675309123", "entirely numeric"),
        ("alice-in-chains", "too similar"),
    ],
)
def test_validators_explain_the_problem(password: str, message: str) -> None:
    problems = validate_password(password, username="alice", email="alice@example.com")
    assert any(message in problem for problem in problems), problems


def test_a_good_password_passes_and_the_list_is_replaceable() -> None:
    assert validate_password("violet kettle ninety", username="alice") == []
    custom = [CommonPasswordValidator(["violet kettle ninety"])]
    assert validate_password("Violet Kettle Ninety", validators=custom) == [
        "This password is too common."
    ]
