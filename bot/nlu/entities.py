"""The entity extractor: Rasa's DIET, loaded for serving without its training step.

Rasa loads a DIET model by compiling it with an optimizer and fitting it on one example before
reading the trained weights, so that every variable, the optimizer's included, exists first.
Tracing that training step with its gradients is ~2/3 of a Rasa server's start (~20 s of ~30 on
2 cores; every start: a restarted replica, each test stack). A server never trains: here the
prediction pass that Rasa runs anyway after loading creates the variables prediction uses, the
weights are read into them, and the optimizer's state in the file is left unread. Training and
fine-tuning are Rasa's own (tests/nlu/test_entities.py checks both loads extract the same).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.utils.tensorflow.model_data import RasaModelData


class ServingDIET(DIET):
    @classmethod
    def load(
        cls,
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: RasaModelData | None = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> DIET:
        if finetune_mode or predict_data_example is None:
            return super().load(
                model_file_name,
                model_data_example,
                predict_data_example,
                finetune_mode,
                *args,
                **kwargs,
            )
        model = cls(*args, **kwargs)
        model.run_inference(predict_data_example)  # creates the variables prediction reads
        model.load_weights(model_file_name).expect_partial()  # the optimizer's are not needed
        model.prepared_for_prediction = False  # anything prepared from the random weights: again
        return model


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class EntityDIET(DIETClassifier):
    @staticmethod
    def model_class() -> type[DIET]:
        return ServingDIET
