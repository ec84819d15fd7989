"""Training and saving the NLU model: intent classifier + FAQ index + manifest.

A saved model is a folder of JSON and `.npz` arrays (never a pickle):

    manifest.json      data hash, normaliser fingerprint, versions, scores, settings
    classifier.json    classifier.npz
    index.json         index.npz

Loading checks the manifest first and refuses a model built for another normaliser or
format, with a message that says how to fix it (retrain).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.classifier import IntentClassifier
from bot.errors import ModelMismatchError, ModelNotFoundError
from bot.features import features_fingerprint as fingerprint
from bot.features import prepare
from bot.training_data import FAQ_PREFIX, TrainingData
from faq_index import FaqIndex

__all__ = ["FORMAT_VERSION", "NluModel", "load_model", "save_model", "train_model"]

FORMAT_VERSION = 1


@dataclass
class NluModel:
    classifier: IntentClassifier
    index: FaqIndex
    manifest: dict = field(default_factory=dict)


def _versions() -> dict[str, str]:
    names = ["pasokhgoo", "hazm", "scikit-learn", "numpy", "scipy"]
    found = {name: importlib.metadata.version(name) for name in names}
    return found | {"python": platform.python_version()}


def faq_entries(data: TrainingData) -> dict[str, list[str]]:
    """The FAQ index's entries: every `faq/<key>` intent's examples as question variants."""
    entries: dict[str, list[str]] = {}
    for example in data.examples:
        if example.intent.startswith(FAQ_PREFIX):
            entries.setdefault(example.intent.removeprefix(FAQ_PREFIX), []).append(example.text)
    return entries


def train_model(
    data: TrainingData,
    *,
    classifier_params: dict | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> NluModel:
    """Fit the classifier on every example and index the FAQ question variants.

    `on_stage` hears "training", then "indexing" (the workbench shows progress with it).
    """
    if len(data.intents) < 2:
        raise ValueError("training needs at least two intents with examples")
    stage = on_stage or (lambda _name: None)
    started = time.perf_counter()
    stage("training")
    texts = [prepare(e.text) for e in data.examples]
    labels = [e.intent for e in data.examples]
    classifier = IntentClassifier(**(classifier_params or {})).fit(texts, labels)
    stage("indexing")
    index = FaqIndex.build(faq_entries(data), prepare)
    manifest = {
        "format": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_hash": data.fingerprint,
        "normalizer": fingerprint(),
        "versions": _versions(),
        "settings": {"classifier": classifier.get_params()},
        "counts": {
            "examples": len(data.examples),
            "intents": len(data.intents),
            "faq_keys": len(index),
        },
        "train_seconds": round(time.perf_counter() - started, 3),
        "scores": {},
    }
    return NluModel(classifier, index, manifest)


def save_model(model: NluModel, directory: Path) -> Path:
    """Write the model atomically: a reader sees the old folder or the new one, never half."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".model-", dir=directory.parent))
    try:
        for name, (meta, arrays) in {
            "classifier": model.classifier.to_state(),
            "index": model.index.to_state(),
        }.items():
            (tmp / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
            np.savez(tmp / f"{name}.npz", **arrays)
        (tmp / "manifest.json").write_text(
            json.dumps(model.manifest, ensure_ascii=False, indent=2), "utf-8"
        )
        old = directory.with_name(directory.name + ".old")
        if directory.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def read_manifest(directory: Path) -> dict:
    path = Path(directory) / "manifest.json"
    if not path.exists():
        raise ModelNotFoundError(f"no trained model in {directory}: run `pasokhgoo train`")
    return json.loads(path.read_text("utf-8"))


def check_manifest(manifest: dict, directory: Path) -> None:
    if manifest.get("format") != FORMAT_VERSION:
        raise ModelMismatchError(
            f"model in {directory} has format {manifest.get('format')!r}, this version reads "
            f"{FORMAT_VERSION}: retrain with `pasokhgoo train`"
        )
    if manifest.get("normalizer") != fingerprint():
        raise ModelMismatchError(
            f"model in {directory} was trained with normaliser {manifest.get('normalizer')!r}, "
            f"this installation normalises as {fingerprint()!r} (hazm or the text rules "
            "changed): retrain with `pasokhgoo train`"
        )


def load_model(directory: Path) -> NluModel:
    directory = Path(directory)
    manifest = read_manifest(directory)
    check_manifest(manifest, directory)
    parts = {}
    for name in ("classifier", "index"):
        meta = json.loads((directory / f"{name}.json").read_text("utf-8"))
        with np.load(directory / f"{name}.npz", allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        parts[name] = (meta, arrays)
    classifier = IntentClassifier.from_state(*parts["classifier"])
    index = FaqIndex.from_state(*parts["index"], normalize=prepare)
    return NluModel(classifier, index, manifest)
