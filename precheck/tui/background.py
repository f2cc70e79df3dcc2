"""Blocking work that can never hold the app open: daemon threads watched by cancellable waits.

Textual's thread workers run in asyncio's default executor, whose threads the interpreter joins
at exit. A worker blocked in a driver call or in the runner's wait (up to a check's whole time
budget) would therefore keep a quitting app on screen. So the blocking call runs in a daemon
thread (:func:`in_daemon`), and the worker only waits for it in short steps (:func:`wait`),
returning at once when it is cancelled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

T = TypeVar("T")

#: How often a waiting worker looks whether it was cancelled.
POLL_S = 0.05


class Cancelled(Exception):
    """The worker that waited was cancelled (the screen closed or the app quit)."""


def in_daemon(work: Callable[[], T], name: str) -> Future[T]:
    """Start ``work()`` in a daemon thread; its result or exception arrives in the future."""
    future: Future[T] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = work()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
            future.set_exception(exc)
        else:
            future.set_result(result)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def wait(future: Future[T], cancelled: Callable[[], bool]) -> T:
    """The future's result; raises :class:`Cancelled` as soon as ``cancelled()`` is true."""
    while True:
        if cancelled():
            raise Cancelled
        try:
            return future.result(timeout=POLL_S)
        except FutureTimeout:
            continue


def wait_in_worker(work: Callable[[], T], name: str) -> T:
    """Run ``work()`` in a daemon thread from a thread worker and wait for it there; raises
    :class:`Cancelled` when that worker is cancelled (its screen closed, the app quit)."""
    from textual.worker import get_current_worker

    worker = get_current_worker()
    return wait(in_daemon(work, name), lambda: worker.is_cancelled)
