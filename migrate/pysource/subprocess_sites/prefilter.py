"""A cheap test on a module's raw text, before any parse: whether it may call a subprocess
function at all, and which names its imports bind (a superset: strings included). Both the
`subprocess-timeouts` transform and the audit skip the files it rules out."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migrate.pysource.subprocess_sites.model import NO_TIMEOUT, POPEN, RUNNERS

# What `may_call` looks for. A call is only ever a site through an import (see
# `pysource.scopes.qualname`): `import M [as X]` then `X.f`, or `from M import f [as g]`.
# No pattern starts with `\b`: one starting with a literal lets `re` skip ahead fast.
_SITE_FUNCTIONS = sorted((*RUNNERS, POPEN, *NO_TIMEOUT))  # "subprocess.run", "os.system"...
_CALLABLE = {
    module: tuple(n.rsplit(".", 1)[1] for n in _SITE_FUNCTIONS if n.startswith(f"{module}."))
    for module in ("subprocess", "os")
}
_CONTINUED = r"[^\n;#]*(?:\\\r?\n[^\n;#]*)*"  # the rest of a logical line, across backslashes
_GAP = r"(?:[ \t]|\\\r?\n)"  # a blank, or a backslash continuation
_IMPORT = re.compile(rf"import{_GAP}+({_CONTINUED})")
_FROM_IMPORT = re.compile(rf"from{_GAP}+([\w.]+){_GAP}+import{_GAP}*(\([^)]*\)|{_CONTINUED})")


def may_call(text: str) -> bool:
    """A cheap test on the raw text: False means the file has nothing to edit or report.

    True when asyncio's create_subprocess_* is named, or when an import of subprocess or os
    (anywhere, even in a string: this only decides what gets parsed) binds a name that is
    then followed by `.run`, `.Popen`, `.system`... or imports such a function (or `*`).
    """
    if "create_subprocess" in text:
        return True
    wanted = {"subprocess"} if "subprocess" in text else set()
    if "os" in text and ("system" in text or "popen" in text):
        wanted.add("os")
    if not wanted:
        return False
    functions = {module: _functions(module, text) for module in wanted}
    for match in _words(_IMPORT, text):
        for item in _names(match[1]):
            dotted, _, alias = item.partition(" as ")
            module = dotted.strip().split(".", 1)[0]
            if module in wanted:
                name = re.escape(alias.strip() or module)
                uses = re.compile(rf"{name}[\s\\]*\.[\s\\]*(?:{'|'.join(functions[module])})\b")
                if any(True for _ in _words(uses, text)):
                    return True
    for match in _words(_FROM_IMPORT, text):
        if match[1] in wanted:
            names = {item.partition(" as ")[0].strip() for item in _names(match[2])}
            if names & {"*", *functions[match[1]]} or "#" in match[2]:
                return True  # a comment in a parenthesised list may hide a `)`: assume so
    return False


def _functions(module: str, text: str) -> tuple[str, ...]:
    """The functions of `module` that can make a site in `text`: `Popen(...)` itself never
    does, only its `.wait()` or `.communicate()`."""
    names = _CALLABLE[module]
    if module == "subprocess" and "wait" not in text and "communicate" not in text:
        return tuple(n for n in names if n != "Popen")
    return names


def _words(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Matches of `pattern` that do not start inside a longer name."""
    for match in pattern.finditer(text):
        start = match.start()
        if not start or not (text[start - 1].isalnum() or text[start - 1] == "_"):
            yield match


def imported_names(text: str) -> list[tuple[str, str]]:
    """What the imports in the raw text bind, found like `may_call` finds them (a superset:
    strings included): (name, "m.n") for `from m import n [as name]`, (name, "a.b") for
    `import a.b as name`, and ("*", "m.*") for `import *` or a list with a comment in it
    (which may hide a `)`)."""
    bound = []
    for match in _words(_FROM_IMPORT, text):
        if "#" in match[2]:
            bound.append(("*", f"{match[1]}.*"))
        for item in _names(match[2]):
            name, _, alias = item.partition(" as ")
            bound.append((alias.strip() or name.strip(), f"{match[1]}.{name.strip()}"))
    for match in _words(_IMPORT, text):
        for item in _names(match[1]):
            dotted, _, alias = item.partition(" as ")
            if alias.strip():
                bound.append((alias.strip(), dotted.strip()))
    return bound


def _names(listing: str) -> list[str]:
    """The items of an import list: `a.b as c, d` or `(a, b as c)`, across line breaks."""
    flat = re.sub(r"\\\r?\n|[()\s]+", " ", listing)
    return [item.strip() for item in flat.split(",") if item.strip()]
