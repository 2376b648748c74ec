"""Rasa's DIETClassifier and ResponseSelector, answering in NumPy when the
trained model is linear.

Training and persisting are Rasa's own, except for two shortcuts with the
same results: the ResponseSelector filters its examples without hashing
them again (unique_training_examples.py), and both models load without
tracing a training step (model_loading.py). What this module changes is
how a loaded model scores one visitor message. Rasa builds a batch of model data
for it (sequence and sentence features of every featurizer) and runs the
whole prediction graph in TensorFlow: 1.5-1.8 ms per component per message
on this project's 2-core machine (4-5 ms on a slower one), most of it
framework overhead for a few small matrix products (benchmarks/README.md).

With no transformer layers and no hidden layers, which is how config.yml
trains both components, the intent scores depend on the sentence-level
features alone: Rasa's sequence layer keeps every position separate, and
the intent is read at the sentence position. That position's vector is

    unify(concat(sparse_sentence @ W_sparse + b, dense_sentence))

(`unify`, a GELU layer, only where sequence and sentence widths differ), then
the text embedding layer, then the similarity with the label embeddings the
loaded model has already computed, then softmax. This module reads those
weights from the loaded Keras layers and does the same in NumPy. Any other
set-up (transformer or hidden layers, entity recognition, diagnostic data
for `rasa test`, a message without sentence features) takes Rasa's path.
tests/test_numpy_inference.py checks both paths give the same intents,
confidences and rankings on the held-out visitor messages.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Type

import numpy as np
import scipy.sparse
import scipy.special
import tensorflow as tf
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow import layers
from rasa.utils.tensorflow.constants import (
    COSINE,
    ENTITY_RECOGNITION,
    FEATURIZERS,
    INTENT_CLASSIFICATION,
    LABEL,
    SENTENCE,
    SOFTMAX,
)
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel
from rasa.utils.tensorflow.rasa_layers import (
    ConcatenateSparseDenseFeatures,
    RasaFeatureCombiningLayer,
    RasaSequenceLayer,
)

from rasa_extensions.nlu.model_loading import QuickLoadingDIET, QuickLoadingDIET2BOW, QuickLoadingDIET2DIET
from rasa_extensions.nlu.unique_training_examples import UniqueExamplesTrainingData

# Rasa's training-data check looks for ResponseSelector by exact class, so it
# would warn that the FAQ examples are unused although this subclass trains
# on them (tests/test_numpy_inference.py checks the answers come from it).
warnings.filterwarnings("ignore", message="You have defined training data with examples for training a response")


@dataclass(frozen=True)
class _DenseLayer:
    """A Keras dense layer's weights, applied in NumPy."""

    kernel: np.ndarray
    bias: Optional[np.ndarray]
    gelu: bool

    @classmethod
    def from_keras(cls, layer: tf.keras.layers.Dense) -> Optional[_DenseLayer]:
        kernel = layer.kernel.numpy()
        if isinstance(layer, layers.RandomlyConnectedDense):
            kernel = kernel * layer.kernel_mask.numpy()
        if layer.activation is tf.nn.gelu:
            gelu = True
        elif layer.activation is tf.keras.activations.linear:
            gelu = False
        else:
            return None
        return cls(kernel, layer.bias.numpy() if layer.use_bias else None, gelu)

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return self._finish(inputs @ self.kernel)

    def of_sparse_row(self, blocks: List[scipy.sparse.spmatrix]) -> Optional[np.ndarray]:
        """The layer applied to one row given as side-by-side sparse blocks (one
        per featurizer), or None if their widths do not add up to the kernel's.

        Only the kernel rows of the row's non-zero columns are read: the same
        product as Rasa's sparse-dense matmul, without joining the blocks."""
        outputs = np.zeros((1, self.kernel.shape[1]), dtype=np.float32)
        offset = 0
        for block in blocks:
            row = block.tocoo()
            outputs += row.data.astype(np.float32) @ self.kernel[offset + row.col]
            offset += row.shape[1]
        return self._finish(outputs) if offset == self.kernel.shape[0] else None

    def _finish(self, outputs: np.ndarray) -> np.ndarray:
        if self.bias is not None:
            outputs = outputs + self.bias
        if self.gelu:
            # tf.nn.gelu's default: the exact (erf) form.
            outputs = 0.5 * outputs * (1.0 + scipy.special.erf(outputs / np.sqrt(2.0)))
        return outputs


def _feed_forward(ffnn: layers.Ffnn) -> Optional[List[_DenseLayer]]:
    dense = [layer for layer in ffnn._ffn_layers if not isinstance(layer, tf.keras.layers.Dropout)]
    converted = [_DenseLayer.from_keras(layer) for layer in dense]
    return None if any(layer is None for layer in converted) else converted  # type: ignore[return-value]


