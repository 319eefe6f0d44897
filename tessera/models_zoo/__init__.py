"""Models to compile: the ONNX 'light' models shipped in the onnx wheel, and (later) PyTorch
definitions with seeded weights."""
