"""``python -m experiments.studio``: see ``experiments.studio.server``."""

from experiments.studio.server import main

if __name__ == "__main__":
    raise SystemExit(main())
