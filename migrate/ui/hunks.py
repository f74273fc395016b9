"""A file change cut into hunks, as `git add -p` shows them, and the change that keeps only the
hunks the user accepted. Pure: texts in, texts out; the engine validates the subset it gets.

A hunk is a run of difflib opcodes with a little context around it; its `changes` are the
indices of its non-equal opcodes in the file's opcode list, so that any set of accepted
indices rebuilds one exact `after` text, whichever way the hunks were split.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace

from migrate.model import FileChange

CONTEXT = 2  # lines of context around a change, as in the diffs the tool prints

Opcode = tuple[str, int, int, int, int]


@dataclass(frozen=True)
class Hunk:
    """Lines `before[i1:i2]` become `after[j1:j2]`; `changes` index the file's opcodes."""

    opcodes: tuple[Opcode, ...]
    changes: tuple[int, ...]

    @property
    def header(self) -> str:
        first, last = self.opcodes[0], self.opcodes[-1]
        return f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@"

    def can_split(self) -> bool:
        return len(self.changes) > 1


@dataclass(frozen=True)
class Diff:
    """One file's change as lines and opcodes: what hunks are cut from and rebuilt with."""

    change: FileChange
    before: tuple[str, ...]
    after: tuple[str, ...]
    opcodes: tuple[Opcode, ...]

    def hunks(self) -> list[Hunk]:
        """The hunks as a unified diff with `CONTEXT` lines shows them."""
        index = {op: i for i, op in enumerate(self.opcodes)}
        matcher = _matcher(self.before, self.after)
        out = []
        for group in matcher.get_grouped_opcodes(CONTEXT):
            ops = tuple(group)
            # Only equal opcodes are trimmed in a group: a change is the file's own opcode.
            changes = tuple(index[op] for op in ops if op[0] != "equal")
            out.append(Hunk(ops, changes))
        if not out and self.change.before != self.change.after:  # an empty file made or gone
            out.append(Hunk((("replace", 0, 0, 0, 0),), (0,)))
        return out

    def split(self, hunk: Hunk) -> list[Hunk]:
        """`hunk` cut into one hunk per change, each with its own context (git's `s`)."""
        out = []
        for i in hunk.changes:
            tag, i1, i2, j1, j2 = self.opcodes[i]
            ops: list[Opcode] = []
            if i > 0 and self.opcodes[i - 1][0] == "equal":
                _, a1, a2, b1, b2 = self.opcodes[i - 1]
                ops.append(("equal", max(a1, a2 - CONTEXT), a2, max(b1, b2 - CONTEXT), b2))
            ops.append((tag, i1, i2, j1, j2))
            if i + 1 < len(self.opcodes) and self.opcodes[i + 1][0] == "equal":
                _, a1, a2, b1, b2 = self.opcodes[i + 1]
                ops.append(("equal", a1, min(a2, a1 + CONTEXT), b1, min(b2, b1 + CONTEXT)))
            out.append(Hunk(tuple(ops), (i,)))
        return out

    def keeping(self, accepted: Collection[int]) -> FileChange | None:
        """The change with only the `accepted` opcodes applied; None when that is no change."""
        if self.change.before is None or self.change.after is None:
            return self.change if accepted else None  # a file made or deleted is one hunk
        every = {i for i, op in enumerate(self.opcodes) if op[0] != "equal"}
        if every <= set(accepted):
            return self.change
        parts: list[str] = []
        for i, (tag, i1, i2, j1, j2) in enumerate(self.opcodes):
            taken = tag != "equal" and i in accepted
            parts.extend(self.after[j1:j2] if taken else self.before[i1:i2])
        after = "".join(parts)
        return None if after == self.change.before else replace(self.change, after=after)

    def lines(self, hunk: Hunk) -> Iterator[tuple[str, str, str | None]]:
        """The hunk's lines as (marker, text, the paired other line or None): " ", "-", "+".
        A replaced line is paired with its counterpart so the changed part can be shown."""
        for tag, i1, i2, j1, j2 in hunk.opcodes:
            old, new = self.before[i1:i2], self.after[j1:j2]
            if tag == "equal":
                yield from ((" ", line, None) for line in old)
                continue
            paired = tag == "replace" and len(old) == len(new)
            for k, line in enumerate(old):
                yield "-", line, new[k] if paired else None
            for k, line in enumerate(new):
                yield "+", line, old[k] if paired else None


def diff(change: FileChange) -> Diff:
    before = tuple((change.before or "").splitlines(keepends=True))
    after = tuple((change.after or "").splitlines(keepends=True))
    opcodes = tuple(_matcher(before, after).get_opcodes())
    return Diff(change, before, after, opcodes)


def subset(change: FileChange, accepted: Collection[int]) -> FileChange | None:
    """The change keeping the `accepted` opcode indices (see `Diff.keeping`)."""
    return diff(change).keeping(accepted)


def _matcher(before: Sequence[str], after: Sequence[str]) -> difflib.SequenceMatcher[str]:
    return difflib.SequenceMatcher(None, before, after, autojunk=False)


def _range(start: int, end: int) -> str:
    count = end - start
    first = start + 1 if count else start
    return f"{first},{count}" if count != 1 else f"{first}"
