"""The compiled step: record a training step once, replay it as a flat tape of numpy calls.

>>> step = autograd.compile(lambda X, y: loss_fn(model(X), y))
>>> loss = step(X, y)        # first call: runs eagerly and records the tape
>>> loss = step(X, y)        # later calls: replay forward, loss and backward; .grad filled
>>> print(step.tape)         # the Wengert list of the step and its reverse sweep

A step of the lab's network is the same graph every time: the same ops on arrays of the same
shapes. The eager engine builds it anew at each step, a few Python objects per op; the tape
keeps only the numpy calls, each writing into a buffer the tape allocated once. That is where
all the engine's speed tricks live, and only here: buffers written with ``out=``, an elementwise
result written over an input nobody needs afterwards (``linear + σ`` in one buffer, sigmoid in
place), the loss's gradient from the difference kept by the forward pass, bias gradients summed
straight into their buffer.

Read in this order: ``step.py`` (``compile``: the signature and the guards, when it records
again or runs eagerly), ``record.py`` (how a step is recorded, and what it cannot see),
``build.py`` (the forward and reverse sweeps), ``kernels.py``, ``vjp.py`` and ``units.py`` (each
op as numpy calls), ``program.py`` (values, buffers and who owns them), ``tape.py`` (the replay).
The engine's core never imports this package.
"""

import sys
import types

from autograd.compile.step import CompiledStep, CompileWarning, compile  # noqa: A004  (torch.compile's name)
from autograd.compile.tape import Tape

__all__ = ["CompileWarning", "CompiledStep", "Tape", "compile"]


class _CallableModule(types.ModuleType):
    """``autograd.compile`` is this package once it is imported (Python sets a package's
    submodules as its attributes), so the package itself can be called: ``autograd.compile(fn)``
    is ``autograd.compile.compile(fn)``."""

    def __call__(self, *args, **kwargs):
        return compile(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
