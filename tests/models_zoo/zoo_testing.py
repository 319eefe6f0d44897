"""Shared by the zoo tests: the model cases, a relative error, and single-threaded torch."""

from types import ModuleType

import numpy as np

# (name, options): every registered model at least once, small where the default is big
CASES = [
    ("mobilenetv2", {"width": 0.35, "resolution": 96}),
    ("mcunet-vww", {"resolution": 64}),
    ("resnet18", {"width": 0.25, "resolution": 64}),
    ("efficientnet-b0", {"width": 0.5, "resolution": 64}),
    ("inception", {"width": 0.25, "resolution": 64}),
    ("vit-tiny", {}),
    ("vit-7-4-32", {}),
    ("bert-tiny", {"seq_len": 32}),
    ("bert-mini", {"seq_len": 32, "vocab": 2000}),
    ("edsr-baseline", {"scale": 2, "resolution": 16}),
    ("edsr-baseline", {"scale": 4, "resolution": 12}),
    ("srresnet", {"scale": 2, "resolution": 16}),
    ("srresnet", {"scale": 4, "resolution": 12}),
    ("randwire", {"channels": 16, "resolution": 64}),
    ("nasnet-cifar", {"channels": 8, "layers": 5}),
    ("amoebanet-cifar", {"channels": 8, "layers": 5}),
    ("darts-cifar", {"channels": 8, "layers": 5}),
    ("nasnet-imagenet", {"channels": 8, "layers": 4, "resolution": 64}),
    ("amoebanet-imagenet", {"channels": 8, "layers": 4, "resolution": 64}),
    ("darts-imagenet", {"channels": 8, "layers": 4, "resolution": 64}),
]


def case_id(name: str, options: dict) -> str:
    return f"{name}-{'-'.join(map(str, options.values()))}"


def relative_error(have: np.ndarray, want: np.ndarray) -> float:
    """Largest absolute difference over the largest magnitude of `want`."""
    return float(np.abs(have.astype(np.float64) - want).max() / max(float(np.abs(want).max()), 1e-12))


def single_threaded_torch(torch: ModuleType):
    """Run torch on one thread: on a loaded 2-core machine its thread pool spins, costing up to
    10x the CPU time of the work itself."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
