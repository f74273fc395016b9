"""The report as JSON (`--json`, shape "audit" in docs/json.md) and as a SARIF 2.1.0 log (GitHub
code scanning)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from migrate import PROJECT_URL, __version__
from migrate.audit.results import KINDS, MS_PER_PYTHON_HOOK, AuditReport, is_issue
from migrate.model import Finding

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


# -- output --------------------------------------------------------------------------------------

ESTIMATE_NOTE = (
    f"estimate: {MS_PER_PYTHON_HOOK} ms per Python hook, run one after another (the plan's"
    " assumption); `migrate hooks bench` measures"
)


# The human labels of the metrics (tables keep them) and their snake_case keys in the JSON.
METRIC_KEYS: Mapping[str, str] = {
    "subprocess calls without timeout": "subprocess_calls_without_timeout",
    "subprocess calls without timeout, by what the recipe does": (
        "subprocess_calls_without_timeout_by_outcome"
    ),
    "max_workers values": "max_workers_values",
    "hooks per event": "hooks_per_event",
    "estimated hook latency ms": "estimated_hook_latency_ms",
}
WITHOUT_TIMEOUT_KEYS: Mapping[str, str] = {
    "adds a timeout": "adds_timeout",
    "left unsafe": "left_unsafe",
    "outside its paths": "outside_paths",
}


def as_json(report: AuditReport) -> dict[str, Any]:
    """Everything in the report, for `--json` (shape "audit", docs/json.md)."""
    return {
        "schema": 1,
        "kind": "audit",
        "root": str(report.root),
        "summary": {
            "header": report.header(),
            "files_analyzed": report.files_analyzed,
            "files_with_issues": report.files_with_issues,
            "issues": report.issues_count,
            "files_with_findings": report.files_with_findings,
            "findings": report.findings_count,
            "subprocess_calls": report.subprocess_calls,
            "calls_with_timeout": report.calls_with_timeout,
            "calls_without_timeout": _without_timeout_json(report.without_timeout),
            "suppressed": report.suppressed,
            "good_files": len(report.good_files),
            "seconds": round(report.seconds, 3),
            "jobs": report.jobs,
        },
        "by_kind": report.by_kind(),
        "findings": [
            {
                "path": f.path,
                "line": f.line,
                "kind": f.kind,
                "message": f.message,
                "issue": is_issue(f),
            }
            for f in report.findings
        ],
        "hooks": {
            "events": [
                {
                    "event": e.event,
                    "hooks": e.hooks,
                    "python_hooks": e.python_hooks,
                    "registrations": e.registrations,
                    "estimated_ms": e.estimated_ms,
                }
                for e in report.hooks
            ],
            "total": report.hooks_count,
            "estimated_sequential_ms": report.estimated_hook_ms,
            "note": ESTIMATE_NOTE,
        },
        "good_files": [{"path": g.path, "reasons": list(g.reasons)} for g in report.good_files],
        "metrics": _json_metrics(report.metrics()),
    }


def _without_timeout_json(counts: Mapping[str, int]) -> dict[str, int]:
    return {WITHOUT_TIMEOUT_KEYS[label]: n for label, n in counts.items()}


def _json_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    out = {METRIC_KEYS[label]: value for label, value in metrics.items()}
    values = sorted(metrics["max_workers values"].items())
    out["max_workers_values"] = {str(k): v for k, v in values}
    label = "subprocess calls without timeout, by what the recipe does"
    out[METRIC_KEYS[label]] = _without_timeout_json(metrics[label])
    return out


def as_sarif(report: AuditReport) -> dict[str, Any]:
    """A SARIF 2.1.0 log (GitHub code scanning): one rule per kind, one result per finding."""
    kinds = list(KINDS)
    rules = [
        {
            "id": kind,
            "name": "".join(word.capitalize() for word in kind.split("-")),
            "shortDescription": {"text": KINDS[kind].title},
            "fullDescription": {"text": KINDS[kind].help},
            "help": {"text": KINDS[kind].help},
            "helpUri": PROJECT_URL,
            "defaultConfiguration": {"level": KINDS[kind].level},
            "properties": {"tags": ["issue" if KINDS[kind].issue else "informational"]},
        }
        for kind in kinds
    ]
    seen: Counter[str] = Counter()
    results = [_sarif_result(f, kinds, seen) for f in report.findings]
    driver = {
        "name": "migrate",
        "version": __version__,
        "informationUri": PROJECT_URL,
        "rules": rules,
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}
        ],
    }


def _fingerprint(finding: Finding, seen: Counter[str]) -> str:
    """Stable while lines move: the rule, the file and the message (and which occurrence of
    that triple), so that code scanning keeps one alert per finding across commits."""
    message = re.sub(r"\bline \d+", "line", finding.message)  # "(line 29)" moves too
    key = f"{finding.kind}\0{finding.path}\0{message}"
    seen[key] += 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32]


def _sarif_result(finding: Finding, kinds: list[str], seen: Counter[str]) -> dict[str, Any]:
    kind = KINDS.get(finding.kind)
    location = {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(finding.path), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(1, finding.line)},
        }
    }
    result: dict[str, Any] = {
        "ruleId": finding.kind,
        "level": kind.level if kind else "warning",
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {"migrateFinding/v1": _fingerprint(finding, seen)},
    }
    if finding.kind in kinds:
        result["ruleIndex"] = kinds.index(finding.kind)
    return result
