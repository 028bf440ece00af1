"""Buyers' chats: their messages to the team (`feed`), the team's answers (`desk`)."""
