"""Every error Tessera raises derives from TesseraError.

Each subclass names a kind of failure; the message names the model part (model, node, tensor) and,
where there is one, the fix.
"""

from __future__ import annotations


class TesseraError(Exception):
    """Base of every error Tessera raises on purpose."""


class ModelLoadError(TesseraError):
    """A model could not be read: malformed file, bad external data, unsupported opset."""


class UnsupportedOpError(TesseraError):
    """The model uses ops that Tessera does not define. Lists every one at once."""


class ShapeError(TesseraError):
    """A shape or dtype is unknown, dynamic, or inconsistent."""


class VerificationError(TesseraError):
    """A graph broke an IR invariant (single assignment, order, types)."""


class ExecutionError(TesseraError):
    """Running a graph failed: wrong inputs, or a kernel failed on a node."""


class PassError(TesseraError):
    """A pass was misconfigured or failed."""


class TargetError(TesseraError):
    """A compile target is unknown, or cannot do what was asked."""


class ParseError(TesseraError):
    """IR text could not be read. The message gives the line and column, and what was expected."""


class ArgumentError(TesseraError, TypeError):
    """An API function got an argument of the wrong type. Also a TypeError, as Python's own are."""
