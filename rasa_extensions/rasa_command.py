"""Rasa's own command line, started the way this project runs it.

    python -m rasa_extensions.rasa_command run [rasa run options]
    python -m rasa_extensions.rasa_command train [rasa train options]

`run` serves the way settings.py says, whoever starts it (`make run`, the
tests, the container): on BIND_ADDRESS (127.0.0.1 unless configured); with
Rasa's HTTP API only when RASA_AUTH_TOKEN or RASA_JWT_SECRET is set (and then
behind it; `--enable-api` without either is refused); request bodies limited
to MAX_REQUEST_BYTES (Sanic's REQUEST_MAX_SIZE); and endpoints.yml's
${ACTION_SERVER_TOKEN} filled from the settings, so a token stored for this
installation (var/secrets/) reaches the action calls. It does not start
without an action server token (the action server refuses calls without it)
or a CONVERSATION_SECRET (the widget's history keys and the logs' hashes).
Every command cleans its logs of personal data (log_privacy.py).

Six changes to Rasa itself, nothing else: five for speed, all measured
(benchmarks/README.md), and the last for safety:

- JAX is not imported. TensorFlow 2.12 imports it, when installed, only to
  convert JAX models to TensorFlow Lite (`tensorflow/lite/python/util.py`,
  inside `try: ... except ImportError`), and pip installs it because
  TensorFlow's package lists it. Neither the server nor training converts
  anything; importing it cost each process about 100 MiB of memory and
  0.3 s. Marking it absent in `sys.modules` makes that import fail as if
  JAX were not installed, so TensorFlow takes its own fallback.
- `train` runs without Rasa's training cache. After training each
  component, Rasa 3.6 fingerprints the component's output (every token and
  feature of every training example) and stores it in `.rasa/cache`, so
  that a later training on the same inputs can skip that component. For
  this assistant the fingerprints alone were a quarter of a full training,
  and the cache could only help a training whose NLU data had not changed,
  while staff retrain after editing FAQs. The cache is disabled
  (RASA_MAX_CACHE_SIZE=0, Rasa's documented switch) and the hook that
  computes and stores the fingerprints is replaced by one that does nothing.
- `train` turns each batch's sparse features into TensorFlow's input with a
  vectorised copy of Rasa's conversion (rasa_extensions/sparse_batches.py).
- The action server's answers are validated with one prepared jsonschema
  validator (rasa_extensions/action_response_validation.py says why).
- `run` moves the objects alive once the model is loaded out of Python's
  garbage collections (rasa_extensions/startup_objects.py says why).
- `run` checks every turn's reply after the dialogue has run: a red flag
  always gets the safety reply, no message goes unanswered, and a
  conversation the policy left stuck listens again
  (rasa_extensions/conversation_guard.py says why).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence

# These parts of Rasa do not import TensorFlow, so JAX can still be skipped
# after they are loaded (tests/test_rasa_command.py checks it is).
from rasa.engine.graph import ExecutionContext
from rasa.engine.training import graph_trainer
from rasa.engine.training.hooks import TrainingHook

from rasa_extensions import log_privacy
from settings import Settings, get_settings

MODULE = "rasa_extensions.rasa_command"
UNUSED_OPTIONAL_IMPORTS = ("jax",)


def command(*arguments: str) -> List[str]:
    """The command line that runs `rasa <arguments>` through this module."""
    return [sys.executable, "-m", MODULE, *arguments]


def run_arguments(
    model_path: Path, port: int, cors_origins: Iterable[str], credentials: str = "credentials.yml"
) -> List[str]:
    """The `rasa run` arguments that serve `model_path` with the project's channels and stores."""
    return [
        "--model", str(model_path), "--port", str(port), "--credentials", credentials,
        "--endpoints", "endpoints.yml", "--cors", *cors_origins,
    ]  # fmt: skip


def skip_unused_optional_imports() -> None:
    """Make `import jax` raise ImportError in this process (before TensorFlow loads)."""
    for name in UNUSED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


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


def switch_off_training_cache() -> None:
    os.environ["RASA_MAX_CACHE_SIZE"] = "0"
    graph_trainer.TrainingHook = NoCacheTrainingHook  # type: ignore[misc]


class ServeError(SystemExit):
    """`run` was asked for something settings.py does not allow."""


def _option_value(arguments: List[str], option: str) -> str:
    """The value after `option` in `arguments` ('' when absent)."""
    if option in arguments and arguments.index(option) + 1 < len(arguments):
        return arguments[arguments.index(option) + 1]
    return ""


def serve_arguments(arguments: Sequence[str], settings: Settings) -> List[str]:
    """`rasa run` arguments with the interface and the HTTP API settings added."""
    given = list(arguments)
    if not settings.action_server_token:
        raise ServeError(
            "Cannot start the Rasa server: ACTION_SERVER_TOKEN is not set "
            "(`python settings.py --create-secrets` stores one for this installation)."
        )
    if not settings.conversation_secret:
        raise ServeError(
            "Cannot start the Rasa server: CONVERSATION_SECRET is not set "
            "(`python settings.py --create-secrets` stores one for this installation)."
        )
    added: List[str] = []
    if "--interface" not in given and "-i" not in given:
        added += ["--interface", settings.bind_address]
    protected = bool(_option_value(given, "--auth-token") or _option_value(given, "--jwt-secret"))
    if not protected and settings.rasa_auth_token:
        added += ["--enable-api", "--auth-token", settings.rasa_auth_token]
    elif not protected and settings.rasa_jwt_secret:
        added += ["--enable-api", "--jwt-secret", settings.rasa_jwt_secret, "--jwt-method", settings.rasa_jwt_method]
    elif not protected and "--enable-api" in given:
        raise ServeError(
            "Refusing --enable-api without RASA_AUTH_TOKEN or RASA_JWT_SECRET: "
            "Rasa's HTTP API would let anyone read and change every conversation."
        )
    if "--enable-api" in given:
        added = [argument for argument in added if argument != "--enable-api"]
    return given + added


def serve_as_configured() -> None:
    """Apply settings.py to this `rasa run` process (see the module docstring)."""
    settings = get_settings()
    sys.argv[2:] = serve_arguments(sys.argv[2:], settings)
    # Sanic reads SANIC_* variables when Rasa creates its app.
    os.environ["SANIC_REQUEST_MAX_SIZE"] = str(settings.max_request_bytes)
    os.environ.update(settings.endpoint_environment())


def main() -> None:
    skip_unused_optional_imports()
    log_privacy.install()
    subcommand = sys.argv[1] if len(sys.argv) > 1 else ""
    if subcommand == "run":
        serve_as_configured()
    training = subcommand == "train"
    if training:
        switch_off_training_cache()
    # Imported here: they load TensorFlow, which must come after the lines above.
    from rasa_extensions.action_response_validation import use_prepared_validator
    from rasa_extensions.conversation_guard import install as install_conversation_guard
    from rasa_extensions.sparse_batches import use_vectorised_conversion
    from rasa_extensions.startup_objects import freeze_after_model_load

    if training:
        use_vectorised_conversion()
    if subcommand == "run":
        freeze_after_model_load()
        install_conversation_guard()

    use_prepared_validator()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
