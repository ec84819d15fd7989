"""The workbench's commands: `pasokhgoo faq export|import`, `pasokhgoo insights`, and
training from the database (`pasokhgoo train` when a database exists).

They use the database the settings name (PASOKHGOO_DATABASE_URL, default
var/pasokhgoo.db), seeded from nlu_data on first use, as the server does.
"""

from __future__ import annotations

import getpass
import sys
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bot.knowledge.analytics import Figures
    from bot.knowledge.curation import Curation
    from bot.settings import Settings
    from bot.stores import Stores

__all__ = ["faq_app", "has_database", "insights", "train_from_database"]

faq_app = typer.Typer(help="The FAQ entries in the database.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option("--data", help="knowledge base folder or file")]
Author = Annotated[str | None, typer.Option("--author", help="name kept in the history")]


def _settings(data: Path | None = None) -> Settings:
    from bot.settings import get_settings

    return get_settings(**({"data_dir": data} if data is not None else {}))


def _author(author: str | None) -> str:
    if author:
        return author
    try:
        return f"{getpass.getuser()} (cli)"
    except (KeyError, OSError):
        return "cli"


def has_database(settings: Settings) -> bool:
    """A database that outlives this command: configured, or the default file exists."""
    url = settings.database_url
    if url is not None:
        return not url.startswith("memory:")
    return (settings.var_dir / "pasokhgoo.db").exists()


@contextmanager
def _opened(settings: Settings) -> Iterator[tuple[Stores, Curation]]:
    from bot.knowledge.curation import Curation
    from bot.stores import open_stores

    with open_stores(settings.resolved_database_url, settings.var_dir) as stores:
        curation = Curation(stores.knowledge, settings.data_dir)
        curation.seed()
        yield stores, curation


def train_from_database(settings: Settings, author: str | None = None) -> None:
    """Train on nlu_data + the database's edits, as `POST /v1/admin/train` does; running
    servers swap the new model in at once with Redis (its release signal), else within
    `model_poll_seconds`."""
    from bot.assistant import open_live_for
    from bot.knowledge.records import RunStatus
    from bot.knowledge.training import Deployment, Trainer

    live = open_live_for(settings)
    try:
        with _opened(settings) as (_stores, curation):
            deployment = Deployment(lambda _loaded: None, "")
            trainer = Trainer(settings, curation, deployment, releases=live.releases)
            with console.status("Training…") as status:
                run = trainer.run(_author(author), lambda r: status.update(f"Training: {r.stage}…"))
    finally:
        live.close()
    if run.status is not RunStatus.SUCCEEDED:
        for finding in run.findings:
            if finding["severity"] == "error":
                err.print(f"[red]{finding['where'] or 'knowledge'}:[/] {finding['message']}")
        err.print(f"[red]Training failed:[/] {run.error}; the old model keeps serving.")
        raise typer.Exit(1)
    counts = run.counts
    console.print(
        f"[green]Trained[/] run {run.id}: {counts.get('intents')} intents, "
        f"{counts.get('examples')} examples, {counts.get('faq_keys')} FAQ entries "
        f"(database knowledge) → {settings.resolved_model_dir}"
    )


@faq_app.command("export")
def faq_export(
    format: Annotated[str, typer.Option("--format", help="csv, xlsx or rasa")] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", help="file (default: standard output)")
    ] = None,
    all_entries: Annotated[bool, typer.Option("--all", help="rasa: disabled entries too")] = False,
    data: DataDir = None,
) -> None:
    """Write the FAQ entries as CSV, XLSX or Rasa YAML (reviewable in git)."""
    from bot.knowledge.compose import to_rasa_yaml
    from bot.knowledge.sheets import write_csv, write_xlsx

    if format not in ("csv", "xlsx", "rasa"):
        raise typer.BadParameter("--format must be csv, xlsx or rasa")
    if format == "xlsx" and out is None:
        raise typer.BadParameter("an XLSX file needs --out")
    with _opened(_settings(data)) as (_stores, curation):
        entries = curation.entries()
        if format == "rasa":
            text = to_rasa_yaml(entries, curation.store.examples(), all_entries=all_entries)
            content = text.encode()
        else:
            content = write_csv(entries) if format == "csv" else write_xlsx(entries)
    if out is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    err.print(f"wrote {len(entries)} entries to {out}")


