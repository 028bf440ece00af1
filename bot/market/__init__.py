"""Yandex Market partner API client (the endpoints this bot uses).

Import from the modules: `client` (MarketClient), `transport` (MarketTransport), `errors`, `models`,
`writer`. Nothing is imported here, so that reading the models or errors does not load httpx.
"""
