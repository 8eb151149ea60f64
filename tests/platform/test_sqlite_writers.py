"""This process's SQLite writers take turns in the order they asked."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from vigil.platform.sqlite_writers import WriterQueue


def test_writers_go_in_the_order_they_asked() -> None:
    queue = WriterQueue()
    queue.acquire(1)
    order: list[int] = []
    threads = []

    def write(number: int) -> None:
        queue.acquire(5)
        order.append(number)
        queue.release()

    for number in range(5):
        thread = threading.Thread(target=write, args=(number,))
        thread.start()
        threads.append(thread)
        # Each asks only once the one before it is waiting.
        deadline = time.monotonic() + 5
        while len(queue._waiting) < number + 1 and time.monotonic() < deadline:
            time.sleep(0.001)
    queue.release()
    for thread in threads:
        thread.join(timeout=5)
    assert order == [0, 1, 2, 3, 4]
    queue.acquire(0.1)  # free again once everyone has gone


def test_a_writer_that_waits_too_long_fails_as_a_busy_database_and_leaves_the_queue() -> None:
    queue = WriterQueue()
    queue.acquire(1)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        queue.acquire(0.05)
    assert time.monotonic() - started >= 0.05
    assert not queue._waiting
    queue.release()
    queue.acquire(0.1)  # the one that gave up did not keep a turn


def test_the_turn_passes_straight_to_the_waiter_not_to_a_newcomer() -> None:
    queue = WriterQueue()
    queue.acquire(1)
    got_it = threading.Event()

    def wait_for_turn() -> None:
        queue.acquire(5)
        got_it.set()

    waiter = threading.Thread(target=wait_for_turn)
    waiter.start()
    while not queue._waiting:
        time.sleep(0.001)
    queue.release()
    # A newcomer arriving right after the release finds the turn already given away.
    with pytest.raises(sqlite3.OperationalError):
        queue.acquire(0.01)
    waiter.join(timeout=5)
    assert got_it.is_set()
