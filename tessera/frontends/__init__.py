"""Frontends: models from ONNX (and, later, PyTorch) into Tessera IR, and IR back to ONNX."""
