"""Synchronous store code over an asynchronous driver, on the event loop.

The store's functions (`bot.community`) are one set of plain synchronous code for both
engines. On PostgreSQL they run inside `run_sync`, in a greenlet of their own: each time
the PostgreSQL adapter needs the network it hands a coroutine to `wait_for`, which
switches back to the event loop's side to await it, and resumes the function with its
result. The loop keeps serving everything else meanwhile; nothing ever blocks on a socket.
(SQLAlchemy's asyncio support works the same way.)
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import greenlet

T = TypeVar("T")


class _Bridged(greenlet.greenlet):
    """A greenlet running synchronous store code for a coroutine on the loop."""

    def __init__(self, fn: Callable[..., Any], loop_side: greenlet.greenlet) -> None:
        super().__init__(fn, loop_side)
        self.loop_side = loop_side


async def run_sync(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn(*args, **kwargs)`, awaiting on its behalf whatever it hands to `wait_for`."""
    bridged = _Bridged(fn, greenlet.getcurrent())
    step = bridged.switch(*args, **kwargs)
    while not bridged.dead:
        try:
            value = await step
        except BaseException:  # noqa: BLE001 - handed back to the code that awaited it
            step = bridged.throw(*sys.exc_info())
        else:
            step = bridged.switch(value)
    return step  # type: ignore[return-value]


def wait_for(awaitable: Awaitable[T]) -> T:
    """From synchronous code running under `run_sync`: await `awaitable` on the loop."""
    current = greenlet.getcurrent()
    if not isinstance(current, _Bridged):
        raise RuntimeError("PostgreSQL's store code must run under bot.store.bridge.run_sync "
                           "(GuildStore.run), never straight on the event loop")
    return current.loop_side.switch(awaitable)


def bridged() -> bool:
    """Whether the caller is synchronous store code running under `run_sync`."""
    return isinstance(greenlet.getcurrent(), _Bridged)
