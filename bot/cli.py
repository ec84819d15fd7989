"""The `pasokhgoo` command: one subcommand per job, tables for people, non-zero on failure.

Heavy imports (hazm, scikit-learn, FastAPI) happen inside the commands, so `--help`
answers at once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli_knowledge import faq_app, insights
from bot.errors import PasokhgooError

if TYPE_CHECKING:
    from telegram import User as TelegramUser

    from bot.evaluation import EvaluationResult

__all__ = ["app", "main"]

app = typer.Typer(
    help="Pasokhgoo (پاسخگو): Persian customer-support chatbot.",
    no_args_is_help=True,
    add_completion=False,
)
data_app = typer.Typer(help="Check the knowledge base.", no_args_is_help=True)
nlu_app = typer.Typer(help="Measure the NLU model.", no_args_is_help=True)
app.add_typer(data_app, name="data")
rasa_app = typer.Typer(help="Run a Rasa 3.6 bot on Pasokhgoo.", no_args_is_help=True)
app.add_typer(nlu_app, name="nlu")
app.add_typer(rasa_app, name="rasa")
telegram_app = typer.Typer(help="The Telegram channel.", no_args_is_help=True)
app.add_typer(telegram_app, name="telegram")
app.add_typer(faq_app, name="faq")
app.command("insights")(insights)

console = Console()
err = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option("--data", help="knowledge base folder or file")]
ModelDir = Annotated[Path | None, typer.Option("--model", help="model folder")]


def _settings(data: Path | None = None, model: Path | None = None):
    from bot.settings import get_settings

    overrides: dict = {}
    if data is not None:
        overrides["data_dir"] = data
    if model is not None:
        overrides["model_dir"] = model
    return get_settings(**overrides)


@app.command()
def train(data: DataDir = None, model: ModelDir = None) -> None:
    """Train the intent classifier and FAQ index on the knowledge base and save them.

    With a database (PASOKHGOO_DATABASE_URL, or var/pasokhgoo.db once the server ran),
    the knowledge is nlu_data plus the workbench's edits, and running servers swap the
    new model in."""
    from bot.cli_knowledge import has_database, train_from_database
    from bot.model import save_model, train_model
    from bot.training_data import load_training_data

    settings = _settings(data, model)
    if has_database(settings):
        train_from_database(settings)
        return
    with console.status("Training…"):
        training = load_training_data(settings.data_dir)
        trained = train_model(training)
        path = save_model(trained, settings.resolved_model_dir)
    counts = trained.manifest["counts"]
    console.print(
        f"[green]Trained[/] {counts['intents']} intents, {counts['examples']} examples, "
        f"{counts['faq_keys']} FAQ entries in {trained.manifest['train_seconds']:.2f} s → {path}"
    )


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="a customer's message")],
    data: DataDir = None,
    model: ModelDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="print Rasa's parse JSON")] = False,
) -> None:
    """Run one message through the whole engine (no server): parse, decision and reply."""
    import tempfile

    from bot.assistant import build_engine, load_interpreter
    from bot.domain import InboundMessage
    from bot.stores import open_stores

    settings = _settings(data, model)
    loaded = load_interpreter(settings)
    with tempfile.TemporaryDirectory() as tmp, open_stores("memory://", Path(tmp)) as stores:
        engine = build_engine(settings, loaded, stores)
        result = engine.handle(InboundMessage("cli", text, "cli"))
    parse = result.parse
    if as_json:
        print(json.dumps(parse.to_rasa(), ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]normalised:[/] {parse.normalized}")
    table = Table("intent", "confidence", title="ranking")
    for score in parse.ranking[:5]:
        table.add_row(score.name, f"{score.confidence:.3f}")
    console.print(table)
    faq_hits = loaded.interpreter.model.index.search(text, 3)
    if faq_hits:
        hits = Table("faq key", "score", "closest question", title="FAQ index")
        for hit in faq_hits:
            hits.add_row(hit.key, f"{hit.score:.3f}", hit.question)
        console.print(hits)
    for entity in parse.entities:
        console.print(
            f"[bold]entity:[/] {entity.entity} = {entity.value} "
            f"[dim]({entity.start}–{entity.end})[/]"
        )
    console.print(f"[bold]understood:[/] {parse.verdict.confidence} — {parse.verdict.reason}")
    console.print(f"[bold]action:[/] {result.action}")
    for reply in result.replies:
        console.print(f"[bold]reply:[/] {reply.text}")
        for button in reply.buttons:
            console.print(f"  [cyan]\\[{button.title}][/] {button.payload}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    data: DataDir = None,
    model: ModelDir = None,
    workers: Annotated[
        int, typer.Option(min=1, help="worker processes (share state: docs/scale-out.md)")
    ] = 1,
) -> None:
    """Start the HTTP service (trains a model on first start when none is saved)."""
    from bot.server import run

    run(_settings(data, model), host, port, workers, data=data, model=model)


def _shown_path(path: str | Path | None, base: Path | None = None) -> str:
    """A short path for tables: relative to the working directory, else to `base`."""
    if not path:
        return ""
    resolved = Path(path).resolve()
    roots = [Path.cwd()]
    if base is not None:
        roots.append(base.resolve() if base.is_dir() else base.resolve().parent)
    for root in roots:
        if resolved.is_relative_to(root):
            return str(resolved.relative_to(root))
    return str(path)


@data_app.command("validate")
def data_validate(
    data: DataDir = None,
    min_examples: Annotated[
        int, typer.Option(help="fewer examples than this for an intent is an error")
    ] = 5,
    recommended_examples: Annotated[
        int, typer.Option(help="fewer examples than this for an intent is a warning")
    ] = 25,
    similarity: Annotated[
        float, typer.Option(help="character 3-gram overlap that flags a near-duplicate")
    ] = 0.9,
) -> None:
    """Check the knowledge base; exit 1 when there is an error (warnings alone pass)."""
    from bot.validation import Severity, ValidationRules, has_errors, validate_files

    settings = _settings(data)
    try:
        rules = ValidationRules(min_examples, recommended_examples, similarity)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    with console.status("Checking the knowledge base…"):
        loaded, findings = validate_files(settings.data_dir, rules=rules)
    if findings:
        rows = []
        for finding in findings:
            style = "red" if finding.severity is Severity.ERROR else "yellow"
            where = _shown_path(finding.path, settings.data_dir)
            if where and finding.line:
                where = f"{where}:{finding.line}"
            # messages name other places in full; below the working directory, shorten
            message = finding.message.replace(f"{Path.cwd()}{os.sep}", "")
            rows.append((f"[{style}]{finding.severity}[/]", where, message))
        table = Table("severity", "where", "problem", title="Knowledge base findings")
        # keep file:line on one line (editors and terminals make it clickable); the
        # message column wraps instead
        table.columns[1].no_wrap = True
        table.columns[1].min_width = min(60, max(len(row[1]) for row in rows))
        for row in rows:
            table.add_row(*row)
        console.print(table)
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warning_count = len(findings) - errors
    scope = _shown_path(settings.data_dir)
    if loaded is not None:
        scope += (
            f" ({len(loaded.files)} files, {len(loaded.examples)} examples, "
            f"{len(loaded.intents)} intents)"
        )
    colour = "red" if errors else "yellow" if warning_count else "green"
    console.print(
        f"[{colour}]{errors} error{'s' * (errors != 1)}, "
        f"{warning_count} warning{'s' * (warning_count != 1)}[/] in {scope}"
    )
    if has_errors(findings):
        raise typer.Exit(1)


Out = Annotated[Path, typer.Option("--out", help="folder for the report and figures")]


def _evaluation_summary(result: EvaluationResult, paths: dict[str, Path]) -> None:
    """Print the headline scores, the five weakest intents and where the files went."""
    scores = Table("measure", "value", title="Intent evaluation")
    scores.add_row("method", result.method)
    scores.add_row("test sentences", str(len(result.predictions)))
    scores.add_row("accuracy", f"{result.accuracy:.3f}")
    scores.add_row("macro F1", f"{result.macro_f1:.3f}")
    scores.add_row("weighted F1", f"{result.weighted_f1:.3f}")
    scores.add_row("time", f"{result.seconds:.1f} s")
    console.print(scores)
    worst = Table(
        "intent",
        "F1",
        "precision",
        "recall",
        "support",
        "mostly confused with",
        title="Five weakest intents",
    )
    for row in result.intent_scores()[:5]:
        confused = ", ".join(f"{name} ({n})" for name, n in row.confused_with.items())
        worst.add_row(
            row.intent,
            f"{row.f1:.3f}",
            f"{row.precision:.3f}",
            f"{row.recall:.3f}",
            str(row.support),
            confused or "—",
        )
    console.print(worst)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    for path in paths.values():
        console.print(f"wrote {_shown_path(path)}")


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@nlu_app.command("evaluate")
def nlu_evaluate(
    train: Annotated[list[Path], typer.Option("--train", help="training NLU file or folder")],
    test: Annotated[list[Path], typer.Option("--test", help="test NLU file or folder")],
    out: Out = Path("results"),
) -> None:
    """Train on --train, predict every example of --test, and write Rasa's report files."""
    from bot.evaluation import evaluate, write_report
    from bot.training_data import load_training_data

    try:
        train_data = load_training_data(*train)
        test_data = load_training_data(*test)
        with _progress() as progress:
            result = evaluate(train_data, test_data, progress=progress)
    except ValueError as exc:  # DataError included: bad file, too few intents
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    _evaluation_summary(result, write_report(result, out))


