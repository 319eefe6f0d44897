"""int8 post-training quantization (quantize-int8): per model, what became int8, model size before
and after, and the error against float: output SQNR on held-out inputs, top-1 agreement with
float (or accuracy, for the digits CNN trained here), and the weakest layer's SQNR. For models
ending in Softmax the logits (its input) are compared.

    python benchmarks/quantize.py [--models digits,bert-tiny,squeezenet,...] [--calibration 8]

The light models carry seeded random weights and are calibrated on standard-normal inputs (no data
ships with them); the digits CNN is trained here on scikit-learn's bundled digits.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable

import numpy as np
import torch

import tessera
from tessera.backends.reference.executor import execute
from tessera.models_zoo.light import randomized_light_model
from tessera.passes.quantize.report import sqnr_db

Samples = list[dict[str, np.ndarray]]


def _export(module: torch.nn.Module, shape: tuple[int, ...]) -> tessera.Graph:
    buffer = io.BytesIO()
    torch.onnx.export(module.eval(), (torch.zeros(shape),), buffer, dynamo=False, input_names=["x"])
    return tessera.load(buffer.getvalue())


class Encoder(torch.nn.Module):
    """A BERT-tiny-sized encoder (hidden 128, 2 heads, MLP 512, 2 layers) without embeddings."""

    def __init__(self, d: int = 128, heads: int = 2, layers: int = 2) -> None:
        super().__init__()
        self.layers = torch.nn.ModuleList(
            torch.nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation="gelu", batch_first=True)
            for _ in range(layers)
        )

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def _normal(shape: tuple[int, ...], count: int, seed: int, name: str = "x") -> Samples:
    rng = np.random.default_rng(seed)
    return [{name: rng.standard_normal(shape).astype(np.float32)} for _ in range(count)]


def digits(n_cal: int) -> tuple[tessera.Graph, Samples, Samples, np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None]
    order = np.random.default_rng(0).permutation(len(x))
    train, test = order[:1347], order[1347:]
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU6(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(256, 10),
    )  # fmt: skip
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x[train]), torch.from_numpy(data.target[train])
    for _ in range(8):
        for i in range(0, len(xt), 64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xt[i : i + 64]), yt[i : i + 64]).backward()
            opt.step()
    graph = _export(model, (len(test), 1, 8, 8))
    cal = [{"x": x[train][i * len(test) : (i + 1) * len(test)]} for i in range(2)]
    return graph, cal, [{"x": x[test]}], data.target[test]


def bert_tiny(n_cal: int) -> tuple[tessera.Graph, Samples, Samples, None]:
    torch.manual_seed(0)
    shape = (1, 64, 128)
    return _export(Encoder(), shape), _normal(shape, n_cal, 0), _normal(shape, 4, 1), None


def light(name: str) -> Callable[[int], tuple[tessera.Graph, Samples, Samples, None]]:
    def build(n_cal: int) -> tuple[tessera.Graph, Samples, Samples, None]:
        graph = tessera.load(randomized_light_model(name, 0))
        shape, input_name = graph.inputs[0].shape, graph.inputs[0].name
        return graph, _normal(shape, n_cal, 0, input_name), _normal(shape, 2, 1, input_name), None

    return build


MODELS = {
    "digits": digits,
    "bert-tiny": bert_tiny,
    "squeezenet": light("squeezenet"),
    "shufflenet": light("shufflenet"),
    "inception_v1": light("inception_v1"),
    "resnet50": light("resnet50"),
}


def _compared_value(graph: tessera.Graph) -> str:
    """The output, or the logits when the model ends in a Softmax (possibly followed by a Reshape):
    random-weight models saturate it to one-hot, which hides every error."""
    tail = [n for n in graph.nodes[-3:] if n.op.name == "Softmax"]
    return tail[-1].inputs[0].name if tail else graph.outputs[0].name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="digits,bert-tiny,squeezenet,shufflenet")
    parser.add_argument("--calibration", type=int, default=8, help="calibration inputs per model")
    parser.add_argument("--method", default="minmax", choices=["minmax", "percentile", "mse"])
    args = parser.parse_args()
    print(
        "| model | int8 / float layers | constants float -> int8 (MB) | size ratio | held-out SQNR (dB, logits) "
        "| top-1 float vs int8 | worst layer SQNR (dB) | quantize (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.models.split(","):
        graph, cal, held_out, labels = MODELS[name](args.calibration)
        start = time.perf_counter()
        result = tessera.quantize(graph, cal, method=args.method, eval_samples=2)
        seconds = time.perf_counter() - start
        rep = result.report
        signal = noise = 0.0
        top1 = []
        compared = _compared_value(graph)
        for sample in held_out:
            ref = execute(graph, sample, capture=True)[compared].astype(np.float64)
            got = execute(result.graph, sample, capture=True)[compared].astype(np.float64)
            signal, noise = signal + float(np.sum(ref**2)), noise + float(np.sum((ref - got) ** 2))
            if ref.ndim == 4 and ref.shape[2:] == (1, 1):  # (N, classes, 1, 1) logits
                ref, got = ref[:, :, 0, 0], got[:, :, 0, 0]
            if labels is not None:
                top1.append(f"acc {np.mean(ref.argmax(1) == labels):.4f} vs {np.mean(got.argmax(1) == labels):.4f}")
            elif ref.ndim == 2 and ref.shape[1] > 1:
                top1.append(f"{np.mean(ref.argmax(1) == got.argmax(1)):.2f}")
        agreement = top1[0] if labels is not None else (f"{np.mean([float(t) for t in top1]):.2f}" if top1 else "-")
        worst = min(x.sqnr_db for x in rep.layers)
        print(
            f"| {name} | {len(rep.layers)} / {len(rep.float_layers)} | {rep.size_float_bytes / 1e6:.3f} -> "
            f"{rep.size_int8_bytes / 1e6:.3f} | {rep.size_ratio:.2f}x | {sqnr_db(signal, noise):.1f} | {agreement} "
            f"| {worst:.1f} | {seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
