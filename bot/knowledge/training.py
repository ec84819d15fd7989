"""Live retraining: train on the current knowledge, swap the new model in, and let every
other worker follow.

A run goes validating → training → indexing → saving → swapping → done (or failed, with
the error), one at a time across all workers (the database says whether one is running).
Only a model that is fully trained and saved is swapped in, by one assignment of the
engine's interpreter; a turn keeps the interpreter it started with, so no request fails
and none mixes two models. A failed run swaps nothing: the old model keeps serving.

Other workers: a successful run is a *release* in the database (its data hash, and the
responses, titles and synonyms the model serves with). Once it is recorded, the trainer
announces it on the release signal (`bot.live`: Redis pub/sub across processes, or this
process only). Each worker's `ReleaseWatcher` wakes on the signal — and, as a fallback
for a signal lost while Redis was away, every `model_poll_seconds` — reads the newest
release, loads the model folder (shared by the workers), checks the folder's data hash
against the release, and swaps the same way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.assistant import LoadedAssistant, build_interpreter, load_interpreter
from bot.errors import PasokhgooError, TrainingBusyError
from bot.knowledge.curation import Curation
from bot.knowledge.records import RunStatus, TrainingRun
from bot.knowledge.rules import MIN_QUESTIONS
from bot.live import ReleaseSignal
from bot.model import load_model, save_model, train_model
from bot.settings import Settings
from bot.training_data import TrainingData
from bot.validation import Finding, Severity, ValidationRules, has_errors, validate

__all__ = [
    "Deployment",
    "ReleaseWatcher",
    "Stage",
    "Trainer",
    "Workbench",
    "load_knowledge",
    "start_workbench",
]

log = logging.getLogger("pasokhgoo.training")

# a run that has not reported progress for this long belongs to a process that died
STALE_AFTER = timedelta(minutes=15)
# an entry with MIN_QUESTIONS variants is valid; the shipped intents have many more
TRAINING_RULES = ValidationRules(min_examples=MIN_QUESTIONS)
MAX_FINDINGS = 200


class Stage(StrEnum):
    QUEUED = "queued"
    VALIDATING = "validating"
    TRAINING = "training"
    INDEXING = "indexing"
    SAVING = "saving"
    SWAPPING = "swapping"
    DONE = "done"
    FAILED = "failed"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _finding(finding: Finding) -> dict[str, str]:
    return {
        "severity": str(finding.severity),
        "message": finding.message,
        "where": finding.location,
    }


def _snapshot(data: TrainingData) -> dict:
    """What a worker needs besides the model folder to serve a release."""
    return {"responses": data.responses, "titles": data.titles, "synonyms": data.synonyms}


class Deployment:
    """What this worker serves; `serve` puts a loaded model in front of customers."""

    def __init__(
        self, serve: Callable[[LoadedAssistant], None], data_hash: str, release_id: int = 0
    ) -> None:
        self._serve = serve
        self._lock = threading.Lock()
        self.data_hash = data_hash
        self.release_id = release_id

    def swap(self, loaded: LoadedAssistant, release_id: int | None = None) -> None:
        with self._lock:
            self._serve(loaded)
            self.data_hash = str(loaded.model.manifest.get("data_hash"))
            if release_id is not None:
                self.release_id = max(self.release_id, release_id)
        log.info("model.swapped data_hash=%s", self.data_hash)

    def follow(self, release: TrainingRun, load: Callable[[], LoadedAssistant | None]) -> bool:
        """Serve `release` if it is newer than what this worker serves."""
        with self._lock:
            if release.id <= self.release_id:
                return False
            if release.data_hash == self.data_hash:
                self.release_id = release.id
                return False
        loaded = load()
        if loaded is None:
            return False
        self.swap(loaded, release.id)
        return True


class Trainer:
    """Runs trainings on `curation`'s knowledge, one at a time, and swaps the results in."""

    def __init__(
        self,
        settings: Settings,
        curation: Curation,
        deployment: Deployment,
        clock: Callable[[], datetime] = _utcnow,
        releases: ReleaseSignal | None = None,
    ) -> None:
        self.settings = settings
        self.curation = curation
        self.store = curation.store
        self.deployment = deployment
        self.clock = clock
        self.releases = releases  # told of each recorded release (None: nobody listens)
        self._thread: threading.Thread | None = None

    def _begin(self, author: str) -> TrainingRun:
        now = self.clock()
        run = self.store.begin_run(author, now, now - STALE_AFTER)
        if run is None:
            raise TrainingBusyError("a training run is in progress; wait for it to finish")
        return run

    def start(self, author: str) -> TrainingRun:
        """Start a run in the background; its progress is in `latest()`."""
        if self._thread is not None and self._thread.is_alive():
            raise TrainingBusyError("a training run is in progress; wait for it to finish")
        run = self._begin(author)
        self._thread = threading.Thread(
            target=self._execute, args=(run, None), name=f"pasokhgoo-train-{run.id}", daemon=True
        )
        self._thread.start()
        return run

    def run(
        self, author: str, progress: Callable[[TrainingRun], None] | None = None
    ) -> TrainingRun:
        """Train in this thread (the CLI), reporting each stage to `progress`."""
        return self._execute(self._begin(author), progress)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a background run; False if it is still going after `timeout`."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def latest(self) -> TrainingRun | None:
        runs = self.store.runs(1)
        return runs[0] if runs else None

    def _execute(
        self, run: TrainingRun, progress: Callable[[TrainingRun], None] | None
    ) -> TrainingRun:
        def stage(name: str) -> None:
            run.stage, run.updated_at = name, self.clock()
            self.store.save_run(run)
            if progress:
                progress(run)

        log.info("training.started run=%d", run.id)
        try:
            stage(Stage.VALIDATING)
            data = self.curation.training_data()
            findings = validate(data, TRAINING_RULES)
            run.findings = [_finding(f) for f in findings[:MAX_FINDINGS]]
            if has_errors(findings):
                errors = [f for f in findings if f.severity is Severity.ERROR]
                raise ValueError(
                    f"the knowledge has {len(errors)} error{'s' * (len(errors) != 1)}; "
                    f"first: {errors[0].message}"
                )
            model = train_model(data, on_stage=stage)
            stage(Stage.SAVING)
            save_model(model, self.settings.resolved_model_dir)
            stage(Stage.SWAPPING)
            interpreter = build_interpreter(model, data, self.settings)
            self.deployment.swap(LoadedAssistant(data, model, interpreter, trained_now=True))
        except Exception as exc:  # whatever failed, the old model keeps serving
            run.status, run.error = RunStatus.FAILED, str(exc) or type(exc).__name__
            run.stage, run.finished_at = Stage.FAILED, self.clock()
            log.warning("training.failed run=%d type=%s", run.id, type(exc).__name__)
        else:
            run.status, run.stage, run.finished_at = RunStatus.SUCCEEDED, Stage.DONE, self.clock()
            run.data_hash, run.counts = data.fingerprint, dict(model.manifest["counts"])
            run.knowledge = _snapshot(data)
            log.info("training.done run=%d seconds=%s", run.id, model.manifest["train_seconds"])
        run.updated_at = run.finished_at or self.clock()
        try:
            self.store.save_run(run)
            if run.status is RunStatus.SUCCEEDED:
                self.deployment.release_id = max(self.deployment.release_id, run.id)
                if self.releases is not None:  # after the record: listeners read it
                    self.releases.announce(run.id)
        except PasokhgooError as exc:
            log.warning("training.unrecorded run=%d code=%s", run.id, exc.code)
        if progress:
            progress(run)
        return run


