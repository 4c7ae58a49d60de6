"""How many visitors at once share a small CPU: their work batched together, or taken in turns.

On a CPU a batch of N costs far less than N calls (a projection: ~0.12 s a photo batched against ~0.7 s
alone), so the studio's handlers hand their work to a Batcher instead of each running their own. A caller
that finds nothing running starts at once, so one visitor alone waits no longer than before; callers that
arrive while a batch runs are taken together by the next one. Work that cannot be batched (each visitor's
own Lab run) takes Turns: one at a time, in the order asked, so every visitor gets an equal share.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Job(Generic[Item, Result]):
    item: Item
    done: bool = False
    result: Result | None = None
    error: BaseException | None = None


class Batcher(Generic[Item, Result]):
    """`batcher(item)` returns `run([… item …])`'s answer for item, where run sees the items of every caller
    waiting at the time (at most max_size, first come first served), one batch at a time.

    A batch runs on a waiting caller's own thread, so the batcher needs no thread of its own and the caller's
    thread-local settings hold. An exception from run reaches every caller of that batch.
    """

    def __init__(self, run: Callable[[list[Item]], Sequence[Result]], max_size: int = 32) -> None:
        self.run, self.max_size = run, max_size
        self._changed = threading.Condition()
        self._waiting: list[_Job] = []
        self._running = False

    def __call__(self, item: Item) -> Result:
        job = _Job(item)
        with self._changed:
            self._waiting.append(job)
        while not job.done:
            with self._changed:
                while self._running and not job.done:
                    self._changed.wait()
                if job.done:
                    break
                self._running = True  # this caller runs the next batch, its own item in it or in a later one
                batch, self._waiting = self._waiting[:self.max_size], self._waiting[self.max_size:]
            try:
                results = self.run([j.item for j in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"a batch of {len(batch)} gave {len(results)} results")
            except BaseException as error:  # every caller of the batch hears of it
                results, failure = [None] * len(batch), error
            else:
                failure = None
            with self._changed:
                for j, result in zip(batch, results, strict=True):
                    j.result, j.error, j.done = result, failure, True
                self._running = False
                self._changed.notify_all()
        if job.error is not None:
            raise job.error
        return job.result


class Turns:
    """A lock handed to whoever has waited longest: `with turns.turn(): …` runs one holder at a time, first
    come first served, where a plain lock lets a thread that releases and asks again cut in line. An urgent
    turn (a quick piece of work a visitor waits on) goes before every waiting ordinary one."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._urgent: deque[object] = deque()
        self._ordinary: deque[object] = deque()
        self._held = False

    @contextlib.contextmanager
    def turn(self, urgent: bool = False) -> Iterator[None]:
        me, line = object(), self._urgent if urgent else self._ordinary
        with self._changed:
            line.append(me)
            while self._held or (self._urgent or self._ordinary)[0] is not me:
                self._changed.wait()
            line.popleft()
            self._held = True
        try:
            yield
        finally:
            with self._changed:
                self._held = False
                self._changed.notify_all()
