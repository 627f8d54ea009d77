"""torch -> single-file ONNX with a dynamic batch and the card in ``metadata_props``."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from patchflow.bundle import CARD_METADATA_KEY

log = logging.getLogger(__name__)

OPSET = 20


def export_graph(
    module: nn.Module,
    example: dict[str, torch.Tensor],
    batched: tuple[str, ...],
    output_names: str | tuple[str, ...],
    path: Path,
    card: dict[str, Any],
) -> None:
    """Export ``module`` with inputs named as ``example``'s keys; ``batched`` inputs get a
    dynamic first dimension. Writes one self-contained file (no external data) and embeds the
    card. Raises if the exporter pinned the batch dimension (a silent torch.export fallback)."""
    import onnx

    batch = torch.export.Dim("batch", min=1, max=4096)
    shapes = {name: ({0: batch} if name in batched else None) for name in example}
    module = module.eval()
    for noisy in ("onnx_ir", "onnxscript", "torch.onnx", "torch.export"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            module,
            kwargs=example,
            input_names=list(example),
            output_names=[output_names] if isinstance(output_names, str) else list(output_names),
            dynamic_shapes=shapes,
            opset_version=OPSET,
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    if program is None:
        raise RuntimeError("torch.onnx.export returned no program")
    model = program.model_proto
    for inp in model.graph.input:
        dim0 = inp.type.tensor_type.shape.dim[0] if inp.type.tensor_type.shape.dim else None
        if inp.name in batched and (dim0 is None or not dim0.dim_param):
            raise RuntimeError(f"export of {path.name}: input {inp.name!r} lost its dynamic batch")
    strip_node_metadata(model.graph)
    shared = share_initializers(model)
    if shared:
        log.info("%s: %d duplicate weight tensors shared", path.name, shared)
    entry = model.metadata_props.add()
    entry.key, entry.value = CARD_METADATA_KEY, json.dumps(card)
    onnx.checker.check_model(model, full_check=True)
    onnx.save_model(model, str(path), save_as_external_data=False)
    log.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)


def share_initializers(model: Any) -> int:
    """Make identical initializers one tensor; returns how many duplicates were removed.

    The exporter writes a separate (e.g. transposed) copy of a weight at every call site, so a
    fused sampler that unrolls the vector field ``steps`` times held ``steps`` copies of it.
    """
    from onnx import numpy_helper

    graph = model.graph
    kept: dict[tuple, str] = {}
    renamed: dict[str, str] = {}
    unique = []
    for tensor in graph.initializer:
        key = (tensor.data_type, tuple(tensor.dims), numpy_helper.to_array(tensor).tobytes())
        if key in kept:
            renamed[tensor.name] = kept[key]
        else:
            kept[key] = tensor.name
            unique.append(tensor)
    if any(output.name in renamed for output in graph.output):
        return 0  # a graph output that is a weight keeps its name; leave such a graph alone
    del graph.initializer[:]
    graph.initializer.extend(unique)
    for sub in _graphs(graph):  # subgraphs may read the outer graph's initializers
        for node in sub.node:
            for k, name in enumerate(node.input):
                node.input[k] = renamed.get(name, name)
    return len(renamed)


def strip_node_metadata(graph: Any) -> None:
    """Drop the exporter's per-node notes (source stack traces, module paths): about a third of
    a fused sampler's file, and nothing onnxruntime reads."""
    for sub in _graphs(graph):
        for node in sub.node:
            del node.metadata_props[:]
            node.doc_string = ""


def _graphs(graph: Any) -> Iterator[Any]:
    """``graph`` and every subgraph inside its nodes' attributes (If, Loop, Scan bodies)."""
    import onnx

    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from _graphs(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for sub in attr.graphs:
                    yield from _graphs(sub)
