"""The one-screen summary of a training run: one row per fold, then mean +- sd over folds.

The CLI prints it and the notebooks display it, so both show the same numbers in the same form.
"""

from __future__ import annotations

import pandas as pd

from emotion_classifier.training.metrics import HEADLINE_METRICS, folds_table
from emotion_classifier.training.runs import SAME_TEXT_SKIP

SUMMARY_COLUMNS: tuple[str, ...] = HEADLINE_METRICS


def _number(value) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.3f}"


def _mean_sd(entry: dict | None) -> str:
    if not entry or entry.get("mean") is None:
        return "-"
    sd = entry.get("sd")
    return _number(entry["mean"]) if sd is None else f"{entry['mean']:.3f} ± {sd:.3f}"


def _summary_entry(summary: dict, column: str) -> dict | None:
    if column in summary:
        return summary[column]
    target = column.removesuffix("_ccc")
    return summary.get(target, {}).get("ccc")


def summary_table(metrics: dict) -> pd.DataFrame:
    """Per-fold scores as text (3 decimals) and a last ``mean ± sd`` row, from ``metrics.json``.

    Indexed by fold, so a notebook shows the fold names rather than row numbers."""
    per_fold = folds_table(metrics)
    rows = []
    for _, fold in per_fold.iterrows():
        row = {"fold": str(int(fold["fold"])), "n": str(int(fold["n"])) if pd.notna(fold["n"]) else "-"}
        row.update({c: _number(fold.get(c)) for c in SUMMARY_COLUMNS})
        rows.append(row)
    total = int(per_fold["n"].fillna(0).sum()) if len(per_fold) else 0
    last = {"fold": "mean ± sd", "n": str(total)}
    last.update({c: _mean_sd(_summary_entry(metrics["summary"], c)) for c in SUMMARY_COLUMNS})
    rows.append(last)
    return pd.DataFrame(rows, columns=["fold", "n", *SUMMARY_COLUMNS]).set_index("fold")


def format_summary(metrics: dict, title: str = "") -> str:
    """The table as text, with what was left out of scoring (``metrics["skipped"]``) underneath."""
    lines = [title] if title else []
    lines.append(summary_table(metrics).reset_index().to_string(index=False))
    skipped = dict(metrics.get("skipped") or {})
    same_text = skipped.pop(SAME_TEXT_SKIP, None)
    counts = [f"{name} {entry['count']}" for name, entry in skipped.items() if entry.get("count")]
    if counts:
        lines.append("not scored: " + ", ".join(counts) + " (segment ids in metrics.json)")
    if same_text is not None:
        lines.append(f"left out of training (--dedup-text, same transcript as a test row): {same_text['count']} "
                     "over all folds (per fold in folds.json)")
    return "\n".join(lines)
