"""The Tessera IR: typed static-shape dataflow graphs."""

from tessera.ir.analysis import to_networkx, topological_order, toposort
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.interpreter import Interpreter, execute
from tessera.ir.parser import parse
from tessera.ir.printer import print_graph
from tessera.ir.types import TensorType
from tessera.ir.verifier import verify

__all__ = [
    "DType",
    "Graph",
    "Interpreter",
    "Node",
    "TensorType",
    "Value",
    "execute",
    "parse",
    "print_graph",
    "to_networkx",
    "topological_order",
    "toposort",
    "verify",
]
