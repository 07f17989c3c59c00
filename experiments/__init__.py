"""The backpropagation lab, end to end: data, training CLI, figures, report, and the chain
rule explained step by step. Built on ``nn`` and ``autograd`` (never the other way round)."""
