"""The trained DIET models load with the same weights without Rasa's traced
training step (rasa_extensions/nlu/model_loading.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
from rasa.core.agent import Agent
from rasa.nlu.classifiers.diet_classifier import DIET
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET
from rasa.utils.tensorflow.models import RasaModel

from rasa_extensions.nlu.model_loading import QuickLoadingDIET, QuickLoadingDIET2BOW
from rasa_extensions.nlu.numpy_inference import NumpyInferenceDIETClassifier, NumpyInferenceResponseSelector


def _loaded_models(model_path: Path) -> Dict[str, RasaModel]:
    agent = Agent.load(str(model_path))
    return {
        type(node._component).__name__: node._component.model
        for node in agent.processor.graph_runner._instantiated_nodes.values()
        if isinstance(node._component, (NumpyInferenceDIETClassifier, NumpyInferenceResponseSelector))
    }


def _weights(model: RasaModel) -> List[np.ndarray]:
    return [variable.numpy() for variable in model.weights]


def test_models_load_with_the_weights_rasa_loads(model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quick = _loaded_models(model_path)
    assert isinstance(quick["NumpyInferenceDIETClassifier"], QuickLoadingDIET)
    assert isinstance(quick["NumpyInferenceResponseSelector"], QuickLoadingDIET2BOW)

    # The same components with Rasa's own model classes, so Rasa's `load` runs.
    monkeypatch.setattr(NumpyInferenceDIETClassifier, "model_class", staticmethod(lambda: DIET))
    monkeypatch.setattr(
        NumpyInferenceResponseSelector,
        "model_class",
        staticmethod(lambda use_text_as_label: DIET2DIET if use_text_as_label else DIET2BOW),
    )
    rasas = _loaded_models(model_path)
    assert type(rasas["NumpyInferenceDIETClassifier"]) is DIET

    assert quick.keys() == rasas.keys()
    for name in quick:
        ours, theirs = _weights(quick[name]), _weights(rasas[name])
        assert len(ours) == len(theirs) > 0, name
        for our_weight, their_weight in zip(ours, theirs, strict=True):
            assert our_weight.shape == their_weight.shape, name
            np.testing.assert_array_equal(our_weight, their_weight, err_msg=name)
