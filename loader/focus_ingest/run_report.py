"""What a `load`/`run` tells its operator at the end: the summary, the build, every rejected file, the result.

`ok` means the run worked: every data source ran and `dbt build` (for `run`) did not fail. Files that
validation rejected do not make a run fail (one bad file must not hold back the others' marts); they are
listed in plain sight, counted in `files_rejected`, and turn into exit status 3 with `--fail-on-rejected`.
"""

from __future__ import annotations

from dataclasses import dataclass

from focus_ingest.dbt_build import BuildResult
from focus_ingest.month_history import MonthHistory, missing_line, restated_line
from focus_ingest.planning import RunSummary
from focus_ingest.progress import human_bytes, plural
from focus_ingest.verdicts import FileVerdict

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTED = 0, 1, 2, 3


@dataclass(frozen=True)
class RunOutcome:
    command: str  # load | run
    summary: RunSummary
    build: BuildResult | None = None  # None for `load`
    rejected: list[FileVerdict] | None = None  # None when not known (`load`, or the build failed)
    history: MonthHistory | None = None  # None when not known, as `rejected`

    @property
    def failures(self) -> list[str]:
        reasons = [f"data source {source.name} failed" for source in self.summary.sources if source.failed]
        if self.build is not None and self.build.state == "failed":
            reasons.append("dbt build failed")
        return reasons

    @property
    def ok(self) -> bool:
        return not self.failures

    def exit_status(self, fail_on_rejected: bool) -> int:
        if not self.ok:
            return EXIT_FAILED
        return EXIT_REJECTED if fail_on_rejected and self.rejected else EXIT_OK

    def as_dict(self) -> dict[str, object]:
        document = self.summary.as_dict()
        document["command"] = self.command
        document["ok"] = self.ok
        document["failures"] = self.failures
        if self.build is not None:
            document["build"] = {"state": self.build.state, "reason": self.build.reason}
        document["files_rejected"] = None if self.rejected is None else len(self.rejected)
        document["rejected"] = None if self.rejected is None else [verdict.as_dict() for verdict in self.rejected]
        history = self.history
        document["restated_months"] = (
            None if history is None else [month.as_dict() for month in history.restated_by(self.summary.run_id)]
        )
        document["missing_feeds"] = None if history is None else [feed.as_dict() for feed in history.missing]
        return document


def _totals_lines(summary: RunSummary, command: str) -> list[str]:
    totals = summary.totals()
    return [
        f"focus-ingest {command} {summary.run_id} (as of {summary.as_of}, months from {summary.first_month})",
        f"  periods: {totals['periods_found']} found, {totals['periods_skipped']} skipped (before the window)",
        "  files:   {files_new} new, {files_changed} changed, {files_unchanged} unchanged, {files_deleted} deleted, "
        "{files_ignored} ignored, {files_unreadable} unreadable, {files_retry} to retry".format(**totals),
        f"  rows:    {plural(totals['rows_loaded'], 'row')} loaded, {totals['rows_retracted']:,} retracted; "
        f"{plural(totals['objects_downloaded'], 'file')} fetched ({human_bytes(totals['bytes_downloaded'])})",
        f"  time:    {summary.seconds:.1f} s; database {summary.database}",
    ]


def _source_lines(summary: RunSummary, show_unreadable: bool) -> list[str]:
    lines = []
    for source in summary.sources:
        lines.append(f"  source {source.name} ({source.location}):")
        if source.failed:
            lines.append("    FAILED: " + source.failed.replace("\n", "\n      "))
            continue
        lines.append(f"    months processed: {', '.join(source.periods_processed) or 'none'}")
        if source.periods_skipped:
            lines.append(
                f"    months skipped:   {', '.join(source.periods_skipped)} (use --backfill-from to load them)"
            )
        if show_unreadable:
            for entry in source.unreadable:
                where = f" (line {entry['line']})" if entry["line"] else ""
                lines.append(f"    unreadable {entry['key']}: {entry['reason']}{where}")
            hidden = source.files_unreadable - len(source.unreadable)
            if hidden > 0:
                lines.append(f"    … and {hidden} more (see --json or `focus-ingest status`)")
        examples = {entry["reason"]: entry["key"] for entry in reversed(source.ignored)}
        for reason, count in source.ignored_reasons.items():
            example = examples.get(reason, "")
            what = example if count == 1 else f"{count} objects" + (f", e.g. {example}" if example else "")
            lines.append(f"    ignored {what}: {reason}")
        for retried in source.retry:
            lines.append(f"    retry next run {retried['key']}: {retried['reason']}")
    return lines


def _build_line(build: BuildResult) -> str:
    text = {"built": "done", "skipped": "skipped", "failed": "FAILED", "not run": "not run"}[build.state]
    return f"  dbt build: {text}" + (f" ({build.reason})" if build.reason else "")


def _rejected_lines(rejected: list[FileVerdict], run_id: str) -> list[str]:
    if not rejected:
        return ["  rejected files: none"]
    lines = [f"  rejected files: {len(rejected)} (none of their rows reaches the marts; see `focus-ingest status`)"]
    for verdict in rejected:
        new = " (read this run)" if verdict.run_id == run_id else ""
        lines.append(f"    {verdict.verdict} {verdict.data_source}:{verdict.key}{new}: {verdict.first_error or '?'}")
    return lines


def render_outcome(outcome: RunOutcome) -> str:
    """The end-of-run text a person reads in a terminal or a cron mail."""
    lines = _totals_lines(outcome.summary, outcome.command)
    lines += _source_lines(outcome.summary, show_unreadable=outcome.rejected is None)
    if outcome.build is not None:
        lines.append(_build_line(outcome.build))
    if outcome.rejected is not None:
        lines += _rejected_lines(outcome.rejected, outcome.summary.run_id)
    if outcome.history is not None:
        lines.append("  " + restated_line(outcome.history.restated_by(outcome.summary.run_id), "restated months"))
        lines.append("  " + missing_line(outcome.history.missing))
    if outcome.failures:
        lines.append("result: FAILED (" + "; ".join(outcome.failures) + ")")
    elif outcome.rejected:
        rejected = plural(len(outcome.rejected), "file")
        lines.append(f"result: ok, {rejected} rejected (--fail-on-rejected makes that exit status 3)")
    else:
        lines.append("result: ok")
    return "\n".join(lines)
