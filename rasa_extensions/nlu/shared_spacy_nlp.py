"""Rasa's SpacyNLP, with the spaCy pipeline loaded once per process."""

from __future__ import annotations

from functools import cache

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, DefaultV1Recipe.ComponentType.MODEL_LOADER],
    is_trainable=False,
    model_from="SharedSpacyNLP",
)
class SharedSpacyNLP(SpacyNLP):
    """SpacyNLP, except that its two graph nodes share one loaded pipeline.

    Rasa builds two nodes from one SpacyNLP entry: one provides the spaCy
    pipeline to the others, one adds spaCy docs to messages using the pipeline
    it is given. Each node loads the pipeline itself, so the second copy (36
    MiB in the server, most of it the lemma table) is never used. Here both
    get the same one; spaCy only reads it.
    """

    @staticmethod
    def load_model(spacy_model_name: str) -> SpacyModel:
        return _load_once(spacy_model_name)


@cache
def _load_once(spacy_model_name: str) -> SpacyModel:
    return SpacyNLP.load_model(spacy_model_name)
