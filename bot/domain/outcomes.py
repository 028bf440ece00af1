"""What services answer with: how an operation stands after an attempt (or a repeated confirmation).

A domain type, so that the notices interface, the services and the Telegram layer share it without
importing each other."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.operations import Failure
from bot.domain.records import Operation, OperationStatus


@dataclass(frozen=True, slots=True)
class Outcome:
    operation: Operation
    duplicate: bool = False  # this confirmation was handled before: nothing was sent now
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.operation.status is OperationStatus.DONE

    @property
    def pending(self) -> bool:
        return self.operation.pending

    @classmethod
    def recorded(cls, operation: Operation) -> Outcome:
        """An operation handled before, as its row says now."""
        return cls(operation, duplicate=True, failure=Failure.from_json(operation.last_error))
