"""Keep what the server loads at start-up out of Python's garbage collections.

A loaded Rasa server holds millions of long-lived objects (TensorFlow, Rasa,
spaCy, the model). Python's full (oldest-generation) collection walks all of
them: 150-250 ms each, measured with `gc.callbacks` under the benchmark's
load, and whichever visitor's message is being answered waits that long.
None of those objects ever becomes garbage, so once the model is loaded they
are moved to the collector's permanent generation (`gc.freeze`), and later
collections walk only what conversations create. The action server does
the same after building its town index (actions/server.py).
benchmarks/README.md has the figures.
"""

from __future__ import annotations

import functools
import gc
from typing import Any, Awaitable, Callable, TypeVar

Loaded = TypeVar("Loaded")


def freeze_startup_objects() -> None:
    """Collect once, then exclude every object alive now from later collections."""
    gc.collect()
    gc.freeze()


def freezing_afterwards(load: Callable[..., Awaitable[Loaded]]) -> Callable[..., Awaitable[Loaded]]:
    """`load`, followed by `freeze_startup_objects` once it has finished."""

    # functools.wraps keeps the signature Sanic inspects when calling listeners.
    @functools.wraps(load)
    async def load_then_freeze(*args: Any, **kwargs: Any) -> Loaded:
        loaded = await load(*args, **kwargs)
        freeze_startup_objects()
        return loaded

    return load_then_freeze


def freeze_after_model_load() -> None:
    """Make `rasa run` freeze its start-up objects once each worker has loaded the model."""
    import rasa.core.run

    # serve_application looks the listener up in its module when it registers it.
    rasa.core.run.load_agent_on_start = freezing_afterwards(rasa.core.run.load_agent_on_start)
