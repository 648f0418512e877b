"""Modules imported on first use, so that `peacewatch --help` does not load the whole stack.

The command line names every stage (pandas, the store, the forecasts, the briefing with
WeasyPrint); importing them all took ~3 s before any command ran. `module(name)` returns the
module at once and runs its import at the first attribute access (importlib's LazyLoader).
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """`name`, imported when first used (at once if it is already imported)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    lazy = importlib.util.module_from_spec(spec)
    sys.modules[name] = lazy
    loader.exec_module(lazy)
    return lazy
