"""Kept for `from tessera.backends.reference.executor import execute`: the interpreter is
`tessera.ir.interpreter`."""

from tessera.ir.interpreter import Interpreter, execute

__all__ = ["Interpreter", "execute"]
