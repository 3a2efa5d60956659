"""Printing an import report as a summary table (shared by the import commands)."""

from __future__ import annotations

from shop.models import ImportReport


def report_table(report: ImportReport) -> str:
    """A plain-text table of the report: totals, then rows per action and reason."""
    lines = [
        f"Import report #{report.pk}: {report.kind} from {report.path} "
        f"[{report.status}]",
        report.summary,
    ]
    if report.status == ImportReport.Status.SKIPPED:
        return "\n".join(lines)
    lines += [
        "",
        f"{'rows in file':<34}{report.rows_total:>10,}",
        f"{'imported':<34}{report.rows_imported:>10,}",
        f"{'skipped (already present)':<34}{report.rows_skipped_existing:>10,}",
        f"{'rejected (rows)':<34}{report.rows_rejected:>10,}",
        f"{'repaired (rows)':<34}{report.rows_repaired:>10,}",
        "",
        f"{'action':<10}{'reason':<24}{'rows':>10}",
        "-" * 44,
    ]
    for action in ("rejected", "repaired", "flagged"):
        for reason, n in sorted(report.counts_by_reason.get(action, {}).items()):
            lines.append(f"{action:<10}{reason:<24}{n:>10,}")
    lines.append(
        "Every issue is listed with its row number in the admin "
        f"(/admin/shop/importissue/?report__id__exact={report.pk})."
    )
    return "\n".join(lines)
