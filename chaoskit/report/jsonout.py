"""Metrics for machines: one JSON document per run (or per comparison), keys sorted."""

from __future__ import annotations

import json
from typing import Any

from chaoskit.report.definitions import HEADLINE
from chaoskit.report.rundata import RunData

__all__ = ["dump", "run_summary"]

SCHEMA = "chaoskit.report/v1"


def run_summary(run: RunData) -> dict[str, Any]:
    journal = run.journal
    return {
        "run_id": journal.run_id,
        "title": journal.title,
        "source": journal.source,
        "started_at": journal.started_at,
        "backend": journal.backend,
        "profile": journal.profile,
        "profiles": journal.profiles,
        "status": journal.status,
        "verdict": journal.verdict,
        "held": journal.held,
        "metrics": journal.metrics,
        "faults": [
            {
                "label": f.label,
                "kind": f.kind,
                "target": f.target,
                "injected_s": None if f.injected_t is None else round(f.injected_t - run.origin, 3),
                "reverted_s": None if f.reverted_t is None else round(f.reverted_t - run.origin, 3),
                "overstay_s": round(f.overstay_s, 3),
                "outcome": f.outcome,
                "verified": f.verified,
            }
            for f in journal.faults
        ],
        "steady_state": [
            {"probe": p.name, "phase": p.phase, "ok": p.ok, "detail": p.detail}
            for p in journal.probes
            if p.phase in ("before", "after")
        ],
        "versions": journal.versions,
    }


def definitions() -> dict[str, dict[str, str]]:
    return {
        m.key: {"label": m.label, "unit": m.unit, "definition": m.definition, "better": m.better}
        for m in HEADLINE
    }


def dump(document: dict[str, Any]) -> str:
    return json.dumps({"schema": SCHEMA, **document, "definitions": definitions()},
                      indent=2, sort_keys=True, default=str) + "\n"  # fmt: skip
