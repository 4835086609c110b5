"""The production argon2 parameters (the rest of the suite hashes with cheap ones, CHEAP_ARGON2).

An app configured as in production hashes with RFC 9106's low-memory profile, checks unknown
accounts against a hash of the same cost, and redoes a cheaper hash at the next login.
"""
from __future__ import annotations

import argon2
from argon2 import profiles
from sqlalchemy import select

from tests.factories import PASSWORD, build_world
from tests.support.base import CHEAP_ARGON2, Client, build_app, fresh_database
from tracker.accounts.models import User
from tracker.accounts.passwords import ARGON2_KEYS, hash_password, verify_password
from tracker.config import DEFAULTS
from tracker.extensions import db

PRODUCTION_PREFIX = "$argon2id$v=19$m=65536,t=3,p=4$"


def test_the_defaults_are_rfc_9106s_low_memory_profile():
    low_memory = profiles.RFC_9106_LOW_MEMORY
    assert [DEFAULTS[key] for key in ARGON2_KEYS] == [
        low_memory.time_cost, low_memory.memory_cost, low_memory.parallelism]
    assert hash_password(PASSWORD).startswith(PRODUCTION_PREFIX)  # outside an app too


def test_production_parameters_hash_verify_and_upgrade_cheap_hashes(tmp_path, monkeypatch):
    with fresh_database(tmp_path) as url:
        app = build_app(url, tmp_path, **{key: DEFAULTS[key] for key in ARGON2_KEYS})
        app.test_client_class = Client
        try:
            with app.test_request_context():
                build_world()
                cheap_hash = argon2.PasswordHasher(
                    *(CHEAP_ARGON2[key] for key in ARGON2_KEYS)).hash(PASSWORD)
                assert cheap_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
                user = db.session.scalar(select(User).where(User.username == "health_clerk"))
                user.password_hash = cheap_hash
                db.session.commit()
                made = hash_password(PASSWORD)
                assert made.startswith(PRODUCTION_PREFIX)
                assert verify_password(made, PASSWORD) == (True, False)
                assert verify_password(cheap_hash, PASSWORD) == (True, True)
                db.session.remove()

            verified = []
            original = argon2.PasswordHasher.verify

            def recording(self, stored_hash, password):
                verified.append(stored_hash)
                return original(self, stored_hash, password)

            monkeypatch.setattr(argon2.PasswordHasher, "verify", recording)
            client = app.test_client()
            # An unknown account costs a verification at the production parameters as well.
            assert client.login("nobody").status_code == 200
            assert len(verified) == 1 and verified[0].startswith(PRODUCTION_PREFIX)
            # The cheap hash still lets its user in, and is replaced by a production one.
            assert client.login("health_clerk").status_code == 302
            with app.app_context():
                stored = db.session.scalar(
                    select(User.password_hash).where(User.username == "health_clerk"))
            assert stored.startswith(PRODUCTION_PREFIX)
            assert verify_password(stored, PASSWORD)[0]
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
