"""int8 weights for a bundle's graphs: onnxruntime's dynamic quantization, done at export.

Every matrix product with a constant weight (``MatMul``; the exporter's ``Gemm`` become
``MatMul`` + ``Add`` in onnxruntime's pre-processing) gets int8 weights, one scale per output
channel; its input is quantized to uint8 at run time (``DynamicQuantizeLinear``) and the product
runs as ``MatMulInteger``. Weights use 7 bits (``reduce_range``): on x86 CPUs without VNNI the
uint8 x int8 kernel adds pairs of products in 16 bits, which 8-bit weights can saturate, so the
same bundle would give different answers on different CPUs. What it buys and costs on the
shipped amsynth model: ``docs/first-answer.md``.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

WEIGHT_FORMATS = ("float32", "int8")


@dataclass(frozen=True)
class Int8Weights:
    """How a bundle's graphs were quantized (recorded in the card as ``quantization``)."""

    weights: str = "int8, per output channel, 7-bit range"
    activations: str = "uint8, scale and zero point computed per call"
    ops: tuple[str, ...] = ("MatMul",)
    per_channel: bool = True
    reduce_range: bool = True
    tool: str = "onnxruntime.quantization.quantize_dynamic"

    def to_card(self) -> dict[str, Any]:
        entry = asdict(self)
        entry["ops"] = list(self.ops)
        return entry


def quantize_graph(path: Path, settings: Int8Weights | None = None) -> int:
    """Quantize the graph file at ``path`` in place; returns how many products became int8.

    The graph keeps its metadata (the embedded card) and its input and output names.

    Raises:
        RuntimeError: If no product was quantized (nothing to gain: a wrong graph or op list).
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    settings = settings or Int8Weights()
    # the quantizer logs advice for static quantization and a line per tensor on the root logger
    quiet = _DropMessage("Please consider to run pre-processing", "Quantization parameters for")
    root = logging.getLogger()
    root.addFilter(quiet)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        out = Path(tmp) / path.name
        try:
            quantize_dynamic(
                str(path),
                str(out),
                weight_type=QuantType.QInt8,
                per_channel=settings.per_channel,
                reduce_range=settings.reduce_range,
                op_types_to_quantize=list(settings.ops),
            )
        finally:
            root.removeFilter(quiet)
        model = onnx.load(str(out))
        count = sum(node.op_type == "MatMulInteger" for node in model.graph.node)
        if count == 0:
            raise RuntimeError(f"{path.name}: no matrix product was quantized")
        onnx.checker.check_model(model, full_check=True)
        out.replace(path)
    log.info("%s: %d products with int8 weights (%.1f MB)", path.name, count,
             path.stat().st_size / 1e6)  # fmt: skip
    return count


class _DropMessage(logging.Filter):
    """Drops log records whose message starts with one of ``prefixes``."""

    def __init__(self, *prefixes: str) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefixes)
