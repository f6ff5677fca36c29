"""Compiled extension modules loaded without running their package's ``__init__.py``.

Some packages pay in Python at import for what a command never uses (``bpe_openai`` parses three
vocabularies; ``pydantic_core`` builds its typed schema module and ``typing_extensions``) while the
compiled module we need loads in milliseconds. ``load("pydantic_core._pydantic_core")`` finds the
extension file in the package's folder, without importing the package, and registers the module
under its own name, so a later ``import pydantic_core`` shares it rather than initialising it twice.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from types import ModuleType


def load(name: str) -> ModuleType | None:
    """The extension module ``name`` (``package.module``), loaded on its own; None when it cannot be
    found where we know to look (the caller then imports it the ordinary way, or does without)."""
    if name in sys.modules:
        return sys.modules[name]
    try:
        package = importlib.util.find_spec(name.rpartition(".")[0])  # locates the package without importing it
    except (ImportError, ValueError):  # pragma: no cover
        return None
    folders = package.submodule_search_locations if package else None
    if not folders:  # pragma: no cover
        return None
    finder = importlib.machinery.FileFinder(
        folders[0], (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES)
    )
    spec = finder.find_spec(name)
    if spec is None or spec.loader is None:  # pragma: no cover
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:  # pragma: no cover
        del sys.modules[name]
        raise
    return module
