"""Token paging, read for the caller (the shape of openai-python's AsyncPaginator, kept small).

The Market pages a listing with a token: each page names the next one, the last names none. `Pages`
reads them one after another, from a given token and up to a page cap if asked, and says where it
stands (`next_token`, `read`), which is what a reader that stops at its cap and goes on later needs.
`Pages.items()` gives the items of every page one by one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Page(Protocol[T_co]):
    """One page as the Market answers it: its items and the token of the next page (None: the last)."""

    @property
    def items(self) -> Sequence[T_co]: ...

    @property
    def next_page_token(self) -> str | None: ...


class Pages(Generic[T]):
    """The pages of one listing, from the page `token` names (None: the first), at most `max_pages` of
    them (None: every page). `fetch` reads the page a token names."""

    def __init__(
        self,
        fetch: Callable[[str | None], Awaitable[Page[T]]],
        *,
        token: str | None = None,
        max_pages: int | None = None,
    ) -> None:
        self._fetch = fetch
        self._max_pages = max_pages
        self._ended = False
        self.next_token = token  # the page to read next; None once the last page was read
        self.read = 0  # pages read so far

    def __aiter__(self) -> Pages[T]:
        return self

    async def __anext__(self) -> Page[T]:
        if self._ended or (self._max_pages is not None and self.read >= self._max_pages):
            raise StopAsyncIteration
        page = await self._fetch(self.next_token)
        self.read += 1
        self.next_token = page.next_page_token or None
        self._ended = self.next_token is None
        return page

    def items(self) -> AsyncIterator[T]:
        """Every item of these pages, in order; a page is read when the one before is used up."""
        return _Items(self)


class _Items(AsyncIterator[T]):
    def __init__(self, pages: Pages[T]) -> None:
        self._pages = pages
        self._buffer: deque[T] = deque()

    def __aiter__(self) -> _Items[T]:
        return self

    async def __anext__(self) -> T:
        while not self._buffer:
            page = await anext(self._pages)  # its StopAsyncIteration ends this one too
            self._buffer.extend(page.items)
        return self._buffer.popleft()
