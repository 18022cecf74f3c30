"""One cycle finder for the architecture tests of the library and of the integration."""

from __future__ import annotations

from collections.abc import Mapping, Set
from pathlib import Path
from typing import TypeVar

#: A node of an import graph: a file's path, or a module's file name.
Node = TypeVar("Node", str, Path)


def find_cycle(graph: Mapping[Node, Set[Node]]) -> list[Node] | None:
    """Return one cycle of ``graph`` as a path (first node repeated at the end), or None.

    Nodes are visited in sorted order, so the same graph always gives the same cycle.
    """
    done: set[Node] = set()
    path: list[Node] = []

    def visit(node: Node) -> list[Node] | None:
        if node in path:
            loop = path[path.index(node) :]
            loop.append(node)
            return loop
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if found := visit(target):
                return found
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if cycle := visit(start):
            return cycle
    return None
