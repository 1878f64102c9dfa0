"""caiso-pki: keys, CSRs, chain validation, CPS policy checks and trust stores for CAISO participants.

The public API is re-exported here.  Importing ``caiso_pki`` is cheap: each name is imported from its
module the first time it is used, so a service that only loads certificates never pays for the
validation engine, the HTTP client or the command line.  The names and their modules are listed once,
in ``__init__.pyi`` (what type checkers read); this module reads that table when a name is first asked
for.
"""

import importlib
import os
from typing import Any, Final

__version__: Final = "0.1.0.dev0"

_TABLE: dict[str, str] = {}


def _exports() -> dict[str, str]:
    """name -> defining module, read from ``__init__.pyi`` once."""
    if not _TABLE:
        import re

        with open(os.path.join(os.path.dirname(__file__), "__init__.pyi"), encoding="utf-8") as stub:
            text = stub.read()
        for module, names in re.findall(r"^from (caiso_pki[\w.]*) import \(([^)]*)\)", text, re.MULTILINE):
            for name in re.findall(r"(\w+) as \1\b", names):
                _TABLE[name] = module
    return _TABLE


def __getattr__(name: str) -> Any:
    if name == "__all__":
        return ["__version__", *_exports()]
    if name == "_EXPORTS":
        return dict(_exports())
    module = _exports().get(name)
    if module is None:
        raise AttributeError(f"module 'caiso_pki' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API and the module's dunders, not the names this file imports for its own use."""
    return sorted(
        {"__version__", *_exports(), *(n for n in globals() if n.startswith("__") and n.endswith("__"))}
    )
