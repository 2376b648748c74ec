"""Training data whose examples are already unique, filtered without
deduplicating them again.

Rasa's ResponseSelector keeps the examples of its retrieval intent with
`TrainingData.filter_training_examples`, which builds a new `TrainingData`,
and that removes duplicate examples by hashing every message together with
all its features (each sparse matrix written out as a string). The examples
were deduplicated when the data was loaded, before any features existed,
and features are computed from a message's data, so the second pass removes
nothing: it only cost about 9 s of every training (py-spy on `rasa train
nlu`, benchmarks/README.md). tests/test_nlu_components.py checks the
filtered examples are the ones Rasa's filter keeps.
"""

from __future__ import annotations

from typing import Callable, List

from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


class UniqueExamplesTrainingData(TrainingData):
    """`TrainingData` that trusts its examples to be unique already."""

    @classmethod
    def of(cls, training_data: TrainingData) -> UniqueExamplesTrainingData:
        return cls(
            training_data.training_examples,
            training_data.entity_synonyms,
            training_data.regex_features,
            training_data.lookup_tables,
            training_data.responses,
        )

    @staticmethod
    def sanitize_examples(examples: List[Message]) -> List[Message]:
        return list(examples)

    def filter_training_examples(self, condition: Callable[[Message], bool]) -> UniqueExamplesTrainingData:
        return UniqueExamplesTrainingData(
            [example for example in self.training_examples if condition(example)],
            self.entity_synonyms,
            self.regex_features,
            self.lookup_tables,
            self.responses,
        )
