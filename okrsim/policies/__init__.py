"""Pure policy maths: score curves, ratings and the agents' choices (no Mesa, no I/O)."""
