"""aiogram imported lazily (bot.lazy_aiogram) still builds every Bot API model, on first use, as its
own import would have: no update type or method the bot has not met yet can fail later."""

from __future__ import annotations

import aiogram.methods
import aiogram.types
from pydantic import BaseModel


def test_every_type_and_method_builds_when_first_used() -> None:
    names = [("types", n) for n in aiogram.types.__all__] + [("methods", n) for n in aiogram.methods.__all__]
    models = [getattr(aiogram.types if where == "types" else aiogram.methods, name) for where, name in names]
    models = [m for m in models if isinstance(m, type) and issubclass(m, BaseModel)]
    assert len(models) > 500
    for model in models:
        model.model_rebuild()  # what pydantic does on a deferred model's first use
    incomplete = [m.__name__ for m in models if not m.__pydantic_complete__]
    assert incomplete == []


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
