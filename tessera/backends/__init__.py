"""Backends: where a compiled graph runs or what it is emitted as."""
