"""Units of work on the embedded database are serialised: a read-then-write race cannot decide twice."""

from __future__ import annotations

import threading

from sqlalchemy import text

from kit.db import make_engine, session_factory, transaction


def test_concurrent_read_then_write_units_do_not_both_win(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, status TEXT)"))
        conn.execute(text("INSERT INTO item VALUES (1, 'accepted')"))
    sessions = session_factory(engine)
    barrier = threading.Barrier(8)
    winners: list[int] = []
    failures: list[Exception] = []

    def approve(n: int) -> None:
        barrier.wait()
        try:
            with transaction(sessions) as session:
                status = session.execute(text("SELECT status FROM item WHERE id = 1")).scalar()
                if status == "accepted":
                    session.execute(text("UPDATE item SET status = 'approved' WHERE id = 1"))
                    winners.append(n)
        except Exception as exc:  # a "database is locked" here is a failure too
            failures.append(exc)

    threads = [threading.Thread(target=approve, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(winners) == 1
