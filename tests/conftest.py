"""Shared fixtures: one model trained on the shipped knowledge base per test session,
and an app factory whose every instance has its own database and upload folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.model import save_model, train_model
from bot.settings import PROJECT_ROOT, Settings
from bot.training_data import load_training_data


@pytest.fixture(scope="session")
def knowledge_base():
    return load_training_data(PROJECT_ROOT / "nlu_data")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory, knowledge_base) -> Path:
    """The shipped data's model, trained once and shared (read-only) by the session."""
    path = tmp_path_factory.mktemp("model") / "model"
    save_model(train_model(knowledge_base), path)
    return path


@pytest.fixture
def make_settings(tmp_path: Path, model_dir: Path) -> Callable[..., Settings]:
    def make(**overrides) -> Settings:
        values = {
            "var_dir": tmp_path / "var",
            "model_dir": model_dir,
            "admin_token": "admin-secret",
            "operator_tokens": {"sara": "sara-secret", "reza": "reza-secret"},
        }
        return Settings(**(values | overrides))

    return make


@pytest.fixture
def serve(make_settings) -> Callable[..., TestClient]:
    """`with serve(**settings) as client:` runs the whole app, lifespan included."""

    @contextmanager
    def run(**overrides) -> Iterator[TestClient]:
        from api.app import create_app

        with TestClient(create_app(make_settings(**overrides))) as client:
            yield client

    return run


@pytest.fixture
def client(serve) -> Iterator[TestClient]:
    with serve() as running:
        yield running
