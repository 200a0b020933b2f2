"""DAV logins: a correct credential is never refused because of other clients' failures from
the same address, while guessing is still held back (issue 9 point 8). Time is simulated."""

from __future__ import annotations

from bridge.organisation.dav_logins import DavLogins
from bridge.organisation.throttle import LoginThrottle

PASSWORD = "abcd-efgh-jkmn-pqrs"
ADDRESS = "192.0.2.7"


class Clock:
    def __init__(self) -> None:
        self.now = 10_000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def make() -> tuple[DavLogins, Clock, list[str]]:
    clock = Clock()
    verified: list[str] = []

    def verify(user: str, password: str) -> bool:
        verified.append(password)
        return user == "alex" and password == PASSWORD

    throttle = LoginThrottle(5, 300, 60, clock=clock)
    logins = DavLogins(verify, throttle, pace_s=1.0, clock=clock, sleep=clock.sleep)
    return logins, clock, verified


def run(stale_password: bool, *, correct_every: float) -> tuple[list[int], list[int]]:
    """Five minutes: one client fails every 5 s, another with the right password every
    `correct_every` s, both behind one address. Statuses as a server would answer."""
    logins, clock, _ = make()
    correct: list[int] = []
    failing: list[int] = []
    start = clock.now
    next_fail, next_ok, n = start, start + 0.5, 0
    while clock.now < start + 300:
        if next_fail <= next_ok:
            clock.now = max(clock.now, next_fail)
            password = "stale-one" if stale_password else f"guess-{n}"
            n += 1
            outcome = logins.check("alex", password, ADDRESS)
            failing.append(429 if outcome.retry_after else 401)
            assert not outcome.ok
            next_fail += 5
        else:
            clock.now = max(clock.now, next_ok)
            outcome = logins.check("alex", PASSWORD, ADDRESS)
            correct.append(200 if outcome.ok else (429 if outcome.retry_after else 401))
            next_ok += correct_every
    return correct, failing


def test_a_stale_device_beside_a_correct_one_for_five_minutes() -> None:
    correct, failing = run(stale_password=True, correct_every=7.0)
    assert len(correct) > 40 and set(correct) == {200}
    assert set(failing) == {401}  # one wrong password repeated is one failure: no lock at all


def test_a_guesser_beside_a_correct_device_for_five_minutes() -> None:
    correct, failing = run(stale_password=False, correct_every=7.0)
    assert len(correct) > 40 and set(correct) == {200}
    assert failing[:4] == [401] * 4 and failing.count(429) > 40  # guessing is locked


def test_a_correct_device_without_a_recent_login_passes_a_lock_too() -> None:
    # every 150 s: past the 120 s memory of recent successes, so each is fully checked
    correct, failing = run(stale_password=False, correct_every=150.0)
    assert correct == [200, 200]
    assert 429 in failing


def test_while_locked_guesses_are_checked_one_per_pace_interval() -> None:
    logins, clock, verified = make()
    for n in range(5):
        logins.check("alex", f"guess-{n}", ADDRESS)
    assert logins.retry_after("alex", ADDRESS) > 0
    verified.clear()
    began = clock.now
    for n in range(20):
        assert logins.check("alex", f"more-{n}", ADDRESS).retry_after > 0
    assert len(verified) == 20 and clock.now - began >= 19.0  # one check per second at most
    assert logins.check("alex", PASSWORD, ADDRESS).ok


def test_guessing_other_users_from_one_address_locks_the_address() -> None:
    logins, _, _ = make()
    outcomes = [logins.check(f"user{n}", "x", ADDRESS) for n in range(6)]
    assert outcomes[-1].retry_after > 0
    assert logins.check("alex", PASSWORD, ADDRESS).ok
    assert logins.check("user9", "x", "198.51.100.1").retry_after == 0  # elsewhere: 401


def test_a_known_wrong_password_is_refused_without_the_slow_check() -> None:
    logins, _, verified = make()
    for _ in range(10):
        assert not logins.check("alex", "stale-one", ADDRESS).ok
    assert verified == ["stale-one"]


def test_recent_successes_skip_the_slow_check_until_forgotten() -> None:
    logins, _, verified = make()
    for _ in range(3):
        assert logins.check("alex", PASSWORD, ADDRESS).ok
    assert verified == [PASSWORD]
    logins.forget_successes()  # an app password was revoked
    assert logins.check("alex", PASSWORD, ADDRESS).ok
    assert verified == [PASSWORD, PASSWORD]


def test_fingerprints_are_keyed_per_process() -> None:
    a, _, _ = make()
    b, _, _ = make()
    assert a.fingerprint("alex", PASSWORD) != b.fingerprint("alex", PASSWORD)
    assert PASSWORD not in a.fingerprint("alex", PASSWORD)


def test_processes_sharing_the_secret_key_count_one_wrong_password_once() -> None:
    """Two bridge processes on one database (issue 17): fingerprints come from the shared
    secret key, so a device retrying one stale password through both counts once — with a key
    of its own per process the same password counted twice and locked the device out early."""
    from bridge.secrets import SecretBox, generate_key

    box = SecretBox([generate_key()])
    key = box.derived_key("dav-login-fingerprints")
    assert key == SecretBox(list(box.keys)).derived_key("dav-login-fingerprints")
    assert key != box.derived_key("something else") and key not in box.keys
    clock = Clock()
    shared = LoginThrottle(2, 300, 60, clock=clock)  # stands for the table both processes use

    def process(fingerprint_key: bytes | None) -> DavLogins:
        return DavLogins(
            lambda u, p: False,
            shared,
            clock=clock,
            sleep=clock.sleep,
            fingerprint_key=fingerprint_key,
        )

    one, two = process(key), process(key)
    for logins in (one, two, one, two):
        clock.now += 5
        logins.check("alex", "stale-one", ADDRESS)
    assert shared.retry_after("dav-user:alex") == 0  # one distinct failure, under the limit of 2
    three, four = process(None), process(None)
    for logins in (three, four):
        clock.now += 5
        logins.check("bob", "stale-one", ADDRESS)
    assert shared.retry_after("dav-user:bob") > 0  # per-process keys: counted twice, locked
