"""Static detection of the files a hook script writes, and the chains built from them.

Synthetic cases write a hook (and sometimes a sibling `helpers.py`) into `.claude/hooks/` of a
temporary project; every rule has cases that must be found and twins that must not.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from migrate.example import source
from migrate.files import Snapshot
from migrate.hooks.state import UNKNOWN_CHAIN, StateWrites, chains, writes

HOOKS = ".claude/hooks"
HOOK = f"{HOOKS}/hook.py"


def project(root: Path, files: dict[str, str]) -> Snapshot:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return Snapshot(root, ())


def analyse(root: Path, hook: str, helpers: str | None = None) -> StateWrites:
    files = {HOOK: hook} if helpers is None else {HOOK: hook, f"{HOOKS}/helpers.py": helpers}
    return writes(project(root, files), HOOK)


# ---------------------------------------------------------------- what must be found

HEADER = """\
import io, json, os, shutil, sqlite3, sys, tempfile
from pathlib import Path
"""

FOUND = [
    pytest.param('open(".claude/state.json", "w")', ".claude/state.json", id="str-constant"),
    pytest.param('open("./a/../state.json", "w")', "state.json", id="normalised"),
    pytest.param(
        'open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "s.json"), "w")',
        ".claude/hooks/s.json",
        id="dunder-file-os-path",
    ),
    pytest.param(
        '(Path(__file__).resolve().parent / "s.json").write_text("")',
        ".claude/hooks/s.json",
        id="path-parent-resolve",
    ),
    pytest.param(
        'Path(__file__).absolute().parents[2].joinpath("s.json").touch()',
        "s.json",
        id="parents-index-joinpath",
    ),
    pytest.param(
        'Path(os.path.realpath(__file__)).parent.parent.joinpath("m", "x").touch()',
        ".claude/m/x",
        id="realpath-parent-parent",
    ),
    pytest.param('Path("a", "b", "c.json").write_bytes(b"")', "a/b/c.json", id="path-of-parts"),
    pytest.param('open(os.path.join("a", "b", "c.log"), "a")', "a/b/c.log", id="os-path-join"),
    pytest.param('open(str(Path("a") / "b"), "w")', "a/b", id="str-of-path"),
    pytest.param('open(os.fspath(Path("a") / "b"), "w")', "a/b", id="fspath"),
    pytest.param(
        'open(Path(os.environ["CLAUDE_PROJECT_DIR"]) / "x.json", "w")', "x.json", id="environ[]"
    ),
    pytest.param(
        'open(Path(os.environ.get("CLAUDE_PROJECT_DIR", "/elsewhere")) / "x.json", "w")',
        "x.json",
        id="environ-get-default",
    ),
    pytest.param(
        'open(os.path.join(os.getenv("CLAUDE_PROJECT_DIR"), "x.json"), "w")',
        "x.json",
        id="getenv",
    ),
    pytest.param(
        'env = os.environ.get("CLAUDE_PROJECT_DIR")\n'
        "root = Path(env) if env else Path(__file__).parent.parent.parent\n"
        'open(root / "x.json", "w")',
        "x.json",
        id="if-else-env",
    ),
    pytest.param(
        'p = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("fallback.json")\np.touch()',
        "fallback.json",
        id="if-else-first-that-resolves",
    ),
    pytest.param(
        'root = os.environ.get("CLAUDE_PROJECT_DIR") or Path(__file__).parents[2]\n'
        'open(Path(root) / "x.json", "w")',
        "x.json",
        id="or-env",
    ),
    pytest.param(
        'ROOT = os.environ["CLAUDE_PROJECT_DIR"]\nopen(f"{ROOT}/.claude/{\'x\'}.json", "w")',
        ".claude/x.json",
        id="f-string",
    ),
    pytest.param('p = Path("a")\np /= "b.json"\np.touch()', "a/b.json", id="augmented"),
    pytest.param('p = "first"\np = "second"\nopen(p, "w")\np = "third"', "second", id="latest"),
    pytest.param('Path("a/b.txt").with_suffix(".json").touch()', "a/b.json", id="with-suffix"),
    pytest.param('Path("a/b.txt").with_name("c.json").touch()', "a/c.json", id="with-name"),
    pytest.param('(Path("a") / "b").open("a")', "a/b", id="path-open-append"),
    pytest.param('open("s", "r+")', "s", id="open-r-plus"),
    pytest.param('open("s", "xb")', "s", id="open-exclusive"),
    pytest.param('open("s", mode="wb")', "s", id="open-mode-keyword"),
    pytest.param('open(file="s", mode="w")', "s", id="open-file-keyword"),
    pytest.param('open("s", sys.argv[1])', "s", id="open-mode-not-literal"),
    pytest.param('MODE = "a"\nopen("s", MODE)', "s", id="open-mode-constant"),
    pytest.param('io.open("s", "w")', "s", id="io-open"),
    pytest.param('from io import open as io_open\nio_open("s", "w")', "s", id="from-io-open"),
    pytest.param('os.replace("tmp", "s.json")', "s.json", id="os-replace"),
    pytest.param('os.rename("tmp", dst="s.json")', "s.json", id="os-rename"),
    pytest.param('shutil.move("tmp", "s.json")', "s.json", id="shutil-move"),
    pytest.param('shutil.copy("tmp", "s.json")', "s.json", id="shutil-copy"),
    pytest.param('shutil.copy2("tmp", "s.json")', "s.json", id="shutil-copy2"),
    pytest.param('from shutil import copyfile\ncopyfile("tmp", "s.json")', "s.json", id="copyfile"),
    pytest.param('Path("tmp.json").replace(Path("s.json"))', "s.json", id="path-replace"),
    pytest.param('os.remove("s.json")', "s.json", id="os-remove"),
    pytest.param('Path("s.json").unlink(missing_ok=True)', "s.json", id="path-unlink"),
    pytest.param('sqlite3.connect(".claude/state.db")', ".claude/state.db", id="sqlite"),
    pytest.param(
        'import logging\nlogging.basicConfig(filename="hooks.log")', "hooks.log", id="log-basic"
    ),
    pytest.param(
        'import logging.handlers\nlogging.handlers.RotatingFileHandler("hooks.log")',
        "hooks.log",
        id="log-handler",
    ),
]


@pytest.mark.parametrize(("code", "path"), FOUND)
def test_write_is_found(tmp_path: Path, code: str, path: str) -> None:
    found = analyse(tmp_path, HEADER + code + "\n")
    assert found.paths == {path}
    assert found.unknown == ()
    assert len(found.evidence) == 1


FOUND_IN_FUNCTIONS = [
    pytest.param(
        """
        def main():
            state = Path("a") / "state.json"
            state.write_text("{}")
        main()
        """,
        {"a/state.json"},
        id="local-assignment",
    ),
    pytest.param(
        """
        STATE = Path("m") / "state.json"
        def save(path, data):
            with open(path, "w") as fh:
                json.dump(data, fh)
        def main():
            save(STATE, {})
            save(data={}, path="other.json")
        if __name__ == "__main__":
            main()
        """,
        {"m/state.json", "other.json"},
        id="parameter-bound-at-call",
    ),
    pytest.param(
        """
        def save(data, path="default.json", *, log="x.log"):
            open(path, "w")
            open(log, "a")
        save({})
        """,
        {"default.json", "x.log"},
        id="parameter-default",
    ),
    pytest.param(
        """
        def state_dir():
            return Path("a") / "memory"
        def state_file(name):
            return state_dir() / name
        open(state_file("s.json"), "w")
        """,
        {"a/memory/s.json"},
        id="return-value",
    ),
    pytest.param(
        """
        def main():
            state = STATE
            state.touch()
        STATE = Path("late.json")
        main()
        """,
        {"late.json"},
        id="global-assigned-after-def",
    ),
    pytest.param(
        """
        import atexit
        def flush():
            Path("flushed.json").touch()
        atexit.register(flush)
        """,
        {"flushed.json"},
        id="callback",
    ),
    pytest.param(
        """
        def never_called():
            Path("dead.json").touch()
        """,
        {"dead.json"},
        id="any-function-of-the-script",
    ),
    pytest.param(
        """
        class Store:
            def save(self):
                Path("store.json").touch()
        """,
        {"store.json"},
        id="method",
    ),
    pytest.param(
        """
        def main():
            def inner(path):
                open(path, "a")
            inner("nested.log")
        main()
        """,
        {"nested.log"},
        id="nested-function",
    ),
    pytest.param(
        """
        def save(path, data):
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh)
            os.replace(tmp, path)
        save("s.json", {})
        """,
        {"s.json"},
        id="atomic-save",
    ),
]


@pytest.mark.parametrize(("code", "paths"), FOUND_IN_FUNCTIONS)
def test_write_in_function_is_found(tmp_path: Path, code: str, paths: set[str]) -> None:
    found = analyse(tmp_path, HEADER + textwrap.dedent(code))
    assert found.paths == paths
    assert found.unknown == ()


HELPERS = """\
import json, os, tempfile
from pathlib import Path

