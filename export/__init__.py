"""Export trained runs to self-describing ONNX bundles (installed as ``patchflow.export``).

Needs the ``train`` extra (torch, onnx, onnxscript). The bundles it writes are read by
:mod:`patchflow.bundle` with numpy and onnxruntime only.
"""
