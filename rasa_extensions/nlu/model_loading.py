"""Rasa's DIET models, loaded without tracing a training step.

To give a loaded model its variables, Rasa 3.6 (`RasaModel.load`) compiles
it and runs `fit` on one example: TensorFlow then traces the whole training
step (forward pass, gradients, optimizer update) into a graph, only to throw
the result away when the trained weights are read over it. That trace was
the largest part of the server's start-up: about 9 of the 23 s py-spy saw
from start to the first answer (benchmarks/README.md).

Here the forward pass and loss run once eagerly on that example instead,
which creates the same variables in a fraction of the time, and the trained
weights are then read as Rasa reads them. The optimizer's saved state is
the only part of the checkpoint left unread: it matters only for further
training, and fine-tuning (`rasa train --finetune`) still loads the model
Rasa's way. tests/test_model_loading.py checks that both ways load the
same variables with the same values.
"""

from __future__ import annotations

from typing import Any, Optional

import tensorflow as tf
from rasa.nlu.classifiers.diet_classifier import DIET
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET
from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel


class _LoadedWithoutTrainingTrace:
    """Mixed into a Rasa model class: `load` builds variables eagerly."""

    @classmethod
    def load(
        cls,
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: Optional[RasaModelData] = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        if finetune_mode:
            return super().load(  # type: ignore[misc]
                model_file_name, model_data_example, predict_data_example, finetune_mode, *args, **kwargs
            )
        model = cls(*args, **kwargs)
        config = kwargs.get("config", {})
        model.compile(
            optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
            run_eagerly=config.get(RUN_EAGERLY),
        )
        example_batch, _ = RasaBatchDataGenerator(model_data_example, batch_size=1)[0]
        model._training = True  # as in Rasa's train_step: the layers build their training path too
        model.batch_loss(example_batch)
        model._training = None
        # The optimizer's slots were never created, so its part of the
        # checkpoint is expected to stay unread.
        model.load_weights(model_file_name).expect_partial()
        if predict_data_example:
            # As Rasa does: trace prediction now rather than on a visitor's message.
            model.run_inference(predict_data_example)
        return model


class QuickLoadingDIET(_LoadedWithoutTrainingTrace, DIET):
    """DIET (the intent classifier's model)."""


class QuickLoadingDIET2BOW(_LoadedWithoutTrainingTrace, DIET2BOW):
    """DIET2BOW (the ResponseSelector's model when labels are response keys)."""


class QuickLoadingDIET2DIET(_LoadedWithoutTrainingTrace, DIET2DIET):
    """DIET2DIET (the ResponseSelector's model when labels are response texts)."""
