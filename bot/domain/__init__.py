"""The bot's own vocabulary: records, operation kinds, parsing of user input, retry policy, the clock.

Imports neither aiogram, nor storage, nor the Market client: the Market's records the bot reasons
about live here (`market_data`), and the client parses its answers into them.
"""
