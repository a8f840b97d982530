"""Rich renderings of what the services return (the API's JSON shapes), for operators.

Views read presented dictionaries only, never ORM objects: the CLI shows exactly what the API
would answer a sysadmin.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from moisson.domain.json import Json

STATUS_STYLES = {
    "done": "green",
    "done-errors": "yellow",
    "failed": "red",
    "skipped": "dim",
    "archived": "magenta",
    "accepted": "green",
    "refused": "red",
}


def styled(value: str | None) -> Text:
    if value is None:
        return Text("-", style="dim")
    return Text(value, style=STATUS_STYLES.get(value, ""))


def when(value: str | None) -> str:
    """An API date-time, shortened to the second, in UTC."""
    if not value:
        return "-"
    return value.replace("T", " ")[:19]


def duration(job: Json) -> str:
    if not job.get("started"):
        return "-"
    start = datetime.fromisoformat(job["started"])
    end = datetime.fromisoformat(job["ended"]) if job.get("ended") else None
    if end is None:
        return "running"
    seconds = max(0.0, (end - start).total_seconds())
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{rest:04.1f}s" if minutes else f"{rest:.1f}s"


def _table(title: str | None, *columns: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left", expand=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


# --------------------------------------------------------------------------- backends, sources


def backends_table(backends: Sequence[Json]) -> Table:
    table = _table("Backends", "id", "label", "enabled", "filters", "features")
    for info in backends:
        table.add_row(
            info["id"],
            info["label"],
            Text("OK", style="green") if info["enabled"] else Text("KO", style="red"),
            ", ".join(f["key"] for f in info["filters"]) or "-",
            ", ".join(f["key"] for f in info["features"]) or "-",
        )
    return table


def producer(source: Json) -> str:
    if source.get("organization"):
        return f"org {source['organization']['name']}"
    if source.get("owner"):
        owner = source["owner"]
        return f"user {owner.get('first_name') or ''} {owner.get('last_name') or ''}".strip()
    return "-"


def sources_table(sources: Sequence[Json], total: int) -> Table:
    table = _table(
        f"Harvest sources ({total})",
        "slug",
        "name",
        "backend",
        "validation",
        "schedule",
        "last job",
        "producer",
        "id",
    )
    for source in sources:
        last = source.get("last_job")
        last_text = (
            Text.assemble(styled(last["status"]), f" {when(last['created'])}") if last else "-"
        )
        name = Text(source["name"])
        if source.get("deleted"):
            name.append(" (deleted)", style="red")
        table.add_row(
            source["slug"],
            name,
            source["backend"],
            styled(source["validation"]["state"]),
            source.get("schedule") or Text("not scheduled", style="dim"),
            last_text,
            producer(source),
            source["id"],
        )
    return table


def source_lines(source: Json) -> list[str]:
    """The essentials of a source, one fact per line."""
    lines = [
        f"Source:     {source['name']} [{source['slug']}] ({source['backend']})",
        f"Id:         {source['id']}",
        f"URL:        {source['url']}",
        f"Validation: {source['validation']['state']}",
        f"Schedule:   {source.get('schedule') or 'not scheduled'}",
    ]
    if source.get("next_run_at"):
        lines.append(f"Next run:   {when(source['next_run_at'])} UTC")
    return lines


# --------------------------------------------------------------------------- jobs


def counts(job: Json) -> Json:
    by_status = job["items_by_status"]
    return {
        "seen": job["items_total"] - by_status.get("archived", 0),
        "done": by_status.get("done", 0),
        "unchanged": job.get("items_unchanged", 0),
        "failed": by_status.get("failed", 0),
        "skipped": by_status.get("skipped", 0),
        "archived": by_status.get("archived", 0),
    }


def jobs_table(jobs: Sequence[Json], total: int, source_name: str) -> Table:
    table = _table(
        f"Jobs of {source_name} ({total})",
        "id",
        "status",
        "created",
        "duration",
        "seen",
        "done",
        "unchanged",
        "failed",
        "skipped",
        "archived",
        "errors",
    )
    for job in jobs:
        c = counts(job)
        table.add_row(
            job["id"],
            styled(job["status"]),
            when(job["created"]),
            duration(job),
            *(
                str(c[key])
                for key in ("seen", "done", "unchanged", "failed", "skipped", "archived")
            ),
            str(len(job["errors"])),
        )
    return table


def errors_table(title: str, errors: Sequence[Json], *, details: bool) -> Table:
    columns = ("level", "message", "details") if details else ("level", "message")
    table = _table(title, *columns)
    for error in errors:
        row = [styled(error["level"]), error["message"]]
        if details:
            row.append(error.get("details") or "-")
        table.add_row(*row)
    return table


def job_summary(job: Json, *, title: str) -> Table:
    """Status, counters and duration of a job, as a two-column table."""
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("job", job["id"] or "-")
    table.add_row("status", styled(job["status"]))
    for key, value in counts(job).items():
        table.add_row(key, str(value))
    by_type = job.get("items_by_type", {})
    table.add_row("datasets", str(by_type.get("dataset", 0)))
    table.add_row("dataservices", str(by_type.get("dataservice", 0)))
    table.add_row("started", when(job["started"]))
    table.add_row("ended", when(job["ended"]))
    table.add_row("duration", duration(job))
    if job.get("truncated"):
        table.add_row("truncated", "yes (not every record was harvested)")
    quality = job.get("quality") or {}
    if quality.get("assessed"):
        table.add_row(
            "DCAT-AP",
            f"{quality['assessed']} assessed, {quality['nonconforming']} with violations "
            f"({quality['violations']} violations, {quality['warnings']} warnings)",
        )
    return table


def job_view(job: Json, *, details: bool) -> RenderableType:
    parts: list[RenderableType] = [job_summary(job, title=f"Job {job['id']}")]
    if job["errors"]:
        parts.append(errors_table("Job errors", job["errors"], details=details))
    return Group(*parts)


def items_table(items: Sequence[Json], total: int, *, details: bool, title: str = "Items") -> Table:
    table = _table(f"{title} ({total})", "remote id", "status", "object", "errors", "quality")
    for item in items:
        obj = item.get("dataset") or item.get("dataservice")
        status = styled(item["status"])
        if item.get("unchanged"):
            status.append(" (unchanged)", style="dim")
        messages = []
        for error in item["errors"]:
            line = f"{error['level']}: {error['message']}"
            if details and error.get("details"):
                line += f"\n{error['details'].rstrip()}"
            messages.append(line)
        table.add_row(
            item["remote_id"] or "-",
            status,
            obj["id"] if obj else "-",
            "\n".join(messages) or "-",
            item_quality(item.get("quality"), details=details),
        )
    return table


def item_quality(quality: Json | None, *, details: bool) -> str:
    """`MQA 245 (good), 1 violation, 6 warnings`, and the violations themselves."""
    if not quality:
        return "-"
    parts = []
    mqa = quality.get("mqa")
    if mqa:
        parts.append(f"MQA {mqa['score']} ({mqa['band']})")
    parts.append(f"{quality['violations']} violation(s), {quality['warnings']} warning(s)")
    lines = [", ".join(parts)]
    if details:
        lines.extend(
            f"  {r['focus']}: {r['message']}"
            for r in quality.get("results", [])
            if r.get("severity") == "Violation"
        )
    return "\n".join(lines)


def quality_view(figures: Json, source_name: str) -> RenderableType:
    """A source's quality figures (`services.quality.source_quality`)."""
    summary = Table(
        title=f"Quality of {source_name}", box=box.SIMPLE_HEAVY, title_justify="left",
        show_header=False,
    )  # fmt: skip
    summary.add_column("", style="bold")
    summary.add_column("")
    summary.add_row("datasets scored", str(figures["datasets"]))
    average = figures["average"]
    summary.add_row("MQA average", "-" if average is None else f"{average} / {figures['maximum']}")
    for band, count in figures["bands"].items():
        summary.add_row(band, str(count))
    summary.add_row(
        "DCAT-AP",
        f"{figures['nonconforming']} dataset(s) with violations "
        f"({figures['violations']} violations, {figures['warnings']} warnings)",
    )
    metrics = _table("Share of datasets meeting each metric", "metric", "share")
    for metric, share in sorted(figures["metrics"].items(), key=lambda kv: kv[1]):
        metrics.add_row(metric, f"{share:.0%}")
    to_fix = _table("Datasets to fix first", "dataset", "title", "score", "band", "violations")
    for row in figures["to_fix"]:
        to_fix.add_row(
            row["id"], row["title"], str(row["score"]), row["band"] or "-", str(row["violations"])
        )
    return Group(summary, metrics, to_fix)


# --------------------------------------------------------------------------- preview


def preview_table(preview: Json) -> RenderableType:
    items = preview["items"]
    table = _table(
        f"Preview: {len(items)} record(s), status {preview['status']} (nothing saved)",
        "remote id",
        "title",
        "kind",
        "resources",
        "licence",
        "status",
        "errors",
    )
    for item in items:
        dataset, dataservice = item.get("dataset"), item.get("dataservice")
        obj = dataset or dataservice
        table.add_row(
            item["remote_id"] or "-",
            obj["title"] if obj else "-",
            "dataset" if dataset else "dataservice" if dataservice else "-",
            str(len(dataset["resources"])) if dataset else "-",
            (obj.get("license") or "-") if obj else "-",
            styled(item["status"]),
            "\n".join(e["message"] for e in item["errors"]) or "-",
        )
    parts: list[RenderableType] = [table]
    if preview["errors"]:
        parts.append(errors_table("Job errors", preview["errors"], details=True))
    return Group(*parts)
