"""The one answer to "does this parse?": `ast` first, then LibCST for syntax newer than this
interpreter, every parser's failure caught the same way and turned into an `Unparsable` value.

The writer, validation, the audit and every transform ask here, so none of them can disagree on
what parses. LibCST takes a third of a second to import: it is loaded only for a text `ast`
refuses in a way a later Python may accept.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import libcst as cst

Parser = Literal["ast", "libcst"]
NESTED = "too deeply nested to parse"
# What any parser raises on text it cannot read: a syntax error, a null byte or a bad encoding
# (ValueError), a tree deeper than the C stack allows (RecursionError, MemoryError).
ERRORS: tuple[type[BaseException], ...] = (SyntaxError, ValueError, RecursionError, MemoryError)

# How CPython words errors no Python accepts, later ones included: Python 2 syntax, characters
# or bytes no Python allows, a bad encoding, brackets nested past the tokenizer's limit (which
# would overflow LibCST's native parser's stack: a crash, not an error). LibCST would refuse them.
_NEVER_VALID = re.compile(
    r"Missing parentheses in call to|leading zeros in decimal integer literals"
    r"|too many nested parentheses"
    r"|invalid (?:non-printable )?character|null bytes|unknown encoding|encoding problem"
    r"|\(unicode error\)"
)


@dataclass(frozen=True)
class Unparsable:
    """A text no parser could read: where and why (the first parser's words, or LibCST's in
    `libcst_line`/`libcst_reason` when LibCST was asked and refused too).

    `later_python`: `ast` refused it in a way a later Python may accept, and LibCST was not
    asked (the caller said not to).
    """

    line: int
    reason: str
    later_python: bool = False
    libcst_line: int | None = None
    libcst_reason: str | None = None

    @property
    def nested(self) -> bool:
        """Refused for its depth, not its syntax."""
        return self.reason == NESTED


def newer_syntax_possible(error: BaseException) -> bool:
    """Whether a later Python (so LibCST) may read what `ast` refused with `error`."""
    if isinstance(error, (RecursionError, MemoryError)):
        return False
    return not _NEVER_VALID.search(str(error))


def _refused(error: BaseException) -> Unparsable:
    if isinstance(error, (RecursionError, MemoryError)):
        return Unparsable(1, NESTED)
    return Unparsable(getattr(error, "lineno", None) or 1, str(error))


def parse_ast(text: str | bytes, path: str = "<unknown>") -> ast.Module | Unparsable:
    """The module's `ast` tree (the audited code's SyntaxWarnings silenced), or why not."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, path)
    except ERRORS as error:
        return _refused(error)


def ast_module(text: str | bytes, path: str = "<unknown>") -> ast.Module | None:
    """The module's `ast` tree, or None: for the analyses that read `ast` trees only."""
    tree = parse_ast(text, path)
    return None if isinstance(tree, Unparsable) else tree


def parse_cst(text: str) -> cst.Module | Unparsable:
    """The module's LibCST tree, or why not (LibCST's line and words)."""
    import libcst as cst  # a third of a second to import: only for a file that needs it

    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        return Unparsable(error.raw_line, error.message)
    except ERRORS as error:
        return _refused(error)


def parse(
    text: str, path: str = "<unknown>", *, libcst: bool = True
) -> ast.Module | cst.Module | Unparsable:
    """The module from `ast`, else from LibCST (syntax newer than this interpreter), else why
    not in `ast`'s words. Without `libcst`, a text only LibCST may read is `later_python`."""
    tree = parse_ast(text, path)
    if not isinstance(tree, Unparsable) or tree.nested or not _may_be_newer(tree):
        return tree
    if not libcst:
        return Unparsable(tree.line, tree.reason, later_python=True)
    module = parse_cst(text)
    if not isinstance(module, Unparsable):
        return module
    if module.nested:
        return module
    return Unparsable(tree.line, tree.reason, False, module.line, module.reason)


def _may_be_newer(refused: Unparsable) -> bool:
    return not _NEVER_VALID.search(refused.reason)


def parses(text: str, path: str = "<unknown>") -> bool:
    """Whether `text` parses as Python, by this interpreter or a later one."""
    return not isinstance(parse(text, path), Unparsable)


def compiles(data: bytes, path: str = "<unknown>") -> bool:
    """A fast yes: bytes that compile parse (the compiler reads the encoding declaration); a
    no says nothing, as the compiler refuses more than the parser (`return` outside a def)."""
    try:
        compile(data, path, "exec", dont_inherit=True)
    except ERRORS:
        return False
    return True


def parses_expression(source: str, parser: Parser) -> bool:
    """Whether `parser` (the one that read the module) reads `source` as an expression."""
    try:
        if parser == "ast":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(f"({source})", mode="eval")
            return True
        import libcst as cst

        try:
            cst.parse_expression(f"({source})")
        except cst.ParserSyntaxError:
            return False
    except ERRORS:
        return False
    return True
