"""Import aiogram without building every Bot API model up front.

`aiogram.types` ends its import by calling `model_rebuild()` on each of its ~450 pydantic models,
which builds them all: about 3 CPU-seconds and 100 MB of peak memory on a small server, paid by every
start of the bot (and of every test worker), though an update uses a few dozen of them. Here that
loop only records the namespace it passes; each model is then built the first time it is used (it is
declared `defer_build`), with that namespace, exactly as the loop would have built it. Nothing else
changes: the same models, the same validation.

Call `import_aiogram()` before anything imports aiogram; once aiogram is imported it does nothing.
"""

from __future__ import annotations

import sys
from typing import Any

AIOGRAM = "aiogram."


def import_aiogram() -> None:
    if "aiogram.types" in sys.modules:
        return
    from pydantic import BaseModel

    build = BaseModel.__dict__["model_rebuild"].__func__
    namespace: dict[str, Any] = {}

    def record(
        cls: type[BaseModel],
        /,
        *,
        _types_namespace: dict[str, Any] | None = None,
        _parent_namespace_depth: int = 2,
        **options: Any,
    ) -> bool | None:
        """During aiogram's import: keep its types namespace instead of building the model now."""
        if _types_namespace is not None and not options.get("force") and cls.__module__.startswith(AIOGRAM):
            if len(_types_namespace) > len(namespace):
                namespace.clear()
                namespace.update(_types_namespace)
            return None
        return build(  # type: ignore[no-any-return]
            cls,
            _types_namespace=_types_namespace,
            _parent_namespace_depth=_parent_namespace_depth + 1,
            **options,
        )

    def rebuild(
        cls: type[BaseModel],
        /,
        *,
        _types_namespace: dict[str, Any] | None = None,
        _parent_namespace_depth: int = 2,
        **options: Any,
    ) -> bool | None:
        """After it: an aiogram model is built with aiogram's types namespace (pydantic calls this on
        a deferred model's first use)."""
        if cls.__module__.startswith(AIOGRAM):
            _types_namespace = {**namespace, **(_types_namespace or {})}
        return build(  # type: ignore[no-any-return]
            cls,
            _types_namespace=_types_namespace,
            _parent_namespace_depth=_parent_namespace_depth + 1,
            **options,
        )

    BaseModel.model_rebuild = classmethod(record)  # type: ignore[assignment,method-assign]
    try:
        import aiogram.types  # noqa: F401 - the import being made cheaper
    finally:
        BaseModel.model_rebuild = classmethod(rebuild)  # type: ignore[assignment,method-assign]
