"""The engine's primitive ops, by family. Each is a ``Function`` with its forward and its
backward side by side."""
