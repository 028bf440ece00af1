"""Import aiogram without building every Bot API model up front.

`aiogram.types` ends its import by calling `model_rebuild()` on each of its ~450 pydantic models,
which builds them all: about 3 CPU-seconds and 100 MB of peak memory on a small server, paid by every
start of the bot (and of every test worker), though an update uses a few dozen of them. Here that
loop only records the namespace it passes; each model is then built the first time it is used (it is
declared `defer_build`), with that namespace, exactly as the loop would have built it. Nothing else
changes: the same models, the same validation.

This leans on how aiogram 3 and pydantic 2 work today: pydantic's `model_rebuild` takes
`_types_namespace`, aiogram's loop hands every model one namespace naming all its types, and pydantic
builds a deferred model on first use through `model_rebuild`. Each is checked (before the import, or
right after it, by building `Update` as its first use does); when one does not hold (another aiogram
or pydantic), aiogram is imported as usual, every model built up front, and one line says why.

Call `import_aiogram()` before anything imports aiogram; once aiogram is imported it does nothing.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, PydanticUndefinedAnnotation, PydanticUserError, ValidationError

logger = logging.getLogger(__name__)

AIOGRAM = "aiogram."
# What pydantic's `model_rebuild` takes, which aiogram's loop and pydantic's first use pass.
REBUILD_PARAMETERS = frozenset({"force", "raise_errors", "_parent_namespace_depth", "_types_namespace"})

_namespace: dict[str, Any] = {}


def recorded_namespace() -> Mapping[str, Any]:
    """The types namespace aiogram's import handed over (empty when it was imported as usual)."""
    return MappingProxyType(_namespace)


def import_aiogram() -> None:
    if "aiogram.types" in sys.modules:
        return
    pydantic_rebuild = BaseModel.__dict__.get("model_rebuild")
    if not isinstance(pydantic_rebuild, classmethod):
        problem: str | None = "pydantic's BaseModel.model_rebuild is not a classmethod"
    else:
        problem = _unfit_pydantic(pydantic_rebuild) or _import_lazily(pydantic_rebuild)
    if problem is not None:
        logger.warning("aiogram imported with every Bot API model built up front: %s", problem)
        importlib.import_module("aiogram.types")


def _unfit_pydantic(pydantic_rebuild: classmethod[Any, Any, Any]) -> str | None:
    # unwrapped: in the tests' process, aiogram may be imported again after this module's own patch
    taken = inspect.signature(inspect.unwrap(pydantic_rebuild.__func__)).parameters
    if missing := sorted(REBUILD_PARAMETERS - set(taken)):
        return f"pydantic's BaseModel.model_rebuild takes no {', '.join(missing)}"
    return None


def _import_lazily(pydantic_rebuild: classmethod[Any, Any, Any]) -> str | None:
    """Import aiogram with its loop recorded, leave `model_rebuild` applying its namespace to aiogram's
    models; what did not go as expected, if anything."""
    build = inspect.unwrap(pydantic_rebuild.__func__)
    _namespace.clear()

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
            if len(_types_namespace) > len(_namespace):
                _namespace.clear()
                _namespace.update(_types_namespace)
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
            _types_namespace = {**_namespace, **(_types_namespace or {})}
        return build(  # type: ignore[no-any-return]
            cls,
            _types_namespace=_types_namespace,
            _parent_namespace_depth=_parent_namespace_depth + 1,
            **options,
        )

    for patch in (record, rebuild):
        functools.update_wrapper(patch, build, assigned=(), updated=())  # __wrapped__: pydantic's own
    BaseModel.model_rebuild = classmethod(record)  # type: ignore[assignment,method-assign]
    try:
        types = importlib.import_module("aiogram.types")
    except BaseException:
        BaseModel.model_rebuild = pydantic_rebuild  # type: ignore[assignment,method-assign]
        raise
    BaseModel.model_rebuild = classmethod(rebuild)  # type: ignore[assignment,method-assign]
    if _namespace:
        problem = _first_use_fails(types)
    else:
        problem = "aiogram's import handed no types namespace to model_rebuild"
    if problem is None:
        return None
    # Undone: pydantic's own model_rebuild, and no half-lazy aiogram left to import again.
    BaseModel.model_rebuild = pydantic_rebuild  # type: ignore[assignment,method-assign]
    _namespace.clear()
    for name in [name for name in sys.modules if name == "aiogram" or name.startswith(AIOGRAM)]:
        del sys.modules[name]
    return problem


def _first_use_fails(types: Any) -> str | None:
    """Build `Update` (most Bot API types are inside it) as its first use in the bot does."""
    try:
        types.Update.model_validate({"update_id": 1})
    except (AttributeError, PydanticUserError, PydanticUndefinedAnnotation, ValidationError) as exc:
        return f"aiogram's Update did not build on first use ({type(exc).__name__}: {exc})".split("\n")[0]
    return None
