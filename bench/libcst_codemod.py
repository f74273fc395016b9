"""The `subprocess-timeouts` recipe written as a plain LibCST codemod, to compare against.

    PYTHONPATH=bench python -m libcst.tool codemod -x --no-format --include-generated \\
        -j 2 libcst_codemod.AddSubprocessTimeouts DIR

It adds `timeout=<seconds>` to `subprocess.run/call/check_call/check_output` calls that have
none, resolving the callee with LibCST's `QualifiedNameProvider` and sizing the timeout with the
same command table as migrate (`TimeoutRules`). As the usual way of writing such a codemod, it
reads the command only from a literal argument, and leaves `Popen(...).wait()` and
`.communicate()` alone. When `MIGRATE_BENCH_SITES` names a file, every edited call is appended
to it as `path<TAB>line<TAB>seconds` (the call's first line in the original), so that
`bench/codemods.py` can compare the call sites with migrate's.
"""

from __future__ import annotations

import os

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import PositionProvider, QualifiedNameProvider, QualifiedNameSource

from migrate.pysource.subprocess_sites.model import RUNNERS, Command
from migrate.transforms.timeout_rules import TimeoutRules

SITES_ENV = "MIGRATE_BENCH_SITES"


class AddSubprocessTimeouts(VisitorBasedCodemodCommand):
    DESCRIPTION = "Add timeout= to subprocess.run/call/check_call/check_output calls without one."
    METADATA_DEPENDENCIES = (QualifiedNameProvider, PositionProvider)

    def __init__(self, context: CodemodContext) -> None:
        super().__init__(context)
        self.rules = TimeoutRules()

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        names = self.get_metadata(QualifiedNameProvider, original_node, set())
        runner = names and all(
            n.name in RUNNERS and n.source == QualifiedNameSource.IMPORT for n in names
        )
        args = original_node.args
        if not runner or any(a.star == "**" or _is_timeout(a) for a in args):
            return updated_node
        seconds, _ = self.rules.timeout_for(_command(args))
        self._record(self.get_metadata(PositionProvider, original_node).start.line, seconds)
        timeout = cst.Arg(
            keyword=cst.Name("timeout"),
            value=cst.Integer(str(seconds)),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
        )
        return updated_node.with_changes(args=[*updated_node.args, timeout])

    def _record(self, line: int, seconds: int) -> None:
        sites = os.environ.get(SITES_ENV)
        if sites and self.context.filename:
            with open(sites, "a", encoding="utf-8") as out:
                out.write(f"{self.context.filename}\t{line}\t{seconds}\n")


def _is_timeout(arg: cst.Arg) -> bool:
    return arg.keyword is not None and arg.keyword.value == "timeout"


def _command(args: tuple[cst.Arg, ...] | list[cst.Arg]) -> Command:
    """The command from a literal list/tuple of strings, or a string with `shell=True`."""
    value = next((a.value for a in args if a.keyword is None and not a.star), None)
    value = value or next((a.value for a in args if _keyword(a, "args")), None)
    shell = any(_keyword(a, "shell") and _is_true(a.value) for a in args)
    if isinstance(value, cst.SimpleString):
        text = value.evaluated_value
        return Command(shell=text if isinstance(text, str) else text.decode("latin-1"))
    if not isinstance(value, (cst.List, cst.Tuple)):
        return Command()
    words = tuple(_word(e) for e in value.elements)
    if shell and words and words[0] is not None:
        return Command(shell=words[0])
    return Command(words=words)


def _keyword(arg: cst.Arg, name: str) -> bool:
    return arg.keyword is not None and arg.keyword.value == name


def _is_true(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "True"


def _word(element: cst.BaseElement) -> str | None:
    value = element.value
    if isinstance(element, cst.StarredElement) or not isinstance(value, cst.SimpleString):
        return None
    text = value.evaluated_value
    return text if isinstance(text, str) else text.decode("latin-1")
