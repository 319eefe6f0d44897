"""Models to compile: the ONNX 'light' models shipped in the onnx wheel (light.py), and the zoo of
PyTorch definitions with seeded weights (catalogue.py lists them; `tessera.zoo` is the API)."""
