"""The Market's push notifications: the inbox they are written to before being answered
(`inbox.MarketInbox`), and what each one does afterwards (`effects.Effects`)."""
