"""Speed and agreement of migrate's codemod and audit, against an equivalent LibCST codemod.

    python bench/codemods.py [--corpus DIR] [--sample N] [--jobs 2] [--repeat N] [--cli]
                             [--no-libcst] [--seed 0]

On one corpus (default: a temporary copy of this interpreter's standard library .py files,
with their bytecode cache, as installed), it measures, each in a fresh child process (wall
time, CPU time and peak RSS; --repeat keeps the best of N runs, as the machine may be shared):

(a) the `subprocess-timeouts` transform over every .py file, as `migrate apply
    subprocess-timeouts --dry-run` computes it (`engine.compute.compute`, one process), and fanned
    out over --jobs processes with `migrate.audit.parallel_map`; `--cli` also times the real
    command line (on a git copy of the corpus, with a recipe selecting every file);
(b) `python -m libcst.tool codemod -x ... --jobs JOBS --no-format --include-generated` with
    `bench/libcst_codemod.py`, on a copy (run from outside it, so that the copied stdlib
    modules do not shadow the real ones);
(c) `migrate audit` of the corpus: with the bytecode cache, in 1 and --jobs processes, and
    without it (every file not otherwise parsed is compiled); then the real command,
    `python -m migrate audit --json -C CORPUS`, timed as a whole process (as many processes
    as it picks: every CPU for a large tree).

It then compares the call sites (file, line) that (a) and (b) edit, and the timeouts chosen.
`--sample N` runs (b) on N files, half of them files that mention subprocess (where the two
can differ) and the rest at random, and extrapolates (b) to the whole corpus by bytes, saying
so (LibCST takes half an hour on the whole standard library on 2 cores).
Prints PASS/FAIL next to each target; asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib.util
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from migrate import recipes
from migrate.audit import audit, parallel_map, python_files
from migrate.engine.compute import ApplyOptions, compute
from migrate.files import Snapshot
from migrate.model import FileChange, TransformResult
from migrate.transforms.subprocess_timeouts import subprocess_timeouts

BENCH = Path(__file__).resolve().parent
TARGET_RATIO = 30.0  # (b) / (a)
TARGET_AUDIT_S = 1.0  # (c) on the standard library, 2 cores
RSS_LIMIT_MB = 300
Site = tuple[str, int, int]  # (path, line, seconds)
_ADDED = re.compile(r"added timeout=(\d+)")


# -- the corpus ---------------------------------------------------------------------------------


def copy_files(src: Path, dest: Path, files: Sequence[str]) -> None:
    """Copy `files` (with mtimes, and this interpreter's bytecode cache when it has one)."""
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / name, target)
        cached = Path(importlib.util.cache_from_source(str(src / name)))
        if cached.is_file():
            pyc = Path(importlib.util.cache_from_source(str(target)))
            pyc.parent.mkdir(exist_ok=True)
            shutil.copy2(cached, pyc)


