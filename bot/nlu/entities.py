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

import tensorflow as tf
from keras.utils import tf_utils
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.shared.constants import DIAGNOSTIC_DATA
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

    def _rasa_predict(self, batch_in):
        """Rasa's prediction, calling the traced graph directly. Rasa calls a tf.function,
        which on every message looks its trace up and checks and converts each input against
        the signature (~1.3 of ~4.5 ms of CPU per message). The signature is fixed at the first
        call (`input_signature`), so the one concrete function is called with the inputs as
        tensors of its dtypes (tests/nlu/test_entities.py compares the entities)."""
        if self._tf_predict_step is None or not self.prepared_for_prediction or self._run_eagerly:
            return super()._rasa_predict(batch_in)  # traces on the first call
        self._training = False
        if getattr(self, "_predict_graph", None) is None:
            graph = self._tf_predict_step.get_concrete_function()
            self._predict_graph = graph
            self._predict_dtypes = [s.dtype for s in graph.structured_input_signature[0][0]]
        graph = self._predict_graph
        tensors = [
            tf.constant(x, dtype=d) for x, d in zip(batch_in, self._predict_dtypes, strict=True)
        ]
        outputs = tf_utils.sync_to_numpy_or_python_type(
            graph._call_flat(tensors, graph.captured_inputs)  # noqa: SLF001 - see above
        )
        if DIAGNOSTIC_DATA in outputs:
            outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
        return outputs


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
