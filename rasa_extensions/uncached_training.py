"""Rasa's command line with its training cache switched off.

    python -m rasa_extensions.uncached_training train [rasa train options]

After training each component, Rasa 3.6 fingerprints the component's output
(every token and feature of every training example) and stores it in
`.rasa/cache`, so that a later training on the same inputs can skip that
component. For this assistant the fingerprints alone were a quarter of a
full training (benchmarks/README.md), and the cache could only help a
training whose NLU data had not changed, while staff retrain after editing
FAQs. This runs Rasa's own command line with the cache disabled
(RASA_MAX_CACHE_SIZE=0, Rasa's documented switch) and without the hook that
computes and stores those fingerprints; training itself is Rasa's.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext
from rasa.engine.training import graph_trainer
from rasa.engine.training.hooks import TrainingHook

MODULE = "rasa_extensions.uncached_training"


def command(*arguments: str) -> List[str]:
    """The command line that runs `rasa <arguments>` through this module."""
    return [sys.executable, "-m", MODULE, *arguments]


class NoCacheTrainingHook(TrainingHook):
    """Rasa's caching hook, minus the fingerprints and copies it would store."""

    def on_before_node(
        self,
        node_name: str,
        execution_context: ExecutionContext,
        config: Dict[str, Any],
        received_inputs: Dict[str, Any],
    ) -> Dict:
        return {}

    def on_after_node(
        self,
        node_name: str,
        execution_context: ExecutionContext,
        config: Dict[str, Any],
        output: Any,
        input_hook_data: Dict,
    ) -> None:
        return None


def main() -> None:
    os.environ["RASA_MAX_CACHE_SIZE"] = "0"
    graph_trainer.TrainingHook = NoCacheTrainingHook  # type: ignore[misc]
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