def pick_sample(root: Path, files: Sequence[str], size: int, seed: int) -> list[str]:
    """Half the sample from files that mention subprocess (where the two codemods can differ),
    the rest at random: LibCST's cost per byte does not depend on what the files say."""
    rng = random.Random(seed)
    calling = [f for f in files if b"subprocess" in (root / f).read_bytes()]
    chosen = set(rng.sample(calling, min(len(calling), size // 2)))
    rest = [f for f in files if f not in chosen]
    chosen.update(rng.sample(rest, size - len(chosen)))
    return sorted(chosen)


def corpus_bytes(root: Path, files: Sequence[str]) -> int:
    return sum((root / f).stat().st_size for f in files)


# -- child processes: one measurement each --------------------------------------------------------


def _usage() -> dict[str, float]:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return {
        "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
        "rss_self_mb": me.ru_maxrss / 1024,
        "rss_children_mb": kids.ru_maxrss / 1024,
    }


def _edited_sites(result: TransformResult) -> list[Site]:
    sites = []
    for finding in result.findings:
        match = _ADDED.search(finding.message)
        if finding.edited and finding.kind == "subprocess-timeout" and match:
            sites.append((finding.path, finding.line, int(match[1])))
    return sites


def _recipe() -> Any:
    """The built-in recipe, selecting every .py file (its own globs name hooks and scripts),
    making the unsafe edits too: LibCST's codemod edits every call, so the two compare."""
    recipe = recipes.load_all(recipes.recipe_dirs(None))["subprocess-timeouts"]
    return recipes.with_unsafe(dataclasses.replace(recipe, paths=("**/*.py",)))


def _transform_chunk(root: str, params: Mapping[str, Any], paths: Sequence[str]) -> list[Any]:
    """The transform on some of the files: its changes and findings (`counts` do not pickle)."""
    result = subprocess_timeouts(Snapshot(Path(root), tuple(paths)), params)
    return [(result.changes, result.findings)]


_REASONS = {
    "the command comes from the caller": "generic runner",
    "inside a `try`": "uncaught TimeoutExpired",
    "the child would be left running": "Popen left running",
    "interactive": "interactive",
    "is known to run long": "long command",
}


def _reasons(result: TransformResult) -> dict[str, int]:
    """How many unsafe edits give each reason (an edit may give several)."""
    counts = dict.fromkeys(_REASONS.values(), 0)
    for finding in result.findings:
        _, _, why = finding.message.partition("; unsafe: ")
        for words, name in _REASONS.items():
            counts[name] += words in why
    return counts


def fanned_out(root: Path, files: Sequence[str], params: Mapping[str, Any], jobs: int) -> Any:
    """The transform over `files` in `jobs` processes, merged into one result."""
    sizes = [(root / f).stat().st_size + 1024 for f in files]
    task = functools.partial(_transform_chunk, str(root), dict(params))
    parts = parallel_map(task, files, jobs=jobs, weights=sizes)
    changes: list[FileChange] = [c for part_changes, _ in parts for c in part_changes]
    findings = [f for _, part_findings in parts for f in part_findings]
    return TransformResult(tuple(changes), tuple(findings))


def child(kind: str, root: Path, jobs: int) -> dict[str, Any]:
    if kind == "audit-no-cache":
        # Only the audited files lose their bytecode cache: migrate's own modules are loaded.
        sys.pycache_prefix = tempfile.mkdtemp(prefix="migrate-no-cache-")
    files = [f for f in python_files(root) if f.endswith(".py")]
    start = time.perf_counter()
    out: dict[str, Any] = {}
    if kind == "transform":
        options = ApplyOptions(skip_unparsable=True, skip_unreadable=True)
        result = compute(root, _recipe(), files, options)
        out["sites"] = _edited_sites(result)
        out["changed_files"] = len(result.changes)
        out["unsafe"] = result.counts.get("unsafe_edited", 0)
        out["safe"] = result.counts.get("calls", 0) - out["unsafe"]
        out["reasons"] = _reasons(result)
    elif kind == "fanout":
        result = fanned_out(root, files, _recipe().params, jobs)
        out["sites"] = _edited_sites(result)
        out["changed_files"] = len(result.changes)
    else:
        report = audit(root, jobs=jobs)
        out["header"] = report.header()
        out["by_kind"] = report.by_kind()
        out["jobs"] = report.jobs
    out["seconds"] = time.perf_counter() - start
    return out | _usage()


def best_of(repeat: int, kind: str, root: Path, jobs: int) -> Any:
    """The run with the shortest wall time in process: the machine may be shared."""
    return min((run_child(kind, root, jobs) for _ in range(repeat)), key=lambda d: d["seconds"])


def run_child(kind: str, root: Path, jobs: int) -> Any:
    command = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--corpus",
        str(root),
        "--jobs",
        str(jobs),
    ]
    start = time.perf_counter()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        timeout=7200,
    )
    if done.returncode:
        raise SystemExit(f"{kind} child failed:\n{done.stderr}")
    data = json.loads(done.stdout.splitlines()[-1])
    data["process_seconds"] = time.perf_counter() - start
    return data


# -- LibCST ---------------------------------------------------------------------------------------


def run_libcst(root: Path, jobs: int, scratch: Path) -> dict[str, Any]:
    """The LibCST codemod on a copy of `root` (it writes files); edited sites and usage."""
    copy = scratch / "libcst-copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    sites_file = scratch / "libcst-sites.tsv"
    sites_file.write_text("")
    command = [sys.executable, "-m", "libcst.tool", "codemod", "-x"]
    command += ["libcst_codemod.AddSubprocessTimeouts", "--jobs", str(jobs), "--no-format"]
    command += ["--include-generated", "--hide-progress", str(copy)]
    env = {**os.environ, "PYTHONPATH": str(BENCH), "MIGRATE_BENCH_SITES": str(sites_file)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # Not from inside the copy: `python -m` would import the copied stdlib modules first.
    done = subprocess.run(
        command, cwd=scratch, env=env, capture_output=True, text=True, timeout=7200, check=False
    )
    if done.returncode:
        print(f"  LibCST failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    sites = []
    for line in sites_file.read_text().splitlines():
        path, number, value = line.split("\t")
        sites.append(
            (Path(path).resolve().relative_to(copy.resolve()).as_posix(), int(number), int(value))
        )
    summary = [line for line in done.stderr.splitlines() if line.startswith(" - ")]
    return {
        "process_seconds": seconds,
        "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "sites": sites,
        "summary": summary,
        "returncode": done.returncode,
    }


# -- the real command line (--cli) -----------------------------------------------------------------

RECIPE_ALL_FILES = """\
id = "subprocess-timeouts"
title = "Add subprocess timeouts (every .py file)"
phase = "immediate"
order = 10
transform = "subprocess-timeouts"
paths = ["**/*.py"]
"""


def run_cli(root: Path, scratch: Path) -> float:
    """Seconds of `migrate apply subprocess-timeouts --dry-run` on a git copy of `root`."""
    repo = scratch / "cli-copy"
    shutil.copytree(root, repo, ignore=shutil.ignore_patterns("__pycache__"))
    (scratch / "recipes").mkdir()
    (scratch / "recipes" / "subprocess-timeouts.toml").write_text(RECIPE_ALL_FILES)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "corpus"]):
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", *args]
        subprocess.run(git, cwd=repo, check=True, capture_output=True, timeout=600)
    command = [sys.executable, "-m", "migrate", "apply", "subprocess-timeouts", "--dry-run"]
    command += ["--skip-unparsable", "--recipes", str(scratch / "recipes"), "-C", str(repo)]
    start = time.perf_counter()
    subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True, timeout=7200
    )
    return time.perf_counter() - start


