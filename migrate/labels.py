"""What each transform's counters mean, in the user's words: the one place that turns
`has_timeout 1` into "1 call already has a timeout". The machine keys stay in the JSON."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# transform -> counter -> (one, many); `{n}` is the count. A counter missing here is shown
# as its key in words ("registrations replaced: 2"), never dropped.
_Label = tuple[str, str]
COUNT_LABELS: Mapping[str, Mapping[str, _Label]] = MappingProxyType(
    {
        "subprocess-timeouts": {
            "calls": ("{n} timeout added", "{n} timeouts added"),
            "default": (
                "{n} with the default timeout (command not recognised)",
                "{n} with the default timeout (commands not recognised)",
            ),
            "unsafe_edited": ("{n} unsafe edit made", "{n} unsafe edits made"),
            "unsafe": ("{n} unsafe call left alone", "{n} unsafe calls left alone"),
            "has_timeout": ("{n} call already has a timeout", "{n} calls already have a timeout"),
            "kwargs": (
                "{n} call passes **kwargs (left alone)",
                "{n} calls pass **kwargs (left alone)",
            ),
            "not_edited": ("{n} call to fix by hand", "{n} calls to fix by hand"),
            "os_system": ("{n} os.system call reported", "{n} os.system calls reported"),
            "asyncio_subprocess": (
                "{n} asyncio subprocess reported",
                "{n} asyncio subprocesses reported",
            ),
            "suppressed": ("{n} call suppressed by a comment", "{n} calls suppressed by comments"),
            "parse_errors": ("{n} file that does not parse", "{n} files that do not parse"),
            "internal_errors": (
                "{n} file skipped after an error",
                "{n} files skipped after errors",
            ),
            "files": ("", ""),  # the file count is already said
        },
        "max-workers": {
            "code": ("{n} pool raised", "{n} pools raised"),
            "strings": ("{n} string literal updated", "{n} string literals updated"),
            "suppressed": ("{n} pool suppressed by a comment", "{n} pools suppressed by comments"),
        },
        "create-unified-hooks": {
            "unified hooks": ("{n} unified hook", "{n} unified hooks"),
            "members": ("{n} hook merged into them", "{n} hooks merged into them"),
        },
        "update-settings": {
            "unified hooks": ("{n} unified hook registered", "{n} unified hooks registered"),
            "registrations replaced": ("{n} registration replaced", "{n} registrations replaced"),
        },
        "parallel-hook-runner": {
            "dispatchers": ("{n} dispatcher", "{n} dispatchers"),
            "members": ("{n} hook run by them", "{n} hooks run by them"),
            "registrations replaced": ("{n} registration replaced", "{n} registrations replaced"),
        },
        "remove-old-hooks": {
            "removed": ("{n} old hook removed", "{n} old hooks removed"),
            "kept": ("{n} kept (still named somewhere)", "{n} kept (still named somewhere)"),
        },
        "agent-parallelism-doc": {
            "inserted": ("{n} checklist inserted", "{n} checklists inserted")
        },
        "user": {
            "files": ("", ""),
            "unparsable": ("{n} file that does not parse", "{n} files that do not parse"),
        },
    }
)


def _labels(transform: str) -> Mapping[str, _Label]:
    if transform.startswith(("libcst:", "bowler:")):
        return COUNT_LABELS["user"]
    return COUNT_LABELS.get(transform, {})


def describe(transform: str, counts: Mapping[str, int]) -> list[str]:
    """The non-zero counters of `transform`'s result, each as a phrase."""
    labels = _labels(transform)
    phrases = []
    for key, n in counts.items():
        if not n:
            continue
        one, many = labels.get(key, (f"{key.replace('_', ' ')}: {{n}}",) * 2)
        if one:
            phrases.append((one if n == 1 else many).format(n=n))
    return phrases


def json_key(key: str) -> str:
    """A counter's key as JSON shows it: snake_case (a few transforms name them in words)."""
    return key.replace(" ", "_").replace("-", "_")


def json_counts(counts: Mapping[str, int]) -> dict[str, int]:
    return {json_key(key): n for key, n in counts.items()}
