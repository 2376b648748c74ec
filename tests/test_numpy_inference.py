"""The DIET classifier and response selector score messages in NumPy with the
same results as Rasa's TensorFlow path (rasa_extensions/nlu/numpy_inference.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.core.agent import Agent

from rasa_extensions.nlu.numpy_inference import NumpyInferenceDIETClassifier, NumpyInferenceResponseSelector
from staff.nlu_evaluation import load_examples
from tests.support.project_data import HOLDOUT


def _parse_all(agent: Agent, texts: List[str]) -> List[Dict[str, Any]]:
    async def parse() -> List[Dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(parse())


def _summary(parse: Dict[str, Any]) -> Dict[str, Any]:
    selected = parse["response_selector"]["faq"]
    return {
        "intent": parse["intent"]["name"],
        "confidences": [(entry["name"], entry["confidence"]) for entry in parse["intent_ranking"]],
        "answer": selected["response"]["intent_response_key"],
        "answer_confidences": [(entry["intent_response_key"], entry["confidence"]) for entry in selected["ranking"]],
    }


def _same(numpy_path: Dict[str, Any], rasa_path: Dict[str, Any]) -> bool:
    if (numpy_path["intent"], numpy_path["answer"]) != (rasa_path["intent"], rasa_path["answer"]):
        return False
    # A label missing from one ranking has confidence 0 there: TensorFlow's
    # softmax rounds confidences below about 1e-38 to 0, which drops them.
    for key in ("confidences", "answer_confidences"):
        ours, theirs = dict(numpy_path[key]), dict(rasa_path[key])
        if any(abs(ours.get(name, 0.0) - theirs.get(name, 0.0)) > 1e-5 for name in ours.keys() | theirs.keys()):
            return False
    return True


def test_numpy_scores_match_rasa_tensorflow_path_on_held_out_messages(
    model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = Agent.load(str(model_path))
    components = [
        node._component
        for node in agent.processor.graph_runner._instantiated_nodes.values()
        if isinstance(node._component, (NumpyInferenceDIETClassifier, NumpyInferenceResponseSelector))
    ]
    assert len(components) == 2 and all(component._scorer is not None for component in components)
    texts = list(dict.fromkeys(example.text for example in load_examples([HOLDOUT])))

    def tensorflow_is_not_used(*_: Any) -> None:
        raise AssertionError("Rasa's TensorFlow path ran")

    for component in components:
        monkeypatch.setattr(component.model, "run_inference", tensorflow_is_not_used)
    numpy_results = [_summary(parse) for parse in _parse_all(agent, texts)]

    monkeypatch.undo()
    for component in components:
        monkeypatch.setattr(component, "_scorer", None)
    rasa_results = [_summary(parse) for parse in _parse_all(agent, texts)]

    differing = [
        text for text, ours, theirs in zip(texts, numpy_results, rasa_results, strict=True) if not _same(ours, theirs)
    ]
    assert not differing, differing[:5]
