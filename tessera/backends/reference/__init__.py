"""The reference backend: runs any graph with each op's numpy kernel."""

from tessera.backends.reference.executor import execute

__all__ = ["execute"]
