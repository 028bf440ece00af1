# Buyers' chats

command-chats = Buyers' chats waiting for an answer
button-card-chat = 💬 Message the buyer
button-chat-reply = ↩️ Reply
button-chat-answered = ✅ { $name } replied · ↩️ More
button-chat-card = 📋 Order card
button-chat-stop = Cancel

chat-from-buyer = Buyer { $name }
chat-from-buyer-unnamed = Buyer
chat-from-customer = Buyer
chat-from-support = 🛟 Market support
chat-from-market = 🤖 Market (automatic message)
chat-from-partner = Shop
chat-head = 💬 <b>{ $who }</b>
chat-order = Order #{ $id }
chat-order-status = Order #{ $id } · { $status }
chat-order-status-day = Order #{ $id } · { $status } · delivery { $day }
chat-about-product = A question about a product (not an order)
chat-dispute = ⚖️ <b>Dispute</b>: a Market arbiter takes part in this chat
chat-file = 📎 { $name }
chat-file-not-read = 📎 { $name } — not loaded here (over 5 MB or unavailable); open it in the Market's cabinet
chat-files-more = 📎 … and { $count } more { $count ->
    [one] file
   *[other] files
} — in the Market's cabinet

chat-reply-prompt = ✍️ Reply to the buyer of order #{ $id }: write a text or send a photo or a file (up to 5 MB). Or one button:
chat-reply-prompt-direct = ✍️ Reply to the buyer: write a text or send a photo or a file (up to 5 MB).
chat-reply-again = Write your reply to the buyer as text, or send a photo or a file. /cancel — do not reply.
chat-reply-what = A buyer can be sent a text, a photo or a file.
chat-reply-stopped = OK, not replying.
chat-phrase-0 = On my way, I will be there in 15 minutes
chat-phrase-1 = I cannot reach you by phone, please call me back
chat-phrase-2 = I left the order at your door

chat-sent = ✅ Message sent to the buyer of order #{ $id }.
chat-sent-direct = ✅ Message sent to the buyer.
chat-file-sent = ✅ File sent to the buyer of order #{ $id }.
chat-file-sent-direct = ✅ File sent to the buyer.
chat-resumed = ↩️ Back to what you were doing:
chat-not-opened = ❌ Could not open the chat with the buyer.
chat-file-not-sent = ❌ The file was not sent to the buyer.
chat-queued = ⏳ The Market is busy right now. The message is saved: I will send it as soon as the Market takes it, and tell you.
chat-not-sent = ❌ The message to the buyer was not sent.
history-chat = message to the buyer

chat-empty = An empty message cannot be sent to the buyer: write a text.
chat-too-long = The message is longer than the Market takes: { $count } { $count ->
    [one] character
   *[other] characters
} where the limit is { $limit }. Shorten it or send it in parts.
chat-file-what = A buyer can be sent a photo or a file.
chat-file-too-big = The file is over 5 MB — the Market will not take it. Compress it or send another one.
chat-gone = This chat is not available: it is not your shop's, or you are no longer on the team.
chat-couriers-off = The shop's owner has turned off couriers' messages to buyers (/team).
chat-no-scope = The shop's API key has no access to buyers' chats. Owner: in the Market's cabinet (Settings → API and modules) give the key the "Communication with buyers" (communication) access and connect the key again in /settings. Everything else works as before.

chats-none = 💬 No chats are waiting for an answer in { $shop }.
chats-head = 💬 <b>Waiting for an answer</b> — { $shop }: { $count } { $count ->
    [one] chat
   *[other] chats
} (longest waiting first)
chats-order = order #{ $id }
chats-product = product question
chats-line = { $n }. { $what } · { $name } · waiting { $waited }
chats-more = … and { $count } more — answer these first.
chat-waited-minutes = { $minutes } min
chat-waited-hours = { $hours } h { $minutes } min
chat-waited-days = { $days } { $days ->
    [one] day
   *[other] days
}
chat-log-head = 💬 <b>Chat: { $what }</b> — last messages
chat-log-empty = No messages yet.
chat-log-line = <i>{ $when } · { $who }</i>{ $files ->
    [0] {""}
   *[other] {" "}· 📎 { $files }
}

settings-chats-scope-missing = ⚠️ This key has no "Communication with buyers" (communication) access: track codes and dates work, buyers' chats do not. To answer buyers from the bot, give the key this access in the Market's cabinet and connect it again.

chat-follow-up-ask =
    ✉️ Send this to the buyer of order #{ $id }?
    <i>{ $text }</i>
chat-follow-up-ask-direct =
    ✉️ Send this to the buyer you have just answered?
    <i>{ $text }</i>
button-follow-up-send = ✉️ Send to the buyer of #{ $id }
button-follow-up-keep = No, do not send
chat-follow-up-kept = OK, not sending it. /help shows what I can do.
chat-try-again-by-reply = To try again, reply to the buyer's message.
chat-resumed-above = (the message with its buttons is above)
chat-file-and-caption-sent = ✅ The file and its caption were sent to the buyer of order #{ $id }.
chat-waited-now = just now
chat-looks-like-key = 🔑 This looks like a Market API key — I do not send that to a buyer and deleted the message. A key goes into /settings.
chat-follow-up-gone = This line no longer waits to be sent. To write to the buyer, reply to their message.
chat-follow-up-which = Who is this for? More than one buyer is on screen — reply (swipe) to the right buyer's message and it goes to them.
chat-unreadable = 💬 The buyer of order #{ $id } wrote in the chat, but the Market has not given that message to the bot for about an hour. Open the chat in the Market's cabinet.
button-follow-up-send-direct = ✉️ Send to the buyer
