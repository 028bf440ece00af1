"""What only Telegram needs: middlewares, the access check, views, keyboards, texts, the notifier."""
