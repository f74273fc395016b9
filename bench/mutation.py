"""Mutation testing of the engine: each module mutated, one small bug at a time, against the
test files that cover it; a mutant the tests do not notice is a bug that would land green.

    .venv/bin/python bench/mutation.py                 # every module below, one after the other
    .venv/bin/python bench/mutation.py writer journal  # only these
    .venv/bin/python bench/mutation.py --jobs 2        # two modules at a time (2 cores)
    .venv/bin/python bench/mutation.py --list          # the modules and their test files
    .venv/bin/python bench/mutation.py --minutes 10 workflow  # a time box: a random sample
    .venv/bin/python bench/mutation.py --survivors journal    # the last survivors, new tests
    .venv/bin/python bench/mutation.py --resume workflow      # what a time box left unrun

Not part of the test suite and not in CI: run it before calling an engine issue resolved, and
record the kill rate per module in docs/mutation.md (the survivors listed there are the
equivalent mutants; any other survivor needs a test).

It uses cosmic-ray (in the `test` extras). Each module is mutated in a copy of the work tree
under `mutants/<module>/` (git-ignored), never in the work tree itself; the copy comes first
on PYTHONPATH, so the tests' `python -m migrate` subprocesses run the mutant too. The
operators are the ones that make realistic one-line bugs (a comparison or boolean flipped, a
condition negated, a constant changed, an exception type, a loop skipped); the arithmetic
and bitwise cross-product is left out. Results: `mutants/<module>/session.sqlite`,
`cr-report mutants/<module>/session.sqlite --show-diff` shows each survivor's diff.

cosmic-ray runs the mutants in random order, so a module stopped by `--minutes` has run a
random sample of its mutants: the summary says how many of how many ("run").

`--survivors` and `--resume` apply the last pass's mutants again by their place in the module:
after an edit of the module itself (not of its tests), start a new pass instead (`--resume`
refuses a module that changed).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from migrate.compat import tomllib

HERE = Path(__file__).resolve().parent.parent
OUT = HERE / "mutants"
BIN = Path(sys.executable).parent

# module -> (file, the tests that cover it: files, then `-k` to keep the ones that reach the
# module; -x stops at the first failure, so a killed mutant costs one failing test)
RUN_KEYWORDS = (
    "test_workflow",
    "yes_without_a_terminal",
    "yes_never_skips",
    "yes_never_bisects",
    "yes_continues",
    "kill_9",
    "two_applies",
    "while_a_check",
    "check_that_edits",
    "ignored",
    "unreadable",
    "intent_to_add",
    "at_the_base",
    "bisect",
    "validated_dry_run",
    "stale_folder",
    "after_a_validated_step",
    "not_idempotent",
    "torn_lock",
    "uncommitted_migrate_folder",
    "records_each_check",
    "first_failing_check",
    "skip_unparsable",
    "symlinks",
    "behind_a_symlink",
    "bad_parameter",
    "binary_files",
)
RUN_TESTS = (
    "tests/engine/test_workflow.py",
    "tests/engine/test_isolation.py",
    "tests/engine/test_validation.py",
    "tests/ui/test_guide.py::test_yes_without_a_terminal_applies_every_pending_recipe",
    "tests/ui/test_guide.py::test_yes_never_skips_a_file_it_cannot_read",
    "tests/ui/test_guide.py::test_yes_never_bisects_on_its_own",
    "tests/ui/test_guide.py::test_yes_continues_the_open_run_started_from_this_branch",
    "-k",
    " or ".join(RUN_KEYWORDS),
)

MODULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "writer": (
        "migrate/engine/writer.py",
        (
            "tests/engine/test_writer.py",
            "tests/engine/test_workflow.py",
            "-k",
            "test_writer or parse or encodings or crlf_bom",
        ),
    ),
    "journal": (
        "migrate/engine/journal.py",
        (
            "tests/engine/test_isolation.py",
            "tests/engine/test_workflow.py",
            "tests/engine/test_rollback.py",
            "tests/hooks/test_hooks_verify.py",
            "-k",
            "journal or two_recipes or keep_going or stale or second_apply or kill_9"
            " or run_trailer or base_branch or detached_head_is_found or never_written"
            " or does_not_hide or nothing_to_compare or head_1 or interleave"
            " or in_place_commits",
        ),
    ),
    "validate": (
        "migrate/engine/checks.py",
        (
            "tests/engine/test_validation.py",
            "tests/engine/test_workflow.py",
            "tests/transforms/test_parallel_runner.py",
            "-k",
            "test_validation or failed_validation or stops_after_failure or verify_and_roll_back",
        ),
    ),
    "isolation": (
        "migrate/engine/safety.py",
        (
            "tests/engine/test_isolation.py",
            "tests/engine/test_workflow.py",
            "-k",
            "kill or lock or two_applies or check or sigint or ctrl_c or does_not_know"
            " or pid_was_reused or torn_lock or during_a_run or share or failing_in_the_run"
            " or stale_folder",
        ),
    ),
    "rollback": (
        "migrate/engine/rollback.py",
        ("tests/engine/test_rollback.py", "tests/engine/test_isolation.py", "-k", "rollback"),
    ),
    # The run loop and its parts (one module, workflow.py, before the engine became a
    # package): the same tests reach each of them.
    "workflow": ("migrate/engine/apply.py", RUN_TESTS),
    "compute": ("migrate/engine/compute.py", RUN_TESTS),
    # the guide's hunk review declines part of a step (only the guide can)
    "step": (
        "migrate/engine/step.py",
        (
            *RUN_TESTS[:-2],
            "tests/ui/test_guide.py::test_hunk_review_applies_one_hunk_of_two_after_revisiting_the_skipped_one",
            "-k",
            " or ".join((*RUN_KEYWORDS, "hunk_review")),
        ),
    ),
    "publish": ("migrate/engine/publish.py", RUN_TESTS),
    "recover": ("migrate/engine/recover.py", RUN_TESTS),
    "gitrepo": (
        "migrate/engine/git.py",
        (
            "tests/engine/test_workflow.py",
            "tests/engine/test_isolation.py",
            "tests/engine/test_rollback.py",
            "tests/hooks/test_hooks_verify.py",  # scratch copies of a revision or the work tree
            "tests/test_import_graph.py",  # GitPython is imported only when a command needs it
            "tests/test_example.py",  # the example's one commit, made without the user's config
            "tests/test_cli.py",  # a bug's traceback saved under the common git folder
            "tests/audit/test_audit.py",  # the files git tracks or would track
            "-k",
            "refusals or dirty or stash or two_recipes or journal_lost or in_place"
            " or test_hooks_verify or without_identity or without_a_git_identity or import_graph"
            " or branch_option or git_hooks or second_apply or rollback_all or rebuilt"
            " or intent_to_add or lock_record or refuses_to_commit or staged_rename"
            " or last_line_git or does_not_know or linked_worktree or local_changes_leaves"
            " or run_created or user_errors_are_one_sentence or changed_again or test_build"
            " or bug_is_exit or lists_tracked or ignored_folder_inside or imports_neither"
            " or subfolder or trailers or git_cannot_create or deleted_by_hand",
        ),
    ),
    "hooks-runtime": (
        "migrate/hooks/runtime.py",
        (
            "tests/hooks/test_hooks_runtime.py",
            "tests/hooks/test_hooks_effect.py",  # the one model of what Claude Code shows
            "tests/hooks/test_hook_interpreters.py",
        ),
    ),
    "hooks-verify": ("migrate/hooks/verify.py", ("tests/hooks/test_hooks_verify.py",)),
}

KEPT = (
    "ReplaceComparisonOperator_(Eq_NotEq|NotEq_Eq|Lt_GtE|LtE_Gt|Gt_LtE|GtE_Lt|Is_IsNot|IsNot_Is)",
    "ReplaceBinaryOperator_(Add_Sub|Sub_Add|Mul_Div|Div_Mul|FloorDiv_Mul)",
    "ReplaceUnaryOperator_(Delete_Not|USub_UAdd)",
    "AddNot",
    "ReplaceTrueWithFalse",
    "ReplaceFalseWithTrue",
    "ReplaceAndWithOr",
    "ReplaceOrWithAnd",
    "ReplaceBreakWithContinue",
    "ReplaceContinueWithBreak",
    "ExceptionReplacer",
    "NumberReplacer",
    "ZeroIterationForLoop",
)
EXCLUDE = "core/(?!(" + "|".join(KEPT) + ")$)"


PYTEST = ("-m", "pytest", "-x", "-q", "-o", "addopts=", "-p", "no:xdist", "-p", "no:cacheprovider")
# One process: the suite's own `-n auto` would start a worker per core per mutant, and xdist
# loaded even with `-n 0` costs about 0.4 s a mutant.


def test_command(name: str, thorough: bool) -> list[str]:
    """What cosmic-ray runs for each mutant: the module's tests that reach the mutated lines
    (see `run_tests`)."""
    command = [str(BIN / "python"), str(Path(__file__).resolve()), "--run-tests", name]
    return [*command, "--thorough"] if thorough else command


def selection_command(name: str, tests: tuple[str, ...] | list[str]) -> list[str]:
    return [str(BIN / "python"), *PYTEST, *tests]


def config(name: str, timeout: float, thorough: bool) -> str:
    path = MODULES[name][0]
    command = test_command(name, thorough)
    return (
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(path)}\n"
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(shlex.join(command))}\n\n"
        "[cosmic-ray.distributor]\n"
        'name = "local"\n\n'
        "[cosmic-ray.filters.operators-filter]\n"
        f"exclude-operators = [{json.dumps(EXCLUDE)}]\n"
    )


def copy_tree(target: Path) -> None:
    """The work tree's files (tracked and untracked, not ignored), as they are now."""
    if target.exists():
        shutil.rmtree(target)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"],
        cwd=HERE,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = HERE / rel
        if source.is_file() and not source.is_symlink():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)


