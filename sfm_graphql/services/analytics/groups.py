"""Partitions of the analysis graph's nodes as ordered groups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Group:
    members: list[int]  # node numbers, ascending (= component ids in order)

    @property
    def size(self) -> int:
        return len(self.members)


def groups_of(membership: Sequence[int]) -> list[Group]:
    """The groups of a membership vector (node -> group label)."""
    by_label: dict[int, list[int]] = {}
    for node, label in enumerate(membership):
        by_label.setdefault(label, []).append(node)
    return ordered(by_label.values())


def ordered(groups: Iterable[Iterable[int]]) -> list[Group]:
    """Largest first; ties by smallest member, so the order depends on the graph alone."""
    found = [Group(members=sorted(g)) for g in groups]
    return sorted(found, key=lambda g: (-g.size, g.members[0] if g.members else -1))