class ReleaseWatcher:
    """Serves the releases other workers made: at once when `releases` signals one, and
    by polling the database every `model_poll_seconds` (0: signal only) in case a signal
    was lost."""

    def __init__(
        self,
        settings: Settings,
        curation: Curation,
        deployment: Deployment,
        releases: ReleaseSignal | None = None,
    ) -> None:
        self.settings = settings
        self.store = curation.store
        self.deployment = deployment
        self.releases = releases
        self._stop = threading.Event()
        self._wake = threading.Event()  # a release was signalled, or stop
        self._thread: threading.Thread | None = None

    def _load(self, release: TrainingRun) -> LoadedAssistant | None:
        model = load_model(self.settings.resolved_model_dir)
        if model.manifest.get("data_hash") != release.data_hash or not release.knowledge:
            return None  # the folder holds another run's model; a newer release will follow
        k = release.knowledge
        data = TrainingData(
            responses=k["responses"],
            titles=k["titles"],
            synonyms=k["synonyms"],
            fingerprint=release.data_hash or "",
        )
        return LoadedAssistant(data, model, build_interpreter(model, data, self.settings), False)

    def check(self) -> bool:
        """Serve the newest release if it is new here; True when a model was swapped in."""
        try:
            release = self.store.latest_release()
            if release is None:
                return False
            return self.deployment.follow(release, lambda: self._load(release))
        except PasokhgooError as exc:  # the database or the folder: the next signal or poll
            log.warning("model.reload_failed code=%s", exc.code)
            return False

    def start(self) -> None:
        interval = self.settings.model_poll_seconds or None
        if self._thread is not None or (interval is None and self.releases is None):
            return

        def loop() -> None:
            while True:
                self._wake.wait(interval)
                if self._stop.is_set():
                    return
                # cleared before the check: a signal arriving during it wakes us again
                self._wake.clear()
                try:
                    self.check()
                except Exception as exc:  # e.g. the folder replaced mid-read: keep watching
                    log.warning("model.reload_failed type=%s", type(exc).__name__)

        self._thread = threading.Thread(target=loop, name="pasokhgoo-release-watch", daemon=True)
        self._thread.start()
        if self.releases is not None:
            self.releases.listen(self._wake.set)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


