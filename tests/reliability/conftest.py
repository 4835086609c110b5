"""Fixtures of the fault drills: a throw-away PostgreSQL cluster of the test's own that may be
stopped and started at will (helpers in tests/support/reliability.py)."""
from __future__ import annotations

import pytest

from tests.support.reliability import OwnCluster, _pg_bin


@pytest.fixture
def own_postgres():
    """A PostgreSQL server for this test alone (the shared one on 5432 is never restarted)."""
    bindir = _pg_bin()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found under "
                    "/usr/lib/postgresql/*/bin: install postgresql to run this drill")
    cluster = OwnCluster(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
