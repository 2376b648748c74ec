"""Rasa's CountVectorsFeaturizer, featurizing the training data in one pass.

Rasa 3.6 featurizes the training examples one at a time: for every example
and attribute, sklearn's `transform` runs twice (once on the tokens, once on
the whole text) and pays its per-call checks each time. With about 4,500
examples and two count featurizers that was about 6 s of every training
(py-spy, 2026-12-07), in a training whose target is under 2 minutes. Here
each attribute's tokens go through `transform` once, its texts once, and the
rows are split back per example. sklearn counts every document on its own,
so every example gets the very matrices Rasa's loop gives it
(tests/test_nlu_components.py compares them on the real training data).
A visitor's message at run time still goes through Rasa's own code.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_extensions.rasa_internals import require_rasa_version

Matrices = List[Optional[scipy.sparse.coo_matrix]]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class BatchedCountVectorsFeaturizer(CountVectorsFeaturizer):
    """CountVectorsFeaturizer whose `process_training_data` transforms each attribute in one call."""

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        require_rasa_version("BatchedCountVectorsFeaturizer.process_training_data")
        if self.vectorizers is None:
            return super().process_training_data(training_data)
        messages = training_data.training_examples
        for attribute in self._attributes:
            tokens = [self._get_processed_message_tokens_by_attribute(message, attribute) for message in messages]
            sequences, sentences = self.features_of_all(attribute, tokens)
            for message, sequence, sentence in zip(messages, sequences, sentences, strict=True):
                self.add_features_to_message(sequence, sentence, attribute, message)
        return training_data

    def features_of_all(self, attribute: str, all_tokens: Sequence[List[str]]) -> Tuple[Matrices, Matrices]:
        """Each example's (sequence, sentence) count matrices, as Rasa's `_create_features` makes them."""
        sequences: Matrices = [None] * len(all_tokens)
        sentences: Matrices = [None] * len(all_tokens)
        vectorizer = self.vectorizers.get(attribute)
        featurized = [index for index, tokens in enumerate(all_tokens) if tokens]
        if not vectorizer or not featurized:
            return sequences, sentences
        token_counts = vectorizer.transform([token for index in featurized for token in all_tokens[index]])
        bounds = np.cumsum([0] + [len(all_tokens[index]) for index in featurized])
        for index, start, end in zip(featurized, bounds[:-1], bounds[1:], strict=True):
            sequences[index] = _sorted_coo(token_counts[start:end])
        if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            text_counts = vectorizer.transform([" ".join(all_tokens[index]) for index in featurized])
            for row, index in enumerate(featurized):
                sentences[index] = _sorted_coo(text_counts[row : row + 1])
        return sequences, sentences


def _sorted_coo(rows: scipy.sparse.csr_matrix) -> scipy.sparse.coo_matrix:
    # What Rasa does with each `transform` result: sort, then COO.
    rows.sort_indices()
    return rows.tocoo()
