"""Use cases: each service owns its rules and its transaction, returns results or raises domain errors.

Services use storage and the Market client; they never import aiogram. Telling people goes through the
`Notices` interface (implemented by `bot.telegram.notifier`).
"""
