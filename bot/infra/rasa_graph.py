"""Rasa's model graph run in order, without dask.

Rasa runs its model (the NLU pipeline, then the policies) as a graph on dask's synchronous
scheduler: on every call it recomputes the minimal schema for the targets, rebuilds the dask
graph, orders it and walks it through dask's task machinery: ~7 % of a serving Rasa's CPU per
message under load, for a graph that is the same chain of nodes every time (docs/performance.md).
Here the order of each set of targets is computed once and the nodes are called in it, each with
the outputs of the nodes it needs, as dask calls them (tests/infra/test_rasa_graph.py: the same
outputs as Rasa's runner, message by message).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner


class OrderedGraphRunner(DaskGraphRunner):
    """Rasa's `DaskGraphRunner`, its nodes and inputs the same, run as a precomputed sequence."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._orders: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}

    def _order(self, targets: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        """The nodes the targets need, each after the nodes it needs, with their names."""
        if targets not in self._orders:
            schema = self._graph_schema.minimal_graph_schema(list(targets))
            order: list[tuple[str, tuple[str, ...]]] = []
            placed: set[str] = set()

            def place(name: str) -> None:
                if name in placed or name not in schema.nodes:
                    return  # done, or an input placeholder the caller fills
                placed.add(name)
                needs = tuple(schema.nodes[name].needs.values())
                for need in needs:
                    place(need)
                order.append((name, needs))

            for target in targets:
                place(target)
            self._orders[targets] = order
        return self._orders[targets]

    def run(
        self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        order = self._order(run_targets)
        # What each node returned, as dask hands it on: (node name, output).
        outputs: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and any(value == node for node, _ in order):
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of "
                    f"the input names passed to the `run` method are the same as node names in "
                    f"the graph schema."
                )
            outputs[name] = (name, value)
        try:
            for name, needs in order:
                outputs[name] = self._instantiated_nodes[name](*(outputs[n] for n in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(outputs[target] for target in run_targets)
