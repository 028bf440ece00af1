"""aiogram imported lazily (bot.lazy_aiogram): every Bot API model still builds, on first use, as its
own import would have built it; and where the assumptions behind that do not hold (another aiogram or
pydantic, simulated here by small stand-in aiogram packages), aiogram is imported as usual with one
line saying why, never left half-built."""

from __future__ import annotations

import inspect
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aiogram.methods
import aiogram.types
import pytest
from pydantic import BaseModel

from bot import lazy_aiogram
from bot.lazy_aiogram import import_aiogram, recorded_namespace


def aiogram_models() -> list[type[BaseModel]]:
    found = [getattr(module, name) for module in (aiogram.types, aiogram.methods) for name in module.__all__]
    return [m for m in found if isinstance(m, type) and issubclass(m, BaseModel)]


def test_aiogram_in_this_process_was_imported_lazily() -> None:
    """tests/__init__.py imports it as `python -m bot` does: this aiogram and pydantic fit."""
    assert set(aiogram.types.__all__) <= set(recorded_namespace())


def test_every_field_of_every_type_and_method_resolves_with_the_recorded_namespace() -> None:
    """What building a model on first use needs beyond its module: a name for each of its fields'
    types. (Building all ~590 models instead takes ~4 s; the builds themselves are pydantic's.)"""
    unresolved, fields = [], 0
    for model in aiogram_models():
        module = vars(sys.modules[model.__module__])
        for name, annotation in vars(model).get("__annotations__", {}).items():
            if name not in model.model_fields or not isinstance(annotation, str):
                continue
            fields += 1
            try:
                eval(annotation, module, dict(recorded_namespace()))  # noqa: S307 - aiogram's own annotations
            except NameError as exc:
                unresolved.append(f"{model.__name__}.{name}: {exc}")
    assert unresolved == []
    assert len(aiogram_models()) > 500 and fields > 2500


def test_an_update_with_nested_objects_validates() -> None:
    update = aiogram.types.Update.model_validate(
        {
            "update_id": 1,
            "callback_query": {
                "id": "q",
                "from": {"id": 5, "is_bot": False, "first_name": "A"},
                "chat_instance": "c",
                "data": "oo:1:1",
                "message": {
                    "message_id": 3,
                    "date": 1,
                    "chat": {"id": 5, "type": "private"},
                    "text": "card",
                    "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "x"}]]},
                },
            },
        }
    )
    assert update.callback_query is not None and update.callback_query.from_user.id == 5
    keyboard = update.callback_query.message.reply_markup  # type: ignore[union-attr]
    assert aiogram.methods.SendMessage(chat_id=5, text="x", reply_markup=keyboard).reply_markup == keyboard


# --- stand-ins for another aiogram -------------------------------------------------------------

MODELS = {
    "base.py": """
        from pydantic import BaseModel, ConfigDict

        class TelegramObject(BaseModel):
            model_config = ConfigDict(defer_build=True)
        """,
    "user.py": """
        from .base import TelegramObject

        class User(TelegramObject):
            id: int
        """,
    "message.py": """
        from __future__ import annotations
        from typing import TYPE_CHECKING, Optional
        from .base import TelegramObject
        if TYPE_CHECKING:
            from .user import User

        class Message(TelegramObject):
            message_id: int
            from_user: Optional[User] = None
        """,
    "update.py": """
        from __future__ import annotations
        from typing import TYPE_CHECKING, Optional
        from .base import TelegramObject
        if TYPE_CHECKING:
            from .message import Message

        class Update(TelegramObject):
            update_id: int
            message: Optional[Message] = None
        """,
}
IMPORTS = """
    from typing import Optional
    from .user import User
    from .message import Message
    from .update import Update
    """
AS_AIOGRAM_3 = """
    namespace = {"Optional": Optional, "User": User, "Message": Message, "Update": Update}
    for model in (User, Message, Update):
        model.model_rebuild(_types_namespace=namespace)
    """
UPDATE = {"update_id": 1, "message": {"message_id": 2, "from_user": {"id": 3}}}


def stand_in(root: Path, loop: str) -> None:
    """An `aiogram` package under `root` (first on sys.path): four types, and `loop` ending the
    import of `aiogram.types`."""
    types = root / "aiogram" / "types"
    types.mkdir(parents=True)
    (root / "aiogram" / "__init__.py").write_text("")
    for name, source in MODELS.items():
        (types / name).write_text(textwrap.dedent(source))
    (types / "__init__.py").write_text(textwrap.dedent(IMPORTS) + textwrap.dedent(loop))


