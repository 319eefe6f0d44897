"""The MCU binary kernels (PackBits, BinaryConv: SWAR popcount, USADA8 on the Cortex-M4) against the
reference executor, bit for bit: one graph holds every case (odd channel counts 1, 5, 33, 70; stride 2;
explicit and SAME pads; dilation; group 2 over 64 channels; with and without bias; per-channel and
negative alpha; 1-D and 2-D; inputs with exact zeros and -0.0), built once on the host under ASan +
UBSan and once for QEMU (Cortex-M4)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _mcu_helpers import HOST_TOOLS, QEMU_TOOLS, f32
from conftest import MCU_TOOLS, require_tools

import tessera
from tessera.backends.mcu.emit_binary import interior_offsets, kernel_layout
from tessera.backends.reference import execute
from tessera.ir import DType, Graph, TensorType
from tessera.ir.graph import Value
from tessera.ir.ops.binary import BinaryConv, PackBits

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# (input shape, weight shape (M, C/group, K...), BinaryConv attributes)
CASES: list[tuple[tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ((1, 1, 6, 5), (2, 1, 3, 3), {"pads": (1, 1, 1, 1)}),
    ((2, 5, 7, 6), (3, 5, 3, 3), {"strides": (2, 2), "pads": (1, 0, 2, 1), "alpha": (0.5, -1.25, 3.0)}),
    ((1, 33, 9, 8), (4, 33, 3, 2), {"auto_pad": "SAME_UPPER", "bias": (0.1, -0.2, 0.3, 7.5)}),
    ((1, 70, 9, 9), (3, 70, 3, 3), {"auto_pad": "SAME_LOWER", "dilations": (2, 3), "alpha": (0.37,)}),
    ((1, 64, 6, 7), (4, 32, 3, 3), {"group": 2, "pads": (1, 1, 1, 1), "alpha": (0.1, -0.2, 0.3, 0.4),
                                    "bias": (1, 2, 3, 4)}),
    ((1, 5, 11), (4, 5, 3), {"pads": (2, 1), "dilations": (2,), "strides": (2,), "alpha": (1, 2, 3, 4)}),
    ((2, 70, 10), (3, 70, 4), {"auto_pad": "SAME_UPPER", "bias": (0.5, 0.25, -0.125)}),
    ((1, 33, 4, 4), (2, 33, 1, 1), {"auto_pad": "VALID", "alpha": (-1.0, 2.0)}),
]  # fmt: skip


def conv(g: Graph, inputs: list[Value], name: str, **attrs: Any) -> Value:
    return g.add_node(BinaryConv, inputs, attrs, name=name).output


def _with_zeros(a: np.ndarray) -> np.ndarray:
    """Exact zeros and -0.0 (both binarize to +1, bit 0) among random values."""
    a.reshape(-1)[::7] = 0.0
    a.reshape(-1)[3::11] = -0.0
    return a


def binary_graph() -> Graph:
    """Every case as BinaryConv(PackBits(x_i), packed W_i), outputs each conv and each PackBits; and a
    BinaryConv of a uint32 input `xd` (40 channels) whose weights hold dirty bits past the channels."""
    rng = np.random.default_rng(7)
    g = Graph("binary_kernels")
    for i, (x_shape, w_shape, attrs) in enumerate(CASES):
        x = g.add_input(f"x{i}", f32(x_shape))
        w = _with_zeros(rng.standard_normal(w_shape).astype(np.float32))
        (packed_w,) = PackBits.compute([w], {})
        bits = g.add_node(PackBits, [x], name=f"pack{i}").output
        wv = g.add_constant(f"w{i}", packed_w)
        g.outputs += [conv(g, [bits, wv], f"bconv{i}", channels=x_shape[1], **attrs), bits]
    xd = g.add_input("xd", TensorType(DType.UINT32, (1, 2, 5, 5)))
    (wd,) = PackBits.compute([rng.standard_normal((3, 40, 3, 3)).astype(np.float32)], {})
    wd[:, 1] |= np.uint32(0xAAAAAA00)  # 40 channels: bits 8.. of the second word are padding
    g.outputs.append(conv(g, [xd, g.add_constant("wd", wd)], "bconv_dirty", channels=40, pads=(1, 1, 1, 1)))
    return g


def inputs(graph: Graph, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Float inputs with exact zeros; `xd` clean (padding bits 0) and dirty (padding bits 1): (clean, dirty)."""
    rng = np.random.default_rng(seed)
    clean = {v.name: _with_zeros(rng.standard_normal(v.shape).astype(np.float32)) for v in graph.inputs[:-1]}
    xd = rng.integers(0, 2**32, (1, 2, 5, 5), dtype=np.uint32)
    xd[:, 1] &= np.uint32(0xFF)
    dirty = {**clean, "xd": xd | np.array([0, 0xFFFFFF00], dtype=np.uint32).reshape(1, 2, 1, 1)}
    return {**clean, "xd": xd}, dirty


def assert_bit_exact(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert set(got) == set(want)
    for name, ref in want.items():
        assert got[name].dtype == ref.dtype and got[name].shape == ref.shape, name
        assert np.array_equal(got[name].view(np.uint32), ref.view(np.uint32)), name  # float32 bits too


@pytest.mark.parametrize("on", ["host", "qemu"])
def test_binary_kernels_equal_the_reference_bit_for_bit(on: str) -> None:
    """Host under ASan + UBSan, QEMU Cortex-M4 (USADA8); the dirty bits of `xd` must not matter."""
    require_tools(QEMU_TOOLS if on == "qemu" else HOST_TOOLS, MCU_TOOLS)
    result = tessera.compile(binary_graph(), target="mcu", passes=[])
    clean, dirty = inputs(result.graph, seed=3)
    got = result.run(dirty, on=on, sanitize=True) if on == "host" else result.run(dirty, on="qemu")
    assert_bit_exact(got, execute(result.graph, clean))


def test_kernel_layout_puts_whole_words_first_then_the_partial_words() -> None:
    w = np.arange(2 * 3 * 4, dtype=np.uint32).reshape(2, 3, 2, 2)  # M=2, 3 words (70 channels), 2x2 taps
    flat, full, part = kernel_layout(w, 70)
    assert (full, part) == (2, 1)
    assert flat[1].tolist() == [12, 16, 13, 17, 14, 18, 15, 19, 20, 21, 22, 23]
    g = {"h": 5, "w": 6, "kh": 2, "kw": 2, "dh": 1, "dw": 2}
    assert interior_offsets(g, 2, 1) == [0, 30, 2, 32, 6, 36, 8, 38, 60, 62, 66, 68]
