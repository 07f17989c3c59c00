"""Run every benchmark: python -m bench [name ...] (names: mlp, conv, memory, chain)."""

import sys

from bench import chain, conv, memory, mlp_step

ALL = {"mlp": mlp_step.run, "conv": conv.run, "memory": memory.run, "chain": chain.run}

if __name__ == "__main__":
    names = sys.argv[1:] or list(ALL)
    unknown = [n for n in names if n not in ALL]
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; allowed: {', '.join(ALL)}")
    for name in names:
        ALL[name]()