@dataclass
class Workbench:
    """The content team's side of a running service."""

    curation: Curation
    deployment: Deployment
    trainer: Trainer
    watcher: ReleaseWatcher

    def close(self, timeout: float = 30.0) -> None:
        self.watcher.stop()
        self.trainer.wait(timeout)


def _record_startup_release(curation: Curation, loaded: LoadedAssistant) -> int:
    """A model trained at start-up is a release too, so running workers follow it."""
    store, now = curation.store, curation.clock()
    run = store.begin_run("startup", now, now - STALE_AFTER)
    if run is None:
        return 0
    run.status, run.stage, run.finished_at = RunStatus.SUCCEEDED, Stage.DONE, now
    run.data_hash = loaded.data.fingerprint
    run.counts = dict(loaded.model.manifest.get("counts", {}))
    run.knowledge = _snapshot(loaded.data)
    store.save_run(run)
    return run.id


def load_knowledge(settings: Settings, curation: Curation) -> tuple[LoadedAssistant, int]:
    """Seed, then load (or train) the model for the current knowledge; with the id of the
    newest release, which this worker now serves or supersedes."""
    curation.seed()
    latest = curation.store.latest_release()
    loaded = load_interpreter(settings, data=curation.training_data())
    release_id = latest.id if latest else 0
    if loaded.trained_now:
        release_id = max(release_id, _record_startup_release(curation, loaded))
    return loaded, release_id


def start_workbench(
    settings: Settings,
    curation: Curation,
    serving: tuple[LoadedAssistant, int],
    serve: Callable[[LoadedAssistant], None],
    releases: ReleaseSignal | None = None,
) -> Workbench:
    """The trainer and the release watcher for a worker serving `serving` (load_knowledge),
    announcing and hearing releases on `releases`."""
    loaded, release_id = serving
    deployment = Deployment(serve, loaded.data.fingerprint, release_id)
    workbench = Workbench(
        curation,
        deployment,
        Trainer(settings, curation, deployment, releases=releases),
        ReleaseWatcher(settings, curation, deployment, releases),
    )
    workbench.watcher.start()
    if releases is not None and loaded.trained_now and release_id:
        releases.announce(release_id)  # the start-up model went to the shared folder
    return workbench
