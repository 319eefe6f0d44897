"""The reference backend: runs any graph with each op's numpy kernel. The interpreter itself lives in
the IR layer (`tessera.ir.interpreter`), so passes use it without importing a backend; this package
keeps the target's name, "reference"."""

from tessera.ir.interpreter import Interpreter, execute

__all__ = ["Interpreter", "execute"]
