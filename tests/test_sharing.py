import threading
import time

import pytest

from facegan.sharing import Batcher, Turns


def test_a_lone_caller_runs_at_once_in_a_batch_of_one():
    batches = []
    batcher = Batcher(lambda items: batches.append(list(items)) or [x * 2 for x in items])
    assert batcher(21) == 42
    assert batches == [[21]]


def test_callers_arriving_while_a_batch_runs_share_the_next_one():
    batches, first_running, release = [], threading.Event(), threading.Event()

    def run(items):
        batches.append(list(items))
        if len(batches) == 1:
            first_running.set()
            release.wait(5)
        return [x + 100 for x in items]

    batcher = Batcher(run)
    results = {}
    first = threading.Thread(target=lambda: results.update({0: batcher(0)}))
    first.start()
    first_running.wait(5)
    others = [threading.Thread(target=lambda i=i: results.update({i: batcher(i)})) for i in range(1, 6)]
    for t in others:
        t.start()
    time.sleep(0.2)  # all five are waiting behind the first batch
    release.set()
    for t in [first, *others]:
        t.join(5)
    assert results == {i: i + 100 for i in range(6)}
    assert batches[0] == [0] and sorted(batches[1]) == [1, 2, 3, 4, 5] and len(batches) == 2


def test_batches_are_cut_at_max_size_and_every_caller_is_answered():
    sizes = []
    batcher = Batcher(lambda items: sizes.append(len(items)) or [time.sleep(0.01) or x for x in items], max_size=3)
    results = [None] * 20
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, batcher(i))) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == list(range(20)) and max(sizes) <= 3 and sum(sizes) == 20


def test_an_error_reaches_every_caller_of_its_batch_and_the_next_batch_runs():
    calls = []

    def run(items):
        calls.append(list(items))
        if "bad" in items:
            raise ValueError("no")
        return items

    batcher = Batcher(run)
    with pytest.raises(ValueError, match="no"):
        batcher("bad")
    assert batcher("good") == "good"


def test_turns_go_in_the_order_asked_and_a_returning_holder_waits_behind_the_others():
    turns, order, holding = Turns(), [], threading.Event()

    def take(name: str, times: int) -> None:
        for _ in range(times):
            with turns.turn():
                order.append(name)
                holding.set()
                time.sleep(0.02)

    with turns.turn():  # the line forms while the turn is held
        a = threading.Thread(target=take, args=("a", 3))
        a.start()
        time.sleep(0.05)
        b = threading.Thread(target=take, args=("b", 3))
        b.start()
        time.sleep(0.05)
    a.join(5)
    b.join(5)
    assert order == ["a", "b", "a", "b", "a", "b"]  # a plain Lock would often let a go three times running


def test_an_urgent_turn_goes_before_the_ordinary_ones_waiting():
    turns, order = Turns(), []

    def take(name: str, urgent: bool) -> None:
        with turns.turn(urgent):
            order.append(name)

    with turns.turn():
        threads = []
        for name, urgent in (("slow 1", False), ("slow 2", False), ("quick", True)):
            threads.append(threading.Thread(target=take, args=(name, urgent)))
            threads[-1].start()
            time.sleep(0.05)
    for t in threads:
        t.join(5)
    assert order == ["quick", "slow 1", "slow 2"]