def aiogram_modules() -> dict[str, ModuleType]:
    return {name: m for name, m in sys.modules.items() if name == "aiogram" or name.startswith("aiogram.")}


@pytest.fixture
def another_aiogram(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """As at a start, aiogram not imported yet, here with a stand-in written to the returned folder
    first on sys.path. Afterwards this process's own aiogram, pydantic patch and namespace are back."""
    own = aiogram_modules()
    monkeypatch.setattr(BaseModel, "model_rebuild", BaseModel.__dict__["model_rebuild"])
    monkeypatch.setattr(lazy_aiogram, "_namespace", dict(lazy_aiogram._namespace))
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in own:
        del sys.modules[name]
    try:
        yield tmp_path
    finally:
        for name in aiogram_modules():
            del sys.modules[name]
        sys.modules.update(own)


def imported_types() -> Any:
    return sys.modules["aiogram.types"]


def test_an_aiogram_that_fits_is_imported_lazily_and_builds_on_first_use(
    another_aiogram: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stand_in(another_aiogram, AS_AIOGRAM_3)
    import_aiogram()
    types = imported_types()
    assert caplog.messages == []
    assert types.Update.__pydantic_complete__, "built by the check, as the first update would"
    assert not types.Message.__pydantic_complete__ and not types.User.__pydantic_complete__
    assert types.Message.model_validate(UPDATE["message"]).from_user.id == 3
    assert set(recorded_namespace()) == {"Optional", "User", "Message", "Update"}


@pytest.mark.parametrize(
    ("loop", "reason"),
    [
        (  # aiogram builds its models another way (here with the names put in their modules)
            """
            from . import message, update
            message.User, update.Message = User, Message
            for model in (User, Message, Update):
                model.model_rebuild()
            """,
            "aiogram's import handed no types namespace to model_rebuild",
        ),
        (  # aiogram hands each model only the names it needs: no one namespace builds them all
            """
            User.model_rebuild(_types_namespace={})
            Message.model_rebuild(_types_namespace={"Optional": Optional, "User": User})
            Update.model_rebuild(_types_namespace={"Optional": Optional, "Message": Message, "Id": int})
            """,
            "aiogram's Update did not build on first use (PydanticUserError: ",
        ),
    ],
    ids=["no namespace", "a namespace per model"],
)
def test_an_aiogram_that_does_not_fit_is_imported_as_usual_saying_why(
    another_aiogram: Path, caplog: pytest.LogCaptureFixture, loop: str, reason: str
) -> None:
    pydantic_rebuild = BaseModel.__dict__["model_rebuild"]
    stand_in(another_aiogram, loop)
    import_aiogram()
    types = imported_types()
    assert types.User.__pydantic_complete__ and types.Message.__pydantic_complete__, "built up front"
    assert types.Update.model_validate(UPDATE).message.from_user.id == 3
    [line] = caplog.messages
    assert line.startswith(f"aiogram imported with every Bot API model built up front: {reason}"), line
    assert BaseModel.__dict__["model_rebuild"] is pydantic_rebuild, "pydantic as it was"
    assert recorded_namespace() == {}


def test_a_pydantic_whose_model_rebuild_changed_imports_aiogram_as_usual(
    another_aiogram: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = inspect.unwrap(BaseModel.__dict__["model_rebuild"].__func__)

    def model_rebuild(cls: type[BaseModel], /, **options: Any) -> bool | None:  # a pydantic 3, say
        return build(cls, **options)  # type: ignore[no-any-return]

    changed = classmethod(model_rebuild)
    monkeypatch.setattr(BaseModel, "model_rebuild", changed)
    stand_in(another_aiogram, AS_AIOGRAM_3)
    import_aiogram()
    [line] = caplog.messages
    assert line == (
        "aiogram imported with every Bot API model built up front: pydantic's BaseModel.model_rebuild "
        "takes no _parent_namespace_depth, _types_namespace, force, raise_errors"
    )
    assert imported_types().Message.__pydantic_complete__, "built up front"
    assert BaseModel.__dict__["model_rebuild"] is changed