@dataclass(frozen=True)
class LinearTextScorer:
    """Intent (or FAQ answer) scores of one message from its sentence features."""

    featurizers: List[str]
    sparse_to_dense: Optional[_DenseLayer]
    unify: List[_DenseLayer]
    text_embedding: _DenseLayer
    label_embeddings: np.ndarray
    cosine: bool
    softmax: bool

    @classmethod
    def from_model(cls, model: Any, config: Dict[str, Any]) -> Optional[LinearTextScorer]:
        """The scorer for a loaded model, or None where NumPy would not give Rasa's answer."""
        if not isinstance(model, DIET) or getattr(model, "all_labels_embed", None) is None:
            return None
        if not config[INTENT_CLASSIFICATION] or config[ENTITY_RECOGNITION]:
            return None
        sequence_layer = model._tf_layers.get(f"sequence_layer.{model.text_name}")
        if not isinstance(sequence_layer, RasaSequenceLayer) or sequence_layer._has_transformer:
            return None
        hidden_layers = _feed_forward(sequence_layer._tf_layers[RasaSequenceLayer.FFNN])
        if hidden_layers is None or hidden_layers:
            return None
        combining = sequence_layer._tf_layers[RasaSequenceLayer.FEATURE_COMBINING]
        if not isinstance(combining, RasaFeatureCombiningLayer):
            return None
        sentence_features = combining._tf_layers.get(f"sparse_dense.{SENTENCE}")
        if not isinstance(sentence_features, ConcatenateSparseDenseFeatures):
            return None
        sparse_layer = sentence_features._tf_layers.get(ConcatenateSparseDenseFeatures.SPARSE_TO_DENSE)
        sparse_to_dense = _DenseLayer.from_keras(sparse_layer) if sparse_layer is not None else None
        unify_layer = combining._tf_layers.get(f"unify_dims_before_seq_sent_concat.{SENTENCE}")
        unify = _feed_forward(unify_layer) if unify_layer is not None else []
        text_embedding = _DenseLayer.from_keras(model._tf_layers[f"embed.{TEXT}"]._dense)
        loss = model._tf_layers[f"loss.{LABEL}"]
        if (sparse_layer is not None and sparse_to_dense is None) or unify is None or text_embedding is None:
            return None
        label_embeddings = np.asarray(model.all_labels_embed)
        cosine = loss.similarity_type == COSINE
        if cosine:
            label_embeddings = label_embeddings / np.linalg.norm(label_embeddings, axis=-1, keepdims=True)
        return cls(
            featurizers=list(config[FEATURIZERS]),
            sparse_to_dense=sparse_to_dense,
            unify=unify,
            text_embedding=text_embedding,
            label_embeddings=label_embeddings,
            cosine=cosine,
            softmax=loss.model_confidence == SOFTMAX,
        )

    def scores(self, message: Message) -> Optional[np.ndarray]:
        """Scores in Rasa's shape (1, 1, labels), or None for Rasa's path."""
        # The sentence-level features Rasa would batch, in its order.
        _, sparse = message._filter_sparse_features(TEXT, self.featurizers)
        _, dense = message._filter_dense_features(TEXT, self.featurizers)
        if bool(sparse) != (self.sparse_to_dense is not None) or not (sparse or dense):
            return None
        parts = []
        if sparse and self.sparse_to_dense is not None:
            sparse_part = self.sparse_to_dense.of_sparse_row([feature.features for feature in sparse])
            if sparse_part is None:
                return None
            parts.append(sparse_part)
        parts += [np.asarray(feature.features, dtype=np.float32).reshape(1, -1) for feature in dense]
        vector = np.concatenate(parts, axis=-1)
        expected_width = (self.unify[0] if self.unify else self.text_embedding).kernel.shape[0]
        if vector.shape[-1] != expected_width:
            return None
        for layer in self.unify:
            vector = layer(vector)
        embedded = self.text_embedding(vector)[0]
        if self.cosine:
            embedded = embedded / np.linalg.norm(embedded)
        similarities = self.label_embeddings @ embedded
        scores = scipy.special.softmax(similarities) if self.softmax else similarities
        return scores.astype(np.float32).reshape(1, 1, -1)


class _NumpyInference:
    """Mixed into Rasa's classifier: `_predict` through the NumPy scorer when it has one."""

    component_config: Dict[str, Any]
    model: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self._scorer = (
            LinearTextScorer.from_model(self.model, self.component_config) if self.model is not None else None
        )

    def _predict(self, message: Message) -> Optional[Dict[str, Any]]:
        if self._scorer is not None and not self._execution_context.should_add_diagnostic_data:  # type: ignore[attr-defined]
            scores = self._scorer.scores(message)
            if scores is not None:
                return {"i_scores": scores}
        return super()._predict(message)  # type: ignore[misc]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class NumpyInferenceDIETClassifier(_NumpyInference, DIETClassifier):
    """Rasa's DIETClassifier; a linear model answers in NumPy (module docstring)."""

    @staticmethod
    def model_class() -> Type[RasaModel]:
        return QuickLoadingDIET


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class NumpyInferenceResponseSelector(_NumpyInference, ResponseSelector):
    """Rasa's ResponseSelector; a linear model answers in NumPy (module docstring)."""

    @staticmethod
    def model_class(use_text_as_label: bool) -> Type[RasaModel]:  # type: ignore[override]
        return QuickLoadingDIET2DIET if use_text_as_label else QuickLoadingDIET2BOW

    def preprocess_train_data(self, training_data: TrainingData) -> RasaModelData:
        # Rasa's filtering of the FAQ examples re-hashes every featurized
        # message to drop duplicates there cannot be (unique_training_examples.py).
        return super().preprocess_train_data(UniqueExamplesTrainingData.of(training_data))
