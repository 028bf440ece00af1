"""The bot's own vocabulary: records, operation kinds, parsing of user input, retry policy, the clock.

Imports neither aiogram nor storage; the Market client's models are the only outside types it knows.
"""
