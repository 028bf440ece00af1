"""The Market's push notifications: the inbox they are written to on arrival, and what each one does
(`effects`) once a worker takes it from there."""