def run_audit_cli(root: Path, repeat: int) -> dict[str, float]:
    """`migrate audit --json` as a user runs it: wall and CPU of the whole command (best of
    `repeat`), interpreter start and imports included."""
    command = [sys.executable, "-m", "migrate", "audit", "--json", "-C", str(root)]
    runs = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True, timeout=7200)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        runs.append({"seconds": seconds, "cpu": cpu})
    return min(runs, key=lambda r: r["seconds"])


# -- report ---------------------------------------------------------------------------------------


def calibrate() -> float:
    """Seconds for `sum(range(10**6))`, best of 5: about 0.01 on a recent desktop core."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        sum(range(10**6))
        best = min(best, time.perf_counter() - start)
    return best


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def rss_line(name: str, data: Mapping[str, Any], jobs: int) -> str:
    own, worker = data["rss_self_mb"], data["rss_children_mb"]
    bound = own + (jobs * worker if worker else 0)
    return (
        f"  {name:<40} parent {own:5.1f} MB, largest child {worker:5.1f} MB,"
        f" all <= {bound:5.1f} MB  [{verdict(bound < RSS_LIMIT_MB)} < {RSS_LIMIT_MB} MB]"
    )


def compare(
    ours: Sequence[Site], theirs: Sequence[Site], popen_lines: set[tuple[str, int]]
) -> None:
    mine = {(p, n): s for p, n, s in ours}
    lib = {(p, n): s for p, n, s in theirs}
    only_mine = sorted(set(mine) - set(lib))
    only_lib = sorted(set(lib) - set(mine))
    popen = [site for site in only_mine if site in popen_lines]
    other = [site for site in only_mine if site not in popen_lines]
    both = set(mine) & set(lib)
    values = sorted(site for site in both if mine[site] != lib[site])
    print(f"  call sites edited: migrate {len(mine)}, LibCST {len(lib)}, both {len(both)}")
    kinds = f"{len(popen)} Popen.wait/.communicate, {len(other)} other"
    print(f"  only migrate: {len(only_mine)} ({kinds})")
    for path, line in other[:8]:
        print(f"    {path}:{line}")
    print(f"  only LibCST: {len(only_lib)}")
    for path, line in only_lib[:8]:
        print(f"    {path}:{line}")
    print(f"  same site, different timeout: {len(values)}")
    for site in values[:8]:
        print(f"    {site[0]}:{site[1]}: migrate {mine[site]} s, LibCST {lib[site]} s")


def popen_sites(root: Path, files: Sequence[str]) -> set[tuple[str, int]]:
    """(path, line) of the Popen.wait/.communicate calls the transform edits."""
    result = subprocess_timeouts(Snapshot(root, tuple(files)), _recipe().params)
    return {
        (f.path, f.line) for f in result.findings if f.edited and f.message.startswith("Popen.")
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a folder of .py files (default: the stdlib)")
    parser.add_argument("--sample", type=int, default=0, help="N files at random (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cli", action="store_true", help="also time the real command line")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs for (a) and (c)")
    parser.add_argument("--no-libcst", action="store_true", help="skip (b) and the comparison")
    kinds = ("transform", "fanout", "audit", "audit-no-cache")
    parser.add_argument("--child", choices=kinds, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.corpus, args.jobs)))
        return 0
    with tempfile.TemporaryDirectory(prefix="migrate-bench-") as tmp:
        return bench(args, Path(tmp))


def bench(args: argparse.Namespace, scratch: Path) -> int:
    source = args.corpus or Path(sysconfig.get_paths()["stdlib"])
    everything = [f for f in python_files(source) if f.endswith(".py")]
    full = scratch / "corpus"
    copy_files(source, full, everything)
    full_bytes = corpus_bytes(full, everything)
    jobs, repeat = args.jobs, args.repeat
    print(f"corpus: {len(everything)} .py files, {full_bytes / 1e6:.1f} MB, from {source}")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f},"
        f" sum(range(10**6)) takes {calibrate() * 1000:.1f} ms; --jobs {jobs}"
    )
    sample, files = full, everything
    if args.sample and args.sample < len(everything):
        files = pick_sample(full, everything, args.sample, args.seed)
        sample = scratch / "sample"
        copy_files(full, sample, files)
        size = corpus_bytes(sample, files) / 1e6
        print(
            f"sample: {len(files)} files, {size:.1f} MB (seed {args.seed}; half mention subprocess)"
        )

    serial = best_of(repeat, "transform", full, 1)
    fan = best_of(repeat, "fanout", full, jobs)
    print(f"\n(a) subprocess-timeouts transform, whole corpus (best of {repeat})")
    for name, data in (("one process (as the CLI)", serial), (f"{jobs} processes", fan)):
        edited = f"{len(data['sites'])} calls in {data['changed_files']} files"
        print(f"  {name:<32} {timing(data)}; {edited}")
    print(f"  safe edits {serial['safe']}, unsafe edits {serial['unsafe']} (`apply` makes the safe")
    print(f"  ones only); unsafe by reason: {serial['reasons']}")
    if args.cli:
        print(
            f"  {'CLI apply --dry-run':<32} {run_cli(full, scratch):6.2f} s (git copy, every .py)"
        )

    audits = {
        f"bytecode cache, {jobs} processes": best_of(repeat, "audit", full, jobs),
        "bytecode cache, 1 process": best_of(repeat, "audit", full, 1),
        f"no cache (compile), {jobs} processes": best_of(repeat, "audit-no-cache", full, jobs),
    }
    print(f"\n(c) migrate audit, whole corpus (best of {repeat})")
    for name, data in audits.items():
        target = f"[{verdict(data['seconds'] <= TARGET_AUDIT_S)} <= {TARGET_AUDIT_S} s]"
        print(f"  {name:<32} {timing(data)}  {target}")
    command = run_audit_cli(full, repeat)
    target = f"[{verdict(command['seconds'] <= TARGET_AUDIT_S)} <= {TARGET_AUDIT_S} s]"
    print(
        f"  {'the command, --json':<32} {command['seconds']:5.2f} s whole process (start and"
        f" imports too), CPU {command['cpu']:5.2f} s  {target}"
    )
    first = next(iter(audits.values()))
    print(f"  {first['header']}\n  by kind: {first['by_kind']}")

    if args.no_libcst:
        print("\npeak RSS")
        for name, data in audits.items():
            print(rss_line(f"(c) {name}", data, jobs))
        return 0
    print("\n(b) LibCST codemod" + (f" on the {len(files)}-file sample" if sample != full else ""))
    lib = run_libcst(sample, jobs, scratch)
    summary = " ".join(lib["summary"])
    print(f"  {lib['process_seconds']:.2f} s whole process, CPU {lib['cpu']:.2f} s; {summary}")
    ours, lib_full = serial, lib["process_seconds"]
    if sample != full:
        ours = run_child("transform", sample, 1)
        scale = full_bytes / corpus_bytes(sample, files)
        lib_full *= scale
        by_files = lib["process_seconds"] * len(everything) / len(files)
        print(
            f"  extrapolated to the whole corpus by bytes (x{scale:.1f}): {lib_full:.0f} s"
            f" (by files: {by_files:.0f} s)"
        )
        measured = lib["process_seconds"] / ours["process_seconds"]
        print(
            f"  (a) on the same sample, one process: {ours['process_seconds']:.2f} s (whole);"
            f" (b) / (a) measured on the sample: {measured:.1f}x"
        )

    where = "extrapolated" if sample != full else "measured"
    print(f"\nratios (whole processes; (b) on the whole corpus, {where})")
    for name, data in (("one process", serial), (f"{jobs} processes", fan)):
        ratio = lib_full / data["process_seconds"]
        target = f"[{verdict(ratio >= TARGET_RATIO)} >= {TARGET_RATIO:.0f}x]"
        print(f"  (b) / (a, {name}): {ratio:7.1f}x  {target}")
    print(f"  (c) audit / (a, one process): {first['seconds'] / serial['seconds']:.2f}x in process")

    print("\npeak RSS")
    print(rss_line("(a) one process", serial, 1))
    print(rss_line(f"(a) {jobs} processes", fan, jobs))
    for name, data in audits.items():
        print(rss_line(f"(c) {name}", data, jobs))

    print("\nsame call sites? (a) vs (b)" + (" on the sample" if sample != full else ""))
    compare(ours["sites"], lib["sites"], popen_sites(sample, files))
    return 0


def timing(data: Mapping[str, Any]) -> str:
    return (
        f"{data['seconds']:6.2f} s in process, {data['process_seconds']:6.2f} s whole process,"
        f" CPU {data['cpu']:6.2f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