@nlu_app.command("cross-validate")
def nlu_cross_validate(
    data: DataDir = None,
    folds: Annotated[int, typer.Option(help="number of folds")] = 5,
    seed: Annotated[int, typer.Option(help="seed of the fold shuffle")] = 42,
    out: Out = Path("results"),
) -> None:
    """Stratified K-fold cross-validation over the knowledge base's examples."""
    from bot.evaluation import cross_validate, write_report
    from bot.training_data import load_training_data

    settings = _settings(data)
    try:
        training = load_training_data(settings.data_dir)
        with _progress() as progress:
            result = cross_validate(training, folds, seed, progress=progress)
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    _evaluation_summary(result, write_report(result, out))


@telegram_app.command("set-webhook")
def telegram_set_webhook(
    url: Annotated[str, typer.Argument(help="https://your.host/webhooks/telegram")],
) -> None:
    """Have Telegram POST updates to URL, with PASOKHGOO_TELEGRAM_WEBHOOK_SECRET."""
    import asyncio

    from api.telegram.setup import set_webhook

    me = asyncio.run(set_webhook(_settings(), url))
    console.print(f"[green]Webhook set:[/] @{me.username} → {url}")


@telegram_app.command("poll")
def telegram_poll(data: DataDir = None, model: ModelDir = None) -> None:
    """Answer Telegram by polling (no public URL needed) until Ctrl-C; removes a webhook."""
    import asyncio

    from api.services import build_services
    from api.telegram.polling import poll_until_signal
    from bot.logs import configure_logging

    configure_logging()
    settings = _settings(data, model)
    if settings.telegram_token is None:
        err.print("[red]error:[/] set PASOKHGOO_TELEGRAM_TOKEN (the token from @BotFather)")
        raise typer.Exit(1)
    with console.status("Loading the model…"):
        services = build_services(settings)

    def ready(me: TelegramUser) -> None:
        console.print(f"[green]Polling[/] as @{me.username}; Ctrl-C stops.")

    try:
        asyncio.run(poll_until_signal(services, ready))
    finally:
        services.close()


@rasa_app.command("export")
def rasa_export(
    out: Annotated[Path, typer.Argument(help="folder for the Rasa project")],
    url: Annotated[
        str, typer.Option("--url", help="where Rasa reaches Pasokhgoo (NLU and actions)")
    ] = "http://127.0.0.1:8000",
    data: DataDir = None,
) -> None:
    """Write a Rasa 3.6 project that uses Pasokhgoo as its NLU and action server."""
    from bot.rasa_export import export_project
    from bot.training_data import load_training_data

    settings = _settings(data)
    training = load_training_data(settings.data_dir)
    for path in export_project(training, out, url, settings):
        console.print(f"wrote {_shown_path(path)}")
    console.print(
        f"[green]Exported[/] {len(training.intents)} intents and {len(training.responses)} "
        f"responses; Rasa will call Pasokhgoo at {url}",
        soft_wrap=True,
    )


def main() -> None:
    try:
        app()
    except PasokhgooError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise SystemExit(1) from None
