"""The Rasa release whose internals this project's overrides replace.

Most of the project configures Rasa through its public hooks. Three places
replace or wrap code of Rasa's own, because the stock code stops the server,
shows visitors a broken reply, or leaves a conversation silent:

* stores.ConfiguredSQLTrackerStore.session_scope replaces
  SQLTrackerStore.session_scope, which turns every ValueError raised while a
  conversation is read or saved into sys.exit(1): one malformed sender id
  stopped the whole server.
* response_templates.PlainValueResponseGenerator._fill_response replaces
  TemplatedNaturalLanguageGenerator._fill_response's interpolation, which
  returns the raw template ("{preferred_times}") whenever a filled-in value
  contains "0[" (rasa/core/nlg/interpolator.py).

* conversation_guard.install wraps MessageProcessor._run_prediction_loop:
  when the dialogue loops until Rasa's circuit breaker, predicts nothing or
  fails, a red flag still gets the safety reply, any other message an
  apology, and the conversation listens again (it stayed silent for good).

One more, for training time (the target is under 2 minutes):

* nlu.batched_count_vectors.BatchedCountVectorsFeaturizer.process_training_data
  replaces CountVectorsFeaturizer's per-example loop over the training data
  with one sklearn call per attribute, using its protected token helpers.

Each checks the Rasa version when it is loaded, so an upgrade fails
loudly until someone has re-read the code they replace.
"""

from __future__ import annotations

import rasa

WRITTEN_FOR = "3.6.21"


def require_rasa_version(replacement: str) -> None:
    """Refuse to load `replacement` on a Rasa release it was not written for."""
    if rasa.__version__ != WRITTEN_FOR:
        raise RuntimeError(
            f"{replacement} replaces code of Rasa {WRITTEN_FOR} (rasa_extensions/rasa_internals.py); "
            f"this is Rasa {rasa.__version__}: compare the code it replaces, then update WRITTEN_FOR."
        )
