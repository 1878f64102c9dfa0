"""Running a coroutine to completion from synchronous code, inside a running event loop or not.

Validation needs an event loop only for I/O (fetching, and pyhanko-certvalidator's revocation checks,
which are coroutines); this module, and asyncio with it, is imported only then.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, Final, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")

_THREAD_LOOPS: Final = threading.local()


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from synchronous code, inside a running event loop or not."""
    box: list[T] = []

    async def main() -> None:
        # The task's result stays None: Python 3.11's asyncio.run formats the main task's repr (result
        # included) when it restores the SIGINT handler, which would cost a full result repr per call.
        box.append(await coroutine)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _run_on_thread_loop(main())
    else:
        # Called from async code (a notebook, a service handler): asyncio.run cannot nest; use a thread.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, main()).result()
    return box[0]


def _run_on_thread_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run ``coroutine`` on this thread's own event loop, created once and reused.

    ``asyncio.run`` (and ``asyncio.Runner``) build or prepare a loop and install a SIGINT handler per
    call, which costs about a sixth of a whole chain validation; a service validating peer after peer
    keeps one loop per thread instead.  Whatever the coroutine left running is cancelled before
    returning, as ``asyncio.run`` would.
    """
    loop: asyncio.AbstractEventLoop | None = getattr(_THREAD_LOOPS, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _THREAD_LOOPS.loop = loop
        weakref.finalize(threading.current_thread(), loop.close)
    try:
        loop.run_until_complete(coroutine)
    finally:
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        if leftovers:
            for task in leftovers:
                task.cancel()
            loop.run_until_complete(_drain(leftovers))


async def _drain(tasks: list[asyncio.Task[Any]]) -> None:
    await asyncio.gather(*tasks, return_exceptions=True)
