"""The one parse policy: `ast`, then LibCST for newer syntax, every failure an `Unparsable`; and
no module of the package parses Python any other way."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from migrate.pysource.parse import Unparsable, parse, parse_ast, parse_cst, parses

PACKAGE = Path(__file__).resolve().parents[2] / "migrate"
POLICY = "pysource/parse.py"
# Calls that read Python text, by the name they are called through.
PARSERS = frozenset({"parse", "parse_module", "parse_expression", "parse_statement", "compile"})
PARSER_MODULES = frozenset({"ast", "cst", "libcst"})
# Where another call is right, and why.
ALLOWED = {
    # Ships verbatim into the user's repository, stdlib only: it cannot import the package.
    ("hooks/runtime.py", "compile"): "the shipped runtime compiles the members it runs",
    # Compiling (bytes, with the encoding declaration) is the check, not parsing.
    ("validate.py", "compile"): "the py_compile check compiles, which refuses more than parsing",
    (
        "engine/checks.py",
        "compile",
    ): "the py_compile check compiles, which refuses more than parsing",
}


def _calls(path: Path) -> set[str]:
    """The parser calls in a module: `ast.parse(...)`, `cst.parse_module(...)`, `compile(...)`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "compile":
            found.add("compile")
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in PARSERS
            and isinstance(func.value, ast.Name)
            and func.value.id in PARSER_MODULES
        ):
            found.add(func.attr)
    return found


def test_only_the_policy_module_parses_python() -> None:
    stray = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        calls = {c for c in _calls(path) if (rel, c) not in ALLOWED}
        if calls and rel != POLICY:
            stray[rel] = sorted(calls)
    assert stray == {}
    assert _calls(PACKAGE / POLICY) >= {"parse", "parse_module", "compile"}  # the check sees calls


def test_python_parses_and_a_keyword_as_a_value_does_not() -> None:
    assert parses("y = 0\n", "a.py")
    assert not parses("y = return\n", "a.py")


def test_syntax_newer_than_the_interpreter_parses_through_libcst() -> None:
    """PEP 695 (3.12): `ast` of an older interpreter refuses it, LibCST reads it."""
    tree = parse("type Pair[T] = tuple[T, T]\n", "a.py")
    assert not isinstance(tree, Unparsable)
    assert isinstance(tree, ast.Module) == (sys.version_info >= (3, 12))


def test_without_libcst_newer_syntax_is_left_for_a_later_python() -> None:
    found = parse("type Pair[T] = tuple[T, T]\n", "a.py", libcst=False)
    if sys.version_info < (3, 12):
        assert isinstance(found, Unparsable) and found.later_python


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('print "hello"\n', id="python-2"),
        pytest.param("x = 1\0\n", id="null-byte"),
        pytest.param("x = (\n", id="unclosed"),
    ],
)
def test_what_no_python_accepts_is_unparsable_with_a_line(text: str) -> None:
    found = parse(text, "a.py")
    assert isinstance(found, Unparsable) and found.line >= 1 and found.reason
    assert not found.later_python


def test_too_deep_a_tree_is_unparsable_not_a_crash() -> None:
    deep = "x = " + "-" * 100_000 + "1\n"
    for found in (parse(deep, "a.py"), parse_ast(deep, "a.py")):
        assert isinstance(found, Unparsable) and found.nested


def test_brackets_past_the_tokenizer_limit_never_reach_libcst() -> None:
    """LibCST's native parser would overflow its stack on them and crash the process."""
    found = parse("x = " + "(" * 100_000 + ")" * 100_000 + "\n", "a.py")
    assert isinstance(found, Unparsable) and found.libcst_reason is None


def test_libcst_says_why_in_its_own_words() -> None:
    found = parse_cst("x = (\n")
    assert isinstance(found, Unparsable) and found.line >= 1