@faq_app.command("import")
def faq_import(
    file: Annotated[Path, typer.Argument(help="a CSV (UTF-8) or XLSX file", exists=True)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only report")] = False,
    author: Author = None,
    data: DataDir = None,
) -> None:
    """Add and change entries from a spreadsheet: all rows, or none if one is rejected."""
    from bot.knowledge.sheets import read_sheet

    with _opened(_settings(data)) as (_stores, curation):
        report = curation.import_rows(
            read_sheet(file.read_bytes()), _author(author), dry_run=dry_run
        )
    table = Table(
        "row", "key", "outcome", "why", title="Import" + (" (dry run)" if dry_run else "")
    )
    for outcome in report.outcomes:
        why = ", ".join(outcome.fields) or "; ".join(
            f"{p.field}: {p.message}" for p in outcome.problems
        )
        colour = {"reject": "red", "add": "green", "change": "yellow"}.get(outcome.action, "dim")
        table.add_row(str(outcome.row), outcome.key, f"[{colour}]{outcome.action}[/]", why)
    console.print(table)
    summary = report.to_dict()["summary"]
    console.print(", ".join(f"{n} {name}" for name, n in summary.items()))
    if report.rejected:
        err.print("[red]Nothing was imported:[/] fix the rejected rows and import again.")
        raise typer.Exit(1)
    if report.applied:
        console.print("[green]Imported.[/] Train (`pasokhgoo train`) to answer with it.")


def _row(label: str, f: Figures) -> list[str]:
    return [
        label,
        str(f.conversations),
        str(f.messages),
        str(f.answered),
        f"{f.deflection_rate:.0%}",
        str(f.clarified),
        str(f.escalated),
        str(f.tickets),
        f"{f.fallback_rate:.0%}",
    ]


def _figures_table(title: str, first: str) -> Table:
    columns = ("conv.", "msgs", "answered", "deflect.", "clarif.", "escal.", "tickets", "fallb.")
    return Table(first, *columns, title=title)


def insights(
    since: Annotated[str, typer.Option("--since", help="7d, 24h, 30m or an ISO date")] = "7d",
    until: Annotated[str | None, typer.Option("--until", help="default: now")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="only this channel")] = None,
    gaps: Annotated[int, typer.Option("--gaps", help="biggest knowledge gaps shown")] = 5,
    data: DataDir = None,
) -> None:
    """Conversation figures per day and channel, top intents and knowledge gaps."""
    from bot.knowledge.analytics import parse_moment, report
    from bot.knowledge.gaps import cluster_gaps
    from bot.knowledge.rules import normalized

    now = datetime.now(UTC)
    try:
        start = parse_moment(since, now)
        end = parse_moment(until, now) if until else now
    except ValueError as exc:
        raise typer.BadParameter(f"{exc} (use 7d, 24h, 30m or 2025-03-20)") from None
    settings = _settings(data)
    with _opened(settings) as (stores, curation):
        turns = [t for t in stores.turns.turns(start, end) if channel in (None, t.channel)]
        found = report(turns, start, end)
        background = [normalized(x.text) for x in curation.training_data().examples] if gaps else []
        clusters = cluster_gaps(turns, background)[:gaps] if gaps else []
    period = f"{start.astimezone(UTC):%Y-%m-%d %H:%M} – {end.astimezone(UTC):%Y-%m-%d %H:%M}"
    scope = f"{len(turns)} messages" + (f", channel {channel}" if channel else "")
    console.print(f"[bold]{period} UTC[/] ({scope})")
    days = _figures_table("Per day (Iran time)", "day")
    for day, figures in found.days.items():
        days.add_row(*_row(day.isoformat(), figures))
    days.add_row(*_row("total", found.totals), style="bold")
    console.print(days)
    if found.channels:
        channels = _figures_table("Per channel", "channel")
        for name, figures in found.channels.items():
            channels.add_row(*_row(name, figures))
        console.print(channels)
    tops = Table("top intents", "n", "top FAQ keys", "n")
    for i in range(max(len(found.top_intents), len(found.top_faq_keys))):
        intent = found.top_intents[i] if i < len(found.top_intents) else ("", "")
        key = found.top_faq_keys[i] if i < len(found.top_faq_keys) else ("", "")
        tops.add_row(intent[0], str(intent[1]), key[0], str(key[1]))
    console.print(tops)
    if clusters:
        table = Table("messages", "example", "suggested intent", title="Knowledge gaps")
        for gap in clusters:
            table.add_row(str(gap.count), gap.messages[0], gap.suggested_intent or "—")
        console.print(table)
