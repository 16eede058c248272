"""The consolidation of a batch, read from each convention's results.json (no input read again):
one row per convention (settlement, verdict, findings, eligible by kind of line), totals, the
conventions that could not be audited with their error, and what the Dihal asks of every
département (indicators summed by code, missions not carried out)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction

from .. import __version__
from ..core.activity import json_number
from ..core.audit import decisions_applied
from ..money import euros_to_cents as _cents
from ..vocabulary import VERDICTS

__all__ = ["KIND_KEYS", "MONEY", "build", "consolidate_indicators", "consolidate_missions", "eligible_by_kind"]


MONEY = ("granted", "eligible", "justified", "paid", "balance", "amount", "other_funding")
KIND_KEYS = ("personnel", "management", "direct", "hors_budget")  # a line's kind, null for hors_budget


def eligible_by_kind(results: dict) -> dict[str, float]:
    """The eligible amount of each kind of budget line (the line kinds of results.json)."""
    cents = dict.fromkeys(KIND_KEYS, 0)
    for line in results["lines"]:
        cents[line.get("kind") or "hors_budget"] += _cents(line["eligible"])
    return {kind: value / 100 for kind, value in cents.items()}


def build(result) -> dict:
    """The consolidation document from a :class:`~pexaudit.batch.BatchResult`."""
    rows, errors, documents = [], [], []
    for o in result.outcomes:
        if not o.ok:
            errors.append({"folder": o.name, "convention_id": o.convention_id, "status": o.status, "error": o.error})
            continue
        res = json.loads((result.out / o.convention_id / "results.json").read_text(encoding="utf-8"))
        documents.append(res)
        s, severities = res["settlement"], [f["severity"] for f in res["findings"]]
        phase = (res.get("procedure") or {}).get("phase", "provisoire")
        decided = decisions_applied(res)  # rows and actions, as the audit's summary counts them
        rows.append(
            {"convention_id": o.convention_id, "territory": o.territory, "title": o.title,
             "beneficiary": o.beneficiary, "folder": o.name, "granted": s["granted"],
             "eligible": res["totals"]["eligible"], "eligible_by_kind": eligible_by_kind(res),
             "other_funding": s.get("other_funding", 0.0), "cap_cost": s.get("cap_cost"),
             "justified": s["justified"], "paid": s["paid"],
             "balance": s["balance"], "outcome": s["outcome"], "amount": s["amount"], "verdict": res["verdict"],
             "phase": phase, "decisions": decided,
             "findings": {sev: severities.count(sev) for sev in ("error", "warning", "info")},
             "report": f"{o.convention_id}/rapport.html", "seconds": o.seconds}
        )  # fmt: skip
    totals = {key: sum(_cents(r[key]) for r in rows) / 100 for key in MONEY if key != "amount"}
    totals["eligible_by_kind"] = {
        kind: sum(_cents(r["eligible_by_kind"][kind]) for r in rows) / 100 for kind in KIND_KEYS
    }
    totals["reversements"] = sum(_cents(r["amount"]) for r in rows if r["outcome"] == "reversement") / 100
    # A provisional reversement is proposed (the beneficiary has not been heard yet, art. 9.1); a
    # definitive one is decided: the controller reads them apart.
    for phase, key in (("provisoire", "reversements_proposes"), ("definitif", "reversements_definitifs")):
        totals[key] = (
            sum(_cents(r["amount"]) for r in rows if r["outcome"] == "reversement" and r["phase"] == phase) / 100
        )
    totals["phases"] = {phase: sum(r["phase"] == phase for r in rows) for phase in ("provisoire", "definitif")}
    totals["soldes"] = sum(_cents(r["amount"]) for r in rows if r["outcome"] == "solde") / 100
    totals["conventions"], totals["errors"] = len(rows), len(errors)
    totals["verdicts"] = {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}
    return {
        "tool_version": __version__,
        "generated": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "conventions": rows,
        "errors": errors,
        "totals": totals,
        # What the Dihal asks of every département: indicators summed by code, missions not done.
        "indicators": consolidate_indicators(documents),
        "missions": consolidate_missions(documents),
    }


def _exact(value: float | int | None) -> Fraction | None:
    """A results.json number back to an exact fraction (through its shortest decimal text)."""
    return None if value is None else Fraction(Decimal(repr(value)))


def consolidate_indicators(results_list: list[dict]) -> list[dict]:
    """Indicators of the same code (case ignored) summed across conventions (results.json documents).

    ``realised`` sums every convention; ``target`` sums the targets given (None when none);
    ``rate`` is the realised of the conventions with a non-zero target over their targets.
    """
    groups: dict[str, dict] = {}
    for res in results_list:
        activity = res.get("activity")
        if not activity:
            continue
        for ind in activity["indicators"]:
            group = groups.setdefault(
                ind["code"].casefold(),
                {"code": ind["code"], "label": ind["label"], "realised": Fraction(0), "target": None,
                 "rated_realised": Fraction(0), "by_convention": []},
            )  # fmt: skip
            realised, target = _exact(ind["realised"]), _exact(ind["target"])
            group["realised"] += realised
            if target is not None:
                group["target"] = (group["target"] or Fraction(0)) + target
                if target:
                    group["rated_realised"] += realised
            group["by_convention"].append(
                {"convention_id": res["convention_id"], "target": ind["target"], "realised": ind["realised"],
                 "rate": ind["rate"], "alert": ind["alert"]}
            )  # fmt: skip
    out = []
    for group in groups.values():
        target = group["target"]
        out.append(
            {"code": group["code"], "label": group["label"], "conventions": len(group["by_convention"]),
             "realised": json_number(group["realised"]), "target": json_number(target),
             "rate": float(group["rated_realised"] / target) if target else None,
             "alerts": sum(1 for c in group["by_convention"] if c["alert"]), "by_convention": group["by_convention"]}
        )  # fmt: skip
    return out


def consolidate_missions(results_list: list[dict]) -> list[dict]:
    """Per convention with missions: the missions with no retenue action, and whether the
    compte rendu was missing (ACTIVITE_ABSENTE)."""
    out = []
    for res in results_list:
        activity = res.get("activity")
        if not activity:
            continue
        absent = any(f["rule"] == "ACTIVITE_ABSENTE" for f in res.get("findings", []))
        out.append(
            {"convention_id": res["convention_id"], "report_missing": absent,
             "not_carried_out": [{"code": m["code"], "label": m["label"]} for m in activity["missions"]
                                 if m["actions"] == 0]}
        )  # fmt: skip
    return out
