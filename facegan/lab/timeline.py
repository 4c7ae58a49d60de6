"""A run's memory: its moments (snapshots) kept in bounded memory, so that a learner can go back in a run.

The timeline keeps every moment until it holds `capacity`, then drops every second one and from then on keeps
every second moment added, then every fourth, …: however long the run, at most `capacity` moments spread
evenly over it, plus the latest one, which is always kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from .runs import Snapshot

CAPACITY = 240


def moment(snapshot: Snapshot) -> tuple[int, int, int]:
    """Where a run stood: (rounds, generator steps, discriminator steps)."""
    m = snapshot.metrics
    return m["round"], m["step"], m["d_updates"]


class Timeline:
    """The moments of a run; `past` holds the measurements of a loaded run's moments before its first picture
    here (its curves, without pictures)."""

    def __init__(self, capacity: int = CAPACITY, past: Sequence[dict] = ()) -> None:
        self.capacity, self.stride, self.added = capacity, 1, 0
        self.kept: list[Snapshot] = []
        self.latest: Snapshot | None = None
        self.past = list(past)

    def add(self, snapshot: Snapshot) -> None:
        """Remember snapshot as the latest moment; a moment already the latest is replaced, not added."""
        if self.latest is not None and moment(self.latest) == moment(snapshot):
            if self.kept and self.kept[-1] is self.latest:
                self.kept[-1] = snapshot
            self.latest = snapshot
            return
        if self.added % self.stride == 0:
            self.kept.append(snapshot)
            if len(self.kept) > self.capacity:
                self.kept, self.stride = self.kept[::2], self.stride * 2
        self.added += 1
        self.latest = snapshot

    def frames(self) -> list[Snapshot]:
        """The kept moments in order, ending with the latest."""
        if self.latest is None:
            return []
        return self.kept if self.kept and self.kept[-1] is self.latest else [*self.kept, self.latest]

    def __len__(self) -> int:
        return len(self.frames())

    def __getitem__(self, index: int) -> Snapshot:
        return self.frames()[index]

    def until(self, index: int) -> list[dict]:
        """The measurements up to the moment at index: the curves as they stood then."""
        return self.past + [s.metrics for s in self.frames()[:index + 1]]

    def curves(self) -> list[dict]:
        """Every measurement remembered, to the latest: what a saved run keeps of its past."""
        return self.until(len(self) - 1)
