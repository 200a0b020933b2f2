"""Portal sessions: server-side, token stored only as a hash, expiry, rotation at sign-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.organisation.administration import Administration
from bridge.settings import Settings
from bridge.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def admin(tmp_path: Path, clock: Clock) -> Administration:
    settings = Settings().replace("portal", session_hours=2)
    return Administration(Store(tmp_path / "db.sqlite3"), settings, clock=clock)


def test_new_session_is_found_by_its_token(admin: Administration, clock: Clock) -> None:
    token, record = admin.new_session(None)
    assert len(token) >= 40 and len(record.csrf) >= 40 and token != record.csrf
    assert record.user_id is None
    assert record.expires == clock.now + 2 * 3600
    assert admin.session(token) == record
    assert admin.session(token + "x") is None
    assert admin.session("") is None


def test_tokens_are_random(admin: Administration) -> None:
    tokens = {admin.new_session(None)[0] for _ in range(20)}
    csrfs = {admin.new_session(None)[1].csrf for _ in range(20)}
    assert len(tokens) == 20 and len(csrfs) == 20


def test_session_expires(admin: Administration, clock: Clock) -> None:
    token, _ = admin.new_session(None)
    clock.now += 2 * 3600 - 1
    assert admin.session(token) is not None
    clock.now += 1
    assert admin.session(token) is None
    clock.now -= 10  # the expired session was ended, not just hidden
    assert admin.session(token) is None


def test_expired_sessions_are_purged_when_new_ones_start(
    admin: Administration, clock: Clock
) -> None:
    old = [admin.new_session(None)[1].token_hash for _ in range(3)]
    clock.now += 3 * 3600
    admin.new_session(None)
    assert all(admin.store.session_row(h) is None for h in old)


def test_sign_in_rotates_the_token(admin: Administration) -> None:
    user = admin.create_user("alex")
    anonymous, before = admin.new_session(None)
    token, record = admin.sign_session_in(anonymous, user.id)
    assert token != anonymous and record.csrf != before.csrf
    assert admin.session(anonymous) is None  # a planted pre-sign-in token is dead
    assert admin.session(token) == record
    assert record.user_id == user.id


def test_sign_in_without_a_previous_session(admin: Administration) -> None:
    user = admin.create_user("alex")
    token, record = admin.sign_session_in("never-issued", user.id)
    assert admin.session(token) == record


def test_end_session(admin: Administration) -> None:
    user = admin.create_user("alex")
    token, _ = admin.new_session(user.id)
    other, _ = admin.new_session(user.id)
    admin.end_session(token)
    assert admin.session(token) is None
    assert admin.session(other) is not None
    admin.end_session("")


def test_deleting_the_user_ends_their_sessions(admin: Administration) -> None:
    user = admin.create_user("alex")
    token, _ = admin.new_session(user.id)
    with admin.store._tx() as db:
        db.execute("DELETE FROM users WHERE id = ?", (user.id,))
    assert admin.session(token) is None


def test_token_is_stored_only_hashed(admin: Administration, tmp_path: Path) -> None:
    user = admin.create_user("alex")
    anonymous, _ = admin.new_session(None)
    token, record = admin.sign_session_in(anonymous, user.id)
    admin.store.close()
    data = b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite3*"))
    assert token.encode() not in data
    assert anonymous.encode() not in data
    assert record.token_hash.encode() in data