HOOKS_DIR = Path(__file__).resolve().parent
LOG = HOOKS_DIR / "helpers.log"

def project_dir():
    env = os.environ.get("CLAUDE_PROJECT_DIR")
    return Path(env) if env else HOOKS_DIR.parent.parent

def memory_path(name):
    folder = project_dir() / ".claude" / "memory"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name

def save_json(path, data):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)

def append_jsonl(path, record):
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\\n")

def load_json(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)

def log(text):
    with open(LOG, "a") as fh:
        fh.write(text)
"""

SIBLING = [
    pytest.param(
        "from helpers import memory_path, save_json\nsave_json(memory_path('s.json'), {})\n",
        {".claude/memory/s.json"},
        id="from-import",
    ),
    pytest.param(
        "import helpers\nhelpers.append_jsonl(helpers.memory_path('l.jsonl'), {})\n",
        {".claude/memory/l.jsonl"},
        id="import-module",
    ),
    pytest.param(
        "import helpers as h\nh.save_json(h.HOOKS_DIR / 'x.json', {})\n",
        {".claude/hooks/x.json"},
        id="import-as-module-constant",
    ),
    pytest.param(
        "from helpers import log\ndef main():\n    log('hi')\nmain()\n",
        {".claude/hooks/helpers.log"},
        id="fixed-path-in-sibling",
    ),
    pytest.param(
        "import atexit, helpers\natexit.register(helpers.log, 'bye')\n",
        {".claude/hooks/helpers.log"},
        id="sibling-callback",
    ),
    pytest.param(
        "from helpers import memory_path as mp\nmp('s.json').write_text('')\n",
        {".claude/memory/s.json"},
        id="import-alias",
    ),
]


@pytest.mark.parametrize(("code", "paths"), SIBLING)
def test_write_through_sibling_module(tmp_path: Path, code: str, paths: set[str]) -> None:
    found = analyse(tmp_path, code, HELPERS)
    assert found.paths == paths
    assert found.unknown == ()


def test_sibling_module_top_level_runs_on_import(tmp_path: Path) -> None:
    helpers = 'from pathlib import Path\nPath("imported.log").touch()\n'
    found = analyse(tmp_path, "import helpers\n", helpers)
    assert found.paths == {"imported.log"}


def test_sibling_is_looked_up_next_to_the_script(tmp_path: Path) -> None:
    files = {
        HOOK: "from helpers import save\nsave()\n",
        "helpers.py": "def save():\n    open('wrong.json', 'w')\n",
        f"{HOOKS}/helpers.py": "def save():\n    open('right.json', 'w')\n",
    }
    assert writes(project(tmp_path, files), HOOK).paths == {"right.json"}


def test_sibling_function_writes_in_own_module_scope(tmp_path: Path) -> None:
    """`__file__` and globals inside a sibling are the sibling's, not the script's."""
    hook = "from sub_helpers import save\nSTATE = 'hook.json'\nsave()\n"
    helper = "from pathlib import Path\nSTATE = Path(__file__).with_suffix('.json')\n"
    helper += "def save():\n    open(STATE, 'w')\n"
    files = {f"{HOOKS}/deep/hook.py": hook, f"{HOOKS}/deep/sub_helpers.py": helper}
    found = writes(project(tmp_path, files), f"{HOOKS}/deep/hook.py")
    assert found.paths == {".claude/hooks/deep/sub_helpers.json"}


# ---------------------------------------------------------------- what must not be found

NOT_FOUND = [
    pytest.param('open("s.json")', id="open-default-mode"),
    pytest.param('open("s.json", "r")', id="open-read"),
    pytest.param('open("s.json", "rb")', id="open-read-binary"),
    pytest.param('open("s.json", mode="rt", encoding="utf-8")', id="open-read-keyword"),
    pytest.param('json.load(open("s.json"))', id="json-load"),
    pytest.param('Path("s.json").read_text()', id="read-text"),
    pytest.param('Path("s.json").open()', id="path-open-default"),
    pytest.param('Path("s.json").open("rb")', id="path-open-read"),
    pytest.param('Path("memory").mkdir(parents=True, exist_ok=True)', id="mkdir"),
    pytest.param('import webbrowser\nwebbrowser.open("https://example.com")', id="webbrowser"),
    pytest.param(
        "import webbrowser\nb = webbrowser.get()\nb.open(sys.argv[1])", id="browser-object"
    ),
    pytest.param('import zipfile\nzipfile.ZipFile("a.zip").open("member")', id="zip-open"),
    pytest.param('"a-b".replace("-", "_")', id="str-replace"),
    pytest.param('text = sys.argv[1]\ntext.replace("a", "b")', id="str-replace-variable"),
    pytest.param('shutil.copy("s.json", tempfile.mkdtemp())', id="copy-to-temp-dir"),
    pytest.param('fd, tmp = tempfile.mkstemp()\nopen(tmp, "w")\nos.unlink(tmp)', id="mkstemp"),
    pytest.param('fd, _ = tempfile.mkstemp()\nos.fdopen(fd, "w").write("x")', id="fdopen"),
    pytest.param(
        'with tempfile.NamedTemporaryFile("w", delete=False) as fh:\n'
        '    fh.write("x")\nopen(fh.name, "a")',
        id="named-temporary-file",
    ),
    pytest.param('open(Path(tempfile.mkdtemp()) / "x.json", "w")', id="file-in-temp-dir"),
    pytest.param('with tempfile.TemporaryDirectory() as d:\n    open(f"{d}/x", "w")', id="tempdir"),
    pytest.param('sqlite3.connect(":memory:")', id="sqlite-memory"),
    pytest.param('def open(path, mode):\n    return path\nopen("s.json", "w")', id="shadowed-open"),
    pytest.param('import subprocess\nsubprocess.run(["true"], check=False)', id="subprocess"),
    pytest.param('print("x", file=sys.stderr)\nsys.stdout.write("x")', id="std-streams"),
]


@pytest.mark.parametrize("code", NOT_FOUND)
def test_no_write_is_found(tmp_path: Path, code: str) -> None:
    found = analyse(tmp_path, HEADER + code + "\n")
    assert found == StateWrites(HOOK, frozenset(), (), ())


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            "from helpers import load_json, memory_path\nload_json(memory_path('s'))\n",
            id="sibling-read",
        ),
        pytest.param("import helpers\nhelpers.project_dir()\n", id="sibling-mkdir-only"),
    ],
)
def test_no_write_through_sibling(tmp_path: Path, code: str) -> None:
    found = analyse(tmp_path, code, HELPERS)
    assert (found.paths, found.unknown) == (frozenset(), ())


# ---------------------------------------------------------------- what cannot be known

UNKNOWN = [
    pytest.param('open(sys.argv[1], "w")', "with a path not known statically", id="argv"),
    pytest.param('open(os.environ["STATE"], "w")', "not known statically", id="other-env"),
    pytest.param('open(f"{sys.argv[1]}/x", "w")', "not known statically", id="f-string-part"),
    pytest.param(
        'open(Path(tempfile.gettempdir()) / "shared.json", "w")',
        "not known statically",
        id="shared-name-in-temp-dir",
    ),
    pytest.param('open("../outside.log", "a")', "writes ../outside.log, outside", id="escapes"),
    pytest.param(
        'open(Path(__file__).parents[3] / "x", "a")', "writes ../x, outside", id="parents-escape"
    ),
    pytest.param('open("/var/log/hooks.log", "a")', "an absolute path", id="absolute"),
    pytest.param(
        'class S:\n    def save(self):\n        self.path.open("w")', "not known", id="self-attr"
    ),
    pytest.param(
        'def save(path):\n    open(path, "w")', "not known statically", id="parameter-never-bound"
    ),
    pytest.param(
        'for name in sys.argv:\n    open(name, "w")', "not known statically", id="loop-variable"
    ),
    pytest.param(
        'path = "outer.json"\n[open(path, "w") for path in sys.argv]',
        "not known statically",
        id="comprehension-variable",
    ),
    pytest.param(
        'p = "outer.json"\nsave = lambda p: open(p, "w")', "not known statically", id="lambda-param"
    ),
]


@pytest.mark.parametrize(("code", "reason"), UNKNOWN)
def test_write_to_an_unknown_path(tmp_path: Path, code: str, reason: str) -> None:
    found = analyse(tmp_path, HEADER + code + "\n")
    assert found.paths == frozenset()
    assert len(found.unknown) == 1
    assert found.unknown[0].startswith("hook.py:")
    assert reason in found.unknown[0]


def test_unknown_names_the_line_and_the_call(tmp_path: Path) -> None:
    found = analyse(tmp_path, 'import sys\n\nopen(sys.argv[1], "w")\n')
    assert found.unknown == ('hook.py:3: open(sys.argv[1], "w") with a path not known statically',)


def test_missing_or_unparsable_script_is_unknown(tmp_path: Path) -> None:
    snapshot = project(tmp_path, {HOOK: "def broken(:\n"})
    assert "cannot be read or parsed" in writes(snapshot, HOOK).unknown[0]
    assert "cannot be read or parsed" in writes(snapshot, f"{HOOKS}/missing.py").unknown[0]


def test_cycles_terminate(tmp_path: Path) -> None:
    code = """
    import sys
    def a(n):
        return b(n)
    def b(n):
        return a(n)
    def grow(path):
        open(path, "w")
        grow(path + "/x")
    def again(path):
        open(path, "w")
        again(path)
    X = Y
    Y = X
    open(a(1), "w")
    open(X, "w")
    grow("g")
    again("same")
    def deeper(path):
        return deeper(path + "/x")
    open(deeper("d"), "w")
    """
    found = analyse(tmp_path, textwrap.dedent(code))
    assert {"g", "g/x", "same"} <= found.paths
    assert any(u.startswith('hook.py:21: open(deeper("d")') for u in found.unknown)
    assert any("too deeply nested" in u for u in found.unknown)
    assert any(u.startswith("hook.py:15: open(a(1)") for u in found.unknown)
    assert any(u.startswith("hook.py:16: open(X") for u in found.unknown)


# ---------------------------------------------------------------- evidence


def test_evidence_names_the_script_line_and_the_sibling_write(tmp_path: Path) -> None:
    hook = "from helpers import memory_path, save_json\n\nsave_json(memory_path('x.json'), {})\n"
    found = analyse(tmp_path, hook, HELPERS)
    assert found.evidence == (
        "hook.py:3: save_json(memory_path('x.json'), ...) writes .claude/memory/x.json"
        " (via helpers.py:20: os.replace(tmp, path))",
    )


def test_evidence_of_a_write_in_the_script(tmp_path: Path) -> None:
    found = analyse(tmp_path, 'LOG = "a.log"\nopen(LOG, "a", encoding="utf-8")\n')
    assert found.evidence == ('hook.py:2: open(LOG, "a", encoding=...) writes a.log',)


# ---------------------------------------------------------------- the bundled example

EXAMPLE_HOOKS = {
    "auto_remember.py": {".claude/memory/lessons.jsonl"},
    "bash_secret_scan.py": set(),
    "best_practice_enforcer.py": set(),
    "block_dangerous_commands.py": set(),
    "command_tracker.py": {".claude/memory/session_state.json"},
    "confidence_tracker.py": {".claude/memory/confidence.json"},
    "context_probe.py": set(),
    "detect_batch.py": set(),
    "detect_confidence_penalty.py": set(),
    "detect_failure_auto_learn.py": {".claude/memory/lessons.jsonl"},
    "detect_gaslight.py": set(),
    "detect_parallel.py": set(),
    "detect_success_auto_learn.py": {".claude/memory/lessons.jsonl"},
    "format_reminder.py": set(),
    "mcp_guard.py": {".claude/memory/mcp_calls.jsonl"},
    "old_prompt_logger.py": {".claude/memory/prompts.log"},
    "performance_gate.py": set(),
    "prompt_tip.py": set(),
    "protect_secrets.py": set(),
    "scratch_enforcer.py": set(),
    "session_start_banner.py": set(),
    "session_state_tracker.py": {".claude/memory/session_state.json"},
    "stop_checklist.py": set(),
    "synapse_fire.py": {".claude/memory/synapse_stats.json"},
    "token_tracker.py": {".claude/memory/token_usage.json"},
}


def example() -> Snapshot:
    return Snapshot(source(), ())


def test_every_example_hook_is_listed() -> None:
    on_disk = {p.name for p in (source() / HOOKS).glob("*.py")} - {"hook_utils.py"}
    assert on_disk == set(EXAMPLE_HOOKS)


@pytest.mark.parametrize(("name", "paths"), sorted(EXAMPLE_HOOKS.items()))
def test_example_hook(name: str, paths: set[str]) -> None:
    found = writes(example(), f"{HOOKS}/{name}")
    assert found.paths == paths
    assert found.unknown == ()
    assert len(found.evidence) == len(paths)


def test_example_synapse_fire_only_reads_synapses() -> None:
    found = writes(example(), f"{HOOKS}/synapse_fire.py")
    assert ".claude/synapses.json" not in found.paths
    assert found.evidence == (
        "synapse_fire.py:42: save_json(stats_file, stats) writes .claude/memory/synapse_stats.json"
        " (via hook_utils.py:61: os.replace(tmp, path))",
    )


DETECTION = [
    "detect_batch.py",
    "detect_gaslight.py",
    "detect_success_auto_learn.py",
    "detect_failure_auto_learn.py",
    "detect_confidence_penalty.py",
]


def test_example_detection_group_chains() -> None:
    result = chains(example(), [f"{HOOKS}/{n}" for n in DETECTION])
    lessons = "state:.claude/memory/lessons.jsonl"
    assert result.chain_of == {
        f"{HOOKS}/detect_batch.py": None,
        f"{HOOKS}/detect_gaslight.py": None,
        f"{HOOKS}/detect_success_auto_learn.py": lessons,
        f"{HOOKS}/detect_failure_auto_learn.py": lessons,
        f"{HOOKS}/detect_confidence_penalty.py": None,
    }
    assert result.why == {
        lessons: "detect_success_auto_learn.py and detect_failure_auto_learn.py both write "
        ".claude/memory/lessons.jsonl"
    }


def test_example_user_prompt_submit_chains() -> None:
    members = [
        "synapse_fire.py",
        "auto_remember.py",
        *DETECTION,
        "command_tracker.py",
        "confidence_tracker.py",
        "session_state_tracker.py",
        "performance_gate.py",
    ]
    result = chains(example(), [f"{HOOKS}/{n}" for n in members])
    chained = {Path(s).name: c for s, c in result.chain_of.items() if c is not None}
    assert chained == {
        "auto_remember.py": "state:.claude/memory/lessons.jsonl",
        "detect_success_auto_learn.py": "state:.claude/memory/lessons.jsonl",
        "detect_failure_auto_learn.py": "state:.claude/memory/lessons.jsonl",
        "command_tracker.py": "state:.claude/memory/session_state.json",
        "session_state_tracker.py": "state:.claude/memory/session_state.json",
    }
    assert list(result.chain_of) == [f"{HOOKS}/{n}" for n in members]
    assert result.why["state:.claude/memory/lessons.jsonl"] == (
        "auto_remember.py, detect_success_auto_learn.py and detect_failure_auto_learn.py "
        "all write .claude/memory/lessons.jsonl"
    )


# ---------------------------------------------------------------- chains


def hooks(root: Path, sources: dict[str, str]) -> Snapshot:
    return project(root, {f"{HOOKS}/{name}": text for name, text in sources.items()})


def test_chains_are_transitive_and_named_after_the_first_shared_path(tmp_path: Path) -> None:
    snapshot = hooks(
        tmp_path,
        {
            "a.py": "open('y.json', 'w')\n",
            "b.py": "open('y.json', 'w')\nopen('x.json', 'w')\n",
            "c.py": "open('x.json', 'a')\n",
            "d.py": "open('z.json', 'w')\n",
            "e.py": "print('hello')\n",
        },
    )
    result = chains(snapshot, [f"{HOOKS}/{m}" for m in ("a.py", "b.py", "c.py", "d.py", "e.py")])
    assert {Path(s).name: c for s, c in result.chain_of.items()} == {
        "a.py": "state:x.json",
        "b.py": "state:x.json",
        "c.py": "state:x.json",
        "d.py": None,
        "e.py": None,
    }
    assert result.why == {
        "state:x.json": "b.py and c.py both write x.json; a.py and b.py both write y.json"
    }


def test_unknown_writers_share_one_chain(tmp_path: Path) -> None:
    unknown = "import sys\nopen(sys.argv[1], 'w')\n"
    snapshot = hooks(tmp_path, {"a.py": unknown, "b.py": "print()\n", "c.py": unknown})
    result = chains(snapshot, [f"{HOOKS}/{m}" for m in ("a.py", "b.py", "c.py")])
    assert [c for c in result.chain_of.values()] == [UNKNOWN_CHAIN, None, UNKNOWN_CHAIN]
    assert result.why == {UNKNOWN_CHAIN: "a.py and c.py write files not known statically"}


def test_a_lone_writer_runs_in_parallel(tmp_path: Path) -> None:
    snapshot = hooks(
        tmp_path, {"a.py": "import sys\nopen(sys.argv[1], 'w')\n", "b.py": "open('b.json', 'w')\n"}
    )
    result = chains(snapshot, [f"{HOOKS}/a.py", f"{HOOKS}/b.py", f"{HOOKS}/a.py"])
    assert result.chain_of == {f"{HOOKS}/a.py": None, f"{HOOKS}/b.py": None}
    assert result.why == {}


def test_sequential_joins_members_by_name_or_path(tmp_path: Path) -> None:
    snapshot = hooks(
        tmp_path,
        {n: "print()\n" for n in ("a.py", "b.py", "c.py", "d.py")},
    )
    members = [f"{HOOKS}/{m}" for m in ("a.py", "b.py", "c.py", "d.py")]
    result = chains(snapshot, members, sequential=[["b.py", f"{HOOKS}/d.py", "absent.py"]])
    assert list(result.chain_of.values()) == [None, "sequential:b.py", None, "sequential:b.py"]
    assert result.why == {"sequential:b.py": "b.py and d.py are listed together in `sequential`"}


def test_sequential_extends_a_state_chain(tmp_path: Path) -> None:
    snapshot = hooks(
        tmp_path,
        {"a.py": "open('s', 'w')\n", "b.py": "open('s', 'w')\n", "c.py": "print()\n"},
    )
    members = [f"{HOOKS}/{m}" for m in ("a.py", "b.py", "c.py")]
    result = chains(snapshot, members, sequential=[["c.py", "a.py"]])
    assert set(result.chain_of.values()) == {"state:s"}
    assert result.why == {
        "state:s": "a.py and b.py both write s; a.py and c.py are listed together in `sequential`"
    }


def test_sequential_with_one_member_changes_nothing(tmp_path: Path) -> None:
    snapshot = hooks(tmp_path, {"a.py": "print()\n", "b.py": "print()\n"})
    result = chains(snapshot, [f"{HOOKS}/a.py", f"{HOOKS}/b.py"], sequential=[["a.py", "x.py"]])
    assert list(result.chain_of.values()) == [None, None]