def run_module(
    name: str,
    timeout: float | None,
    minutes: float | None = None,
    again: bool = False,
    resume: bool = False,
) -> dict[str, object]:
    folder = OUT / name
    db = folder / "session.sqlite"
    if (again or resume) and not db.is_file():
        return {"module": name, "error": "no earlier pass to go on with", "rate": 0.0}
    path = MODULES[name][0]
    if resume and (folder / UNMUTATED).read_bytes() != (HERE / path).read_bytes():
        return {"module": name, "error": f"{path} changed since its last pass", "rate": 0.0}
    earlier = db.read_bytes() if again or resume else None
    copy_tree(folder)
    if earlier is not None:
        db.write_bytes(earlier)
    (folder / UNMUTATED).write_bytes((folder / path).read_bytes())
    env = {**os.environ, "PYTHONPATH": str(folder), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    tests = build_map(name, folder, env)
    if tests is None:  # a failing or empty selection would "kill" every mutant
        return {"module": name, "error": "the unmutated tests fail", "rate": 0.0}
    # each mutant names its tests by node id: one that no longer selects its test would fail
    # every mutant ("killed"), so they are all collected once (running them again, as the
    # map just did, would cost a whole selection per module)
    collected = subprocess.run(
        [*selection_command(name, tests), "--collect-only"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    if collected.returncode != 0:
        print(f"{name}: the tests are not found by node id:\n{collected.stdout[-3000:]}")
        return {"module": name, "error": "the tests are not found by node id", "rate": 0.0}
    seconds = json.loads((folder / "map.json").read_text("utf-8"))["seconds"]
    baseline_seconds = sum(seconds.values())
    # a mutant that hangs is stopped by run_tests at twice what its tests took (it kills
    # their process group); cosmic-ray's own timeout is the backstop, always later: when it
    # fires it kills run_tests alone, and the tests it started would run on, orphaned
    whole = tests_limit(seconds, tests)
    limit = timeout if timeout is not None else max(60.0, 4 * baseline_seconds + 30, 2 * whole)
    (folder / "mutation.toml").write_text(config(name, limit, thorough=again), encoding="utf-8")
    if again:
        _survivors_pending(db)
    elif resume:
        _never_run_pending(db)  # set aside by a `--survivors` that was stopped half way
    else:
        for argv in (
            ["cosmic-ray", "init", "mutation.toml", "session.sqlite"],
            ["cr-filter-operators", "session.sqlite", "mutation.toml"],
        ):
            command = [str(BIN / argv[0]), *argv[1:]]
            subprocess.run(command, cwd=folder, env=env, capture_output=True)
    left = None if minutes is None else max(0.0, minutes * 60 - (time.monotonic() - started))
    _run_for(
        [str(BIN / "cosmic-ray"), "exec", "mutation.toml", "session.sqlite"], folder, env, left
    )
    if again:
        _never_run_pending(db)
    else:
        record_killers(name, db)
    result = summary(name, db)
    result.update(
        module=name,
        minutes=round((time.monotonic() - started) / 60, 1),
        baseline_seconds=round(baseline_seconds, 1),
    )
    return result


UNMUTATED = "unmutated.txt"  # the module as it was copied, beside its mutants
COVERAGE = HERE / "bench" / "mutation_coverage"  # sitecustomize + the pytest plugin


def build_map(name: str, folder: Path, env: dict[str, str]) -> list[str] | None:
    """Run the module's test selection once under coverage, each test a context of its own
    (in the processes it starts too), and write `map.json`: for each line of the module, the
    tests that ran it, and every test, quickest first. None if the selection fails."""
    path, selection = MODULES[name]
    data = folder / "map" / ".coverage"
    shutil.rmtree(data.parent, ignore_errors=True)
    data.parent.mkdir()
    rc = folder / "map" / "coveragerc"
    # the hooks runtime runs as the `_unified_runtime.py` copy that unified hooks ship with
    include = [str(folder / path)] + (["*/_unified_runtime.py"] if name == "hooks-runtime" else [])
    rc.write_text(
        "[run]\n"
        f"data_file = {data}\n"
        "parallel = true\n"
        f"include = {', '.join(include)}\n"
        "context = ${MUTATION_TEST-}\n",
        encoding="utf-8",
    )
    durations = folder / "map" / "durations.json"
    mapping_env = {
        **env,
        "PYTHONPATH": f"{folder}{os.pathsep}{COVERAGE}",
        "COVERAGE_PROCESS_START": str(rc),
        "MUTATION_DURATIONS": str(durations),
    }
    run = subprocess.run(
        [*selection_command(name, selection), "-p", "mutation_contexts"],
        cwd=folder,
        env=mapping_env,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0 or not durations.is_file():
        print(f"{name}: the tests fail (or none ran) without any mutant:\n{run.stdout[-3000:]}")
        return None
    import coverage  # only here: the rest of the bench runs without it

    cov = coverage.Coverage(data_file=str(data), config_file=str(rc))
    cov.combine(keep=False, data_paths=[str(data.parent)])
    measured = cov.get_data()
    lines: dict[int, set[str]] = {}
    for file in measured.measured_files():
        for line, contexts in measured.contexts_by_lineno(file).items():
            # "static|dynamic": the test's id is the part that is not empty ("" at import
            # time in the pytest process: a line that may reach every test)
            lines.setdefault(line, set()).update(c.strip("|") for c in contexts)
    took = json.loads(durations.read_text("utf-8"))
    tests = sorted(took, key=took.__getitem__)
    # a test that measured nothing (it runs the module where coverage cannot follow, as a
    # python3 outside the virtual environment) may reach any line: every mutant runs it; so
    # does one that kills a migrate with SIGKILL, which saves none of what it ran
    seen = set().union(*lines.values()) if lines else set()
    plan = {
        "tests": tests,
        "unmeasured": [t for t in tests if t not in seen or "kill_9" in t],
        "seconds": took,
        "lines": {str(n): sorted(ids) for n, ids in lines.items()},
    }
    (folder / "map.json").write_text(json.dumps(plan), encoding="utf-8")
    return tests


def changed_lines(before: str, after: str) -> set[int]:
    """The lines of `before` that the mutant changed (1-based)."""
    old, new = before.splitlines(), after.splitlines()
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            changed.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    return changed


DOC = HERE / "docs" / "mutation.md"
EQUIVALENT = "equivalent (docs/mutation.md):"


Change = tuple[str, str, str]  # the line a mutant changed: before, after, the line above it
Listed = dict[tuple[str, str, str], list[tuple[str | None, str]]]


def equivalents() -> Listed:
    """The mutants docs/mutation.md lists as equivalent, each with its reason: the toml block
    of its "Equivalent mutants" section, (module, line before, line after) -> [(the line above
    it, or None for any; why)]. A listed mutant is not run again; matching the line's text,
    not its number, keeps the list true while the rest of the module changes."""
    text = DOC.read_text("utf-8")
    block = text.split("## Equivalent mutants", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    listed: Listed = {}
    for e in tomllib.loads(block)["equivalent"]:
        key = (e["module"], e["before"], e["after"])
        listed.setdefault(key, []).append((e.get("above"), e["why"]))
    return listed


def listed_why(listed: Listed, name: str, change: Change) -> str | None:
    """Why docs/mutation.md lists this change as equivalent in the module (or in every
    module: `module = "*"`), or None. An entry with `above` holds only below that line (for
    a line the module has several times, as `except OSError:`)."""
    before, after, above = change
    for module in (name, "*"):
        for line_above, why in listed.get((module, before, after), []):
            if line_above is None or line_above == above:
                return why
    return None


def changed_pair(before: str, after: str) -> Change | None:
    """The one line the mutant changed, before and after, and the line above it (stripped);
    None if not one line."""
    old, new = before.splitlines(), after.splitlines()
    edits = [
        op
        for op in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]
    if len(edits) != 1 or edits[0][0] != "replace":
        return None
    _, i1, i2, j1, j2 = edits[0]
    if i2 - i1 != 1 or j2 - j1 != 1:
        return None
    return old[i1].strip(), new[j1].strip(), old[i1 - 1].strip() if i1 else ""


def statement_lines(source: str, changed: set[int]) -> set[int]:
    """The lines of the statements holding `changed`: a simple statement whole, a compound
    one's header only (coverage marks a statement's lines, not each line of an expression)."""
    found = set(changed)
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt):
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            body = getattr(node, "body", None)
            last = body[0].lineno - 1 if isinstance(body, list) and body else node.end_lineno
            spans.append((first, last or first))
    for line in changed:
        holding = [s for s in spans if s[0] <= line <= s[1]]
        if holding:
            first, last = min(holding, key=lambda s: s[1] - s[0])
            found.update(range(first, last + 1))
    return found


def run_tests(name: str, thorough: bool) -> int:
    """cosmic-ray's test command: the module's tests against the mutant in place.

    A first pass runs only the tests that ran the mutated lines (quickest first, stopping at
    the first failure): a test that never runs a line cannot see it change. Every test runs
    when no measured test ran the lines (a measurement can be lost: a process killed with
    SIGKILL saves none) or when they run at import in the pytest process. `thorough`
    (`--survivors`) runs those tests first and then all the others, so that a survivor it
    reports has passed the whole selection."""
    folder = OUT / name
    plan = json.loads((folder / "map.json").read_text("utf-8"))
    before = (folder / UNMUTATED).read_text("utf-8")
    after = (folder / MODULES[name][0]).read_text("utf-8")
    pair = changed_pair(before, after)
    why = listed_why(equivalents(), name, pair) if pair else None
    if why is not None:
        print(f"{EQUIVALENT} {why}")
        return 0
    reach: set[str] = set()
    for line in statement_lines(before, changed_lines(before, after)):
        reach.update(plan["lines"].get(str(line), ()))
    if reach:
        reach.update(plan["unmeasured"])
    ordered = killers_first(name, plan["tests"], plan["seconds"])
    first = [t for t in ordered if t in reach]
    rest = [t for t in ordered if t not in reach]
    if "" in reach or not first:
        first, rest = ordered, []
    tests = first + rest if thorough else first
    # a mutant that hangs is stopped at twice what its tests took unmutated (and counts
    # as killed, as cosmic-ray's own timeout, the backstop, counts it)
    limit = tests_limit(plan["seconds"], tests)
    started = time.monotonic()
    proc = subprocess.Popen(selection_command(name, tests), start_new_session=True)
    try:
        code = proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        code = -signal.SIGKILL
    with (folder / "timings.log").open("a", encoding="utf-8") as log:
        log.write(f"{len(tests)}\t{time.monotonic() - started:.1f}\t{code}\n")
    return 1 if code == -signal.SIGKILL else code


KILLERS = OUT / "killers.json"  # module -> test -> mutants it killed, kept across passes
_KILLERS_WRITE = threading.Lock()  # modules run in threads (--jobs)


def killers_first(name: str, tests: list[str], seconds: dict[str, float]) -> list[str]:
    """`tests` (quickest first) with the ones that killed the most mutants a second in the
    module's last pass moved ahead: -x stops at the first failure, and the test that kills a
    mutant is most often one that killed many (a dataclass default, run at import, reaches
    every test, and only a few see it)."""
    kills = _killers().get(name, {})

    def rate(test: str) -> float:
        return kills.get(test, 0) / max(seconds.get(test, 1.0), 0.1)

    return sorted(tests, key=lambda t: -rate(t))  # stable: ties stay quickest first


def _killers() -> dict[str, dict[str, int]]:
    try:
        return dict(json.loads(KILLERS.read_text("utf-8")))
    except (FileNotFoundError, ValueError):
        return {}


def record_killers(name: str, db: Path) -> None:
    """Count, for the next pass, the test that killed each mutant (pytest -x names it)."""
    with sqlite3.connect(db) as con:
        outputs = con.execute(
            "SELECT output FROM work_results WHERE lower(test_outcome) = 'killed'"
        ).fetchall()
    counts: dict[str, int] = {}
    for (output,) in outputs:
        for line in (output or "").splitlines():
            if line.startswith(("FAILED ", "ERROR ")):
                test = line.split()[1]
                counts[test] = counts.get(test, 0) + 1
                break
    with _KILLERS_WRITE:
        if counts:
            KILLERS.write_text(json.dumps({**_killers(), name: counts}, indent=1), "utf-8")


def tests_limit(seconds: dict[str, float], tests: list[str]) -> float:
    """How long `tests` may take on a mutant: twice what they took unmutated (measured under
    coverage, which slows them), and 15 s. Four bisect mutants of step that never end cost
    two minutes each at three times."""
    return 2 * sum(seconds.get(t, 60.0) for t in tests) + 15


_NOT_RUN = "not run by --survivors"


def _survivors_pending(db: Path) -> None:
    """Only the survivors of the earlier pass run again (against the tests as they are now);
    the mutants a time box never ran are set aside, so that they stay unrun."""
    with sqlite3.connect(db) as con:
        con.execute(
            "INSERT INTO work_results (job_id, worker_outcome, output)"
            " SELECT job_id, 'SKIPPED', ? FROM work_items"
            " WHERE job_id NOT IN (SELECT job_id FROM work_results)",
            (_NOT_RUN,),
        )
        con.execute("DELETE FROM work_results WHERE lower(test_outcome) = 'survived'")


def _never_run_pending(db: Path) -> None:
    with sqlite3.connect(db) as con:
        con.execute("DELETE FROM work_results WHERE output = ?", (_NOT_RUN,))


def _run_for(argv: list[str], cwd: Path, env: dict[str, str], seconds: float | None) -> None:
    """Run `argv` in its own process group; past `seconds`, stop it and the tests it runs."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def summary(name: str, db: Path) -> dict[str, object]:
    """Killed and surviving mutants (filtered ones are not counted); `total` counts the mutants
    made, run or not (a time box runs only some of them). The rate leaves out the mutants
    docs/mutation.md lists as equivalent."""
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT r.test_outcome, r.worker_outcome, m.operator_name, m.start_pos_row, r.diff"
            " FROM work_results r JOIN mutation_specs m ON m.job_id = r.job_id"
        ).fetchall()
        filtered = con.execute(
            "SELECT count(*) FROM work_results WHERE lower(worker_outcome) IN"
            " ('skipped', 'exception')"
        ).fetchone()[0]
        made = con.execute("SELECT count(*) FROM work_items").fetchone()[0]
    # "skipped": an operator filtered out; "exception": cosmic-ray could not make the mutant
    # (it fails on some dotted names in `except (a.B, C)`): neither is a mutant the tests saw.
    counted = [r for r in rows if r[1].lower() in ("normal", "abnormal")]
    survived = [r for r in counted if r[0].lower() == "survived"]
    listed = equivalents()
    equivalent = [r for r in survived if listed_why(listed, name, _diff_pair(r[4] or ""))]
    unexplained = [r for r in survived if r not in equivalent]
    killed = len(counted) - len(survived)
    judged = len(counted) - len(equivalent)
    rate = round(100 * killed / judged, 1) if judged else 100.0
    return {
        "total": made - filtered,
        "mutants": len(counted),
        "killed": killed,
        "equivalent": len(equivalent),
        "rate": rate,
        "survivors": [_survivor(r[3], r[2], r[4] or "") for r in unexplained],
    }


def _diff_pair(diff: str) -> Change:
    """The line a mutant changed, before and after, and the line above it (stripped), from
    its diff."""
    lines = diff.splitlines()
    old = [i for i, d in enumerate(lines) if d.startswith("-") and not d.startswith("---")]
    new = [d[1:].strip() for d in lines if d.startswith("+") and not d.startswith("+++")]
    if not old:
        return "", new[0] if new else "", ""
    at = old[0]
    above = lines[at - 1][1:].strip() if lines[at - 1].startswith(" ") else ""
    return lines[at][1:].strip(), new[0] if new else "", above


def _survivor(line: int, operator: str, diff: str) -> str:
    """A survivor, with its line before and after (as docs/mutation.md would list it)."""
    old, new, above = _diff_pair(diff)
    return (
        f"line {line}: {operator.removeprefix('core/')}"
        f"\n      before = {json.dumps(old)}\n      after = {json.dumps(new)}"
        f"\n      (above = {json.dumps(above)})"
    )


def _last_minutes(name: str) -> float:
    try:
        return float(json.loads((OUT / f"summary-{name}.json").read_text("utf-8"))["minutes"])
    except (FileNotFoundError, ValueError, KeyError):
        return 0.0


def report(r: dict[str, object]) -> None:
    if "error" in r:
        print(f"{r['module']:14} not run: {r['error']}", flush=True)
        return
    took = f", in {r.get('minutes')} min (unmutated tests: {r.get('baseline_seconds')} s)"
    print(
        f"{r['module']:14} {r['rate']} % killed: {r['killed']} killed,"
        f" {r['equivalent']} equivalent, {len(r['survivors'])} not explained"  # type: ignore[arg-type]
        f"; {r['mutants']} of {r['total']} run" + (took if "minutes" in r else ""),
        flush=True,
    )
    for line in r["survivors"]:  # type: ignore[attr-defined]
        print(f"    survived {line}", flush=True)
    # one file per module, so that runs of different modules do not overwrite each other
    (OUT / f"summary-{r['module']}.json").write_text(json.dumps(r, indent=2), "utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", choices=[[], *MODULES], default=[])
    parser.add_argument("--jobs", type=int, default=1, help="modules mutated at the same time")
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds per mutant (default: four times the unmutated selection, at least 60)",
    )
    parser.add_argument("--list", action="store_true", help="the modules and their tests")
    parser.add_argument(
        "--report", action="store_true", help="the last pass's results again, without running"
    )
    parser.add_argument(
        "--minutes", type=float, help="time box per module (then a random sample is run)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="run the mutants the last pass left unrun (a time box), if the module is unchanged",
    )
    parser.add_argument("--run-tests", metavar="MODULE", help=argparse.SUPPRESS)
    parser.add_argument("--thorough", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--survivors",
        action="store_true",
        help="run only the last pass's survivors again, against the tests as they are now",
    )
    args = parser.parse_args()
    # Started in the background by a shell, this process ignores SIGINT, and so would the tests'
    # `migrate apply` (Python installs no KeyboardInterrupt handler then): the Ctrl-C tests
    # would fail without any mutant. A handler here becomes the default again in each child.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if hasattr(signal, "SIGHUP"):  # and nohup's ignored SIGHUP, which children inherit too
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if args.run_tests:
        return run_tests(args.run_tests, args.thorough)
    if args.report:
        for name in args.modules or list(MODULES):
            if (OUT / name / "session.sqlite").is_file():
                report({**summary(name, OUT / name / "session.sqlite"), "module": name})
        return 0
    if args.list:
        for name, (path, tests) in MODULES.items():
            print(f"{name:14} {path:28} {' '.join(tests)}")
        return 0
    # the longest first (by its last pass), so that the last module does not run alone on
    # one core while the others idle
    names = sorted(args.modules or list(MODULES), key=lambda n: -_last_minutes(n))
    OUT.mkdir(exist_ok=True)
    results = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        runs = [
            pool.submit(run_module, n, args.timeout, args.minutes, args.survivors, args.resume)
            for n in names
        ]
        for done in as_completed(runs):
            r = done.result()
            report(r)  # as each module ends: a long pass stopped half way keeps what it found
            results.append(r)
    return 0 if all(float(r["rate"]) >= 90 for r in results) else 1  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
