"""The transforms' counters in the user's words (migrate/labels.py): every counter a built-in
recipe reports on the example has words, and the step summary says them."""

from __future__ import annotations

from pathlib import Path

from migrate import labels, recipes
from migrate.engine.compute import ApplyOptions, preview
from migrate.engine.step import summarise


def test_every_builtin_counter_has_words(example_repo: Path) -> None:
    known = recipes.load_all(recipes.recipe_dirs(example_repo))
    results = preview(example_repo, list(known.values()), ApplyOptions())
    reported = {(r.transform, key) for r, res in results for key in res.counts}
    assert ("subprocess-timeouts", "has_timeout") in reported
    missing = [pair for pair in reported if pair[1] not in labels._labels(pair[0])]
    assert not missing, missing
    timeouts = next((r, res) for r, res in results if r.id == "subprocess-timeouts")
    summary = summarise(*timeouts)
    assert "1 call already has a timeout" in summary and "has_timeout" not in summary
    assert "1 call passes **kwargs (left alone)" in summary


def test_one_and_many_and_unknown_counters() -> None:
    assert labels.describe("max-workers", {"code": 1, "strings": 2, "suppressed": 0}) == [
        "1 pool raised",
        "2 string literals updated",
    ]
    assert labels.describe("libcst:mod.Cls", {"files": 3, "unparsable": 1}) == [
        "1 file that does not parse"
    ]
    assert labels.describe("no-such", {"new_counter": 2}) == ["new counter: 2"]
    assert labels.json_counts({"unified hooks": 2}) == {"unified_hooks": 2}
