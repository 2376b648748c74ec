"""Both servers exclude what they load at start-up from later garbage collections."""

from __future__ import annotations

import asyncio
import gc
import inspect
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import rasa.core.run

from actions import geocoder, server
from rasa_extensions.startup_objects import freeze_after_model_load, freezing_afterwards
from settings import get_settings

FIXTURE_CLINIC = Path(__file__).parent / "fixtures" / "clinic_complete.yml"


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_objects_alive_after_loading_are_frozen_and_the_result_is_kept() -> None:
    async def load_model(path: str, *, workers: int) -> Dict[str, Any]:
        return {"path": path, "workers": workers}

    wrapped = freezing_afterwards(load_model)
    assert gc.get_freeze_count() == 0
    assert asyncio.run(wrapped("models/x.tar.gz", workers=2)) == {"path": "models/x.tar.gz", "workers": 2}
    assert gc.get_freeze_count() > 0
    # Sanic decides how to call a listener from its signature.
    assert inspect.signature(wrapped) == inspect.signature(load_model)


def test_rasa_run_freezes_after_loading_the_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    original = rasa.core.run.load_agent_on_start
    monkeypatch.setattr(rasa.core.run, "load_agent_on_start", original)
    freeze_after_model_load()
    assert rasa.core.run.load_agent_on_start is not original
    assert rasa.core.run.load_agent_on_start.__wrapped__ is original


def test_action_server_builds_the_town_index_and_freezes_before_serving(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLINIC_DATA_FILE", str(FIXTURE_CLINIC))
    monkeypatch.setenv("BOOKING_OUTBOX_URL", f"sqlite:///{tmp_path / 'outbox.db'}")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "test-action-token")  # it does not start without one
    monkeypatch.delenv("BOOKING_WEBHOOK_URL", raising=False)
    get_settings.cache_clear()
    geocoder._towns.cache_clear()
    seen_when_serving: Dict[str, int] = {}

    class NotServing:
        def run(self, **options: Any) -> None:
            seen_when_serving["frozen"] = gc.get_freeze_count()
            seen_when_serving["town_indexes"] = geocoder._towns.cache_info().currsize

    monkeypatch.setattr(server, "build_app", lambda settings: NotServing())
    try:
        server.main()
    finally:
        get_settings.cache_clear()
    assert seen_when_serving["town_indexes"] == 1
    # The town index alone is about 230,000 objects.
    assert seen_when_serving["frozen"] > 230_000
