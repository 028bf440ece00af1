## General

start-newcomer =
    Hi! I help Yandex Market sellers who deliver their own orders (DBS): track codes, delivery dates and order statuses, right from Telegram.

    <b>Own a shop?</b> Connect it: /settings — you need a Market API key with the order-processing scope.
    <b>A courier?</b> Ask the owner for an invite link and open it: the shop connects by itself.

    Help: /help.
start-courier =
    Hi! You are a courier — the essentials:
    📷 Just send a photo of the label — the track code goes to the Market in one tap. Or an order number — I show its card.
    📋 The order card: «Out for delivery», «Delivered». Commands: /track, /order.
    📅 /date — move a delivery date, if the owner allows it.

    Help: /help.
start-owner =
    Hi! What you can do with your shop:
    📷 Send a photo of a label or an order number — no command needed.
    📋 /orders — active orders, /order — an order's card and statuses.
    📷 /track — a track code, 📅 /date — move a date.
    👥 /team — invite couriers, ⚙️ /settings — key and shops, 🔔 /alerts — alerts.

    Help: /help.
help-newcomer =
    <b>Where to start</b>
    Shop owners: /settings connects a shop with a Market API key (order-processing scope).
    Couriers: open the invite link the shop's owner sent you.
    /cancel stops the current step.
help-courier =
    <b>What I can do</b>
    No command needed: 📷 a label photo — its track code goes to the Market; an order number — its card.
    📷 /track — a track code: order → service → label photo or code → «Send».
    📋 /order — the order card: «Out for delivery», «Delivered».
    🗂 /orders — active orders by delivery day.
    📅 /date — move a delivery date (if the owner allows it).
    💬 /chats — buyers' chats; «💬 Message the buyer» on the order card.
    🕘 /history — your last operations.
    🔔 /alerts — order and buyer message alerts.
    🏪 /shop — choose the shop if you have several.
    /cancel stops the current step.

    You can put the order number right after the command: <code>/track 123456789</code>.
help-owner =
    <b>What I can do</b>
    No command needed: 📷 a label photo — its track code goes to the Market; an order number — its card.
    🗂 /orders — active orders by delivery day.
    📋 /order — the order card: statuses, cancellation, the buyer.
    📷 /track — a track code: order → service → label photo or code → «Send».
    📅 /date — move a delivery date: order → date → reason.
    🕘 /history — your last operations in this shop.
    💬 /chats — buyers' chats waiting for an answer; reply to a buyer's message to answer.
    🔔 /alerts — cancellation requests, new orders, the morning digest, buyers' messages.
    👥 /team — couriers: invite, remove, hand the shop over.
    ⚙️ /settings — API key and shops, 🏪 /shop — choose the shop.
    /cancel stops the current step.

    You can put the order number right after the command: <code>/track 123456789</code>.
help-more =
    <b>More</b>
    Instead of typing a track code you can send a photo of the label with its barcode.
    Many track codes at once: send a list of lines «order number track code [service]», or a CSV/XLSX file with those columns — I show what is ready and send it all with one button.
    Dates can be written as <code>05.12</code>, <code>05.12.2026</code> or a word: «tomorrow».
    When the Market is busy, an operation waits and goes by itself — the result comes as a message.
button-help-more = More
cancelled = Cancelled. Start again any time: /track or /date.
nothing-to-cancel = There is nothing to cancel. /help shows what I can do.
unknown-input = I did not understand. Send a 📷 photo of a label or an order number — or /help.
unknown-command = There is no such command.
expected-text = Text is needed here, not a file or a sticker.
expected-text-voice = I do not listen to voice messages — please type it.
expected-text-video = I do not watch videos — please type it.
expected-text-sticker = A sticker is nice, but I need text.
input-hint = Send an order number or a 📷 photo of the label — or /help.
use-buttons = Please press a button here.
confirm-use-buttons = Pick with a button in the message above. /cancel to stop.
internal-error = ⚠️ Something went wrong on our side. Please try again or /cancel.
no-shop = ⛔ Connect a shop first: /settings. If you are a courier, ask the owner for an invite.
no-right = ⛔ You have no access to this shop.
stale-button = ⛔ This button is out of date. Start again: /track or /date.
already-handled = This was already sent.
sending = Sending to the Market…
market-slow = ⏳ The Market is answering slowly, waiting…
draft-cancelled = Cancelled, nothing was sent to the Market.

button-send = ✅ Send
button-cancel = ✖️ Cancel
button-more = More ▶
button-back = ◀ Back
list-order = #{ $id }
list-more = …and { $count } more
list-more-orders = and { $count } more

command-track = Send an order's track code
command-date = Move a delivery date
command-history = My recent operations
command-shop = Choose the shop
command-settings = Connect a shop (API key)
command-cancel = Stop the current step
command-help = Help

role-owner = owner
role-courier = courier
campaign-inactive = API disabled

## Input

order-id-not-text = Please send the order number as text.
order-id-empty = The order number is empty.
order-id-digits = An order number is digits only, for example <code>123456789</code>.
order-id-range = No order has this number: it must be from 1 to 9223372036854775807.
order-id-several = One order number is needed here, and this looks like several. Send the number of one order.
track-not-text = Please send the track code as text.
track-empty = The track code is empty.
track-too-long = The track code is too long: 64 characters at most.
track-unprintable = The track code contains invisible or control characters. Please type it again.
track-cyrillic = Track codes are Latin letters and digits; this one has Cyrillic letters: { $letters }. Switch the keyboard to English and type it again.
track-scientific = “{ $shown }” is how Excel shows a long number: its last digits are lost. Format the column as Text in Excel, paste the track codes again and send them again.
track-not-latin = The track code has characters track codes never have (invisible ones, or another alphabet's). Type it in Latin letters and digits.
track-spaces = A track code has no spaces, and this looks like two numbers, or a word and a number. Send one track code.
track-formula = A track code cannot start with “{ $char }”: that is how spreadsheet formulas start. Send the track code itself.
date-not-text = Please send the date as text or pick a button.
date-format = I could not read the date. Use <code>05.12</code> (day first), <code>5 December</code>, <code>2026-12-05</code> or a word: <code>today</code>, <code>tomorrow</code>.
date-impossible = There is no such date in the calendar.
date-past = That date has passed (Moscow time). Choose today or a later day.
date-same = { $date } is the order's current delivery date already. Choose another one.
key-not-text = Please send the API key as text.
key-shape = This does not look like an API key: it is one line without spaces.

## Order

order-card-title = <b>Order #{ $id }</b>
order-card-status = Status: { $status }
order-card-delivery = Delivery: { $date }
order-card-item = • { $name } × { $count }
order-card-more-items = • and { $count } more { $count ->
        [one] item
       *[other] items
    }
order-card-track = Track: <code>{ $code }</code> ({ $service })
order-not-found = ❌ Order #{ $id } was not found in this shop. Check the number and send it again.
order-in-other-shop = Order #{ $id } is not in «{ $here }» but in «{ $shop }».
button-switch-shop = 🔁 Switch to { $shop }

status-PLACING = being placed
status-RESERVED = reserved
status-UNPAID = not paid
status-PROCESSING = processing
status-DELIVERY = out for delivery
status-PICKUP = at the pickup point
status-DELIVERED = delivered
status-CANCELLED = cancelled
status-PENDING = pending
status-PARTIALLY_RETURNED = partially returned
status-RETURNED = returned
status-UNKNOWN = unknown

weekday-0 = Mon
weekday-1 = Tue
weekday-2 = Wed
weekday-3 = Thu
weekday-4 = Fri
weekday-5 = Sat
weekday-6 = Sun

## Track code

track-ask-order = Shop: <b>{ $shop }</b>. Send the order number.
track-ask-order-again = Send the order number (digits only) or /cancel.
orders-pick = Pick the order with a button (nearest delivery first) or send its number; the last 3–6 digits will do.
orders-none = No matching orders in the last 30 days: send the order number.
orders-tail-none = ❌ Order #{ $tail } was not found, and no listed order number ends in { $tail }. Pick one with a button or send the whole number.
orders-tail-several = Several order numbers end in { $tail }: pick one:
track-status-not-allowed = ⛔ A track code cannot be sent now: the order is { $status }. The Market takes track codes only for orders in processing, in delivery or at a pickup point.
track-ask-service = Pick the delivery service with a button, or type its name or number.
service-not-found = I found no such delivery service. Pick a button or type part of its name.
service-several = Several services match. Pick one:
track-ask-code = Service: <b>{ $service }</b>. Send the parcel's track code or a 📷 photo of the label with its barcode.
track-ask-code-again = Send the track code (up to 64 characters) or /cancel.
track-confirm =
    <b>Check before sending</b>
    Order: #{ $id }
    Delivery service: { $service }
    Track code: <code>{ $code }</code>
track-written-as = ℹ️ You sent “{ $typed }”: written the way the Market expects it. Check it against the parcel.
track-already-on-its-way = This track code for order #{ $id } is already on its way to the Market: nothing to do, the result comes in a message.
track-other-being-sent = Another track code is being sent for order #{ $id } right now: <code>{ $code }</code>. Wait for its result (it comes in a message) and send the new one again if needed.
track-replaces = ⚠️ The order has track code <code>{ $code }</code> now: the new one replaces it.
service-from-order = from the order

## Delivery date

date-ask-order = Shop: <b>{ $shop }</b>. Send the number of the order whose delivery date should move.
date-ask-order-again = Send the order number (digits only) or /cancel.
date-status-not-allowed = ⛔ The delivery date cannot be moved now: the order is { $status }. The Market allows it only for orders in processing or in delivery.
date-ask-date = Pick the new date with a button or type it: <code>05.12</code>, <code>05.12.2026</code> or <code>2026-12-05</code>.
date-ask-date-again = Send the new date, for example <code>05.12</code>, or /cancel.
date-ask-reason =
    New date: <b>{ $date }</b>. Why is it moving?
    • <b>The buyer asked</b> — the buyer asked for another day.
    • <b>The shop cannot make it</b> — you cannot deliver on time.
date-ask-reason-again = Pick the reason with a button above, or /cancel.
reason-buyer = The buyer asked
reason-shop = The shop cannot make it
date-confirm =
    <b>Check before sending</b>
    Order: #{ $id }
    New delivery date: { $date }
    Reason: { $reason }

## Result

result-track-ok = ✅ Track code <code>{ $code }</code> ({ $service }) sent to the Market for order #{ $id }.
result-date-ok = ✅ The delivery date of order #{ $id } is now { $date }.
result-already-done = ✅ Order #{ $id }: this was already sent to the Market; not sending it again.
result-failed-order = Order #{ $id }
result-not-sent = ❌ Not sent: { $reason }.
result-not-read = ⚠️ Could not ask the Market: { $reason }. Nothing was being sent.
failure-courier-removed = the courier was removed from the team, their queue was cancelled
failure-order-cancelled = the order was cancelled, there is nothing left to send to it
failure-superseded = a newer track code was sent for the order and replaced this one
failure-shop-gone = the shop was disconnected from the bot
failure-key-unreadable = the shop's API key cannot be read (SECRET_KEY changed): the owner needs to connect the shop again: /settings
failure-internal = a fault in the bot, it will be tried again
failure-no-business = the Market names no cabinet for this shop: the owner should connect the shop again: /settings
failure-timeout = the Market did not answer in time
failure-network = the Market could not be reached
result-failed-head = ❌ The Market did not accept the request.
result-failed-reason = The Market said: { $message } (code { $code })
hint-401 = The shop's API key is invalid or revoked. The owner needs to connect the shop again: /settings.
hint-403 = The key has no access to this shop or action. A key with the order-processing scope is needed: /settings.
hint-404 = There is no such order in this shop. Check the number or choose another shop: /shop.
hint-400 = The Market's reason is above: correct the details and try again.
hint-retry = The Market is not answering or is overloaded. Please try again a little later.

market-order-not-here = ❌ There is no such order in this shop. Check the number or choose another shop: /shop.
market-date-edits-exceeded = { $limit ->
        [0] ❌ This order's date cannot be moved again: the Market limits how often it moves.
       *[other] ❌ This order's date cannot be moved again: the Market allows at most { $limit } { $limit ->
            [one] move
           *[other] moves
        }.
    }
market-date-days-exceeded = { $limit ->
        [0] ❌ The date cannot move that far — pick a nearer day.
       *[other] ❌ The Market lets the date move by at most { $limit } { $limit ->
            [one] day
           *[other] days
        } — pick a nearer day.
    }
market-date-same = ❌ That is the current delivery date already — pick another one.
market-status-not-allowed = ❌ The order is «{ $status }» now — the Market does not take this in that status.
market-status-moved-on = ❌ The order's status no longer allows this step — someone may have taken it already. Open the order's card: /order
market-track-refused = ❌ The delivery service does not take this track code — check the code and the service.
button-fix-code = ✏️ Another track code
button-fix-date = 📅 Another date
## Connecting a shop

settings-ask-key =
    Send your Market API key. I will delete the message with it from the chat at once and keep the key encrypted.

    Where to get it: seller account at partner.market.yandex.ru → Settings → API and modules → API keys → «Create key». Tick the <b>order and product processing</b> scope.
settings-ask-key-again = Send the API key in one message, or /cancel.
settings-key-refused = ❌ The key did not work, nothing was saved. The Market said: { $message }
settings-key-refused-unknown = ❌ The key did not work: the Market does not know it — it was copied only in part, or revoked. Nothing was saved.
settings-key-refused-access = ❌ The key did not work: it has no access to the cabinet's shops. Nothing was saved.
settings-key-hint = Where to get a key: the seller cabinet at partner.market.yandex.ru → Settings → API and modules → «Create key», with the order-processing scope. Send it here in one message.
settings-market-unreachable = ⚠️ The Market cannot be reached right now: the key was not checked and nothing was saved. Send it again a little later.
settings-no-campaigns = ❌ This key reaches no shops. Check that it was created in the right seller account.
settings-key-ok = ✅ Key accepted.
settings-scope-missing = ⛔ The key lacks the order-processing scope (or full access): it cannot send track codes or move dates, so I do not connect a shop with it. Create a key with that scope and send it.
settings-choose-campaign = Choose the shop (DBS shops first):
settings-key-expired = ⛔ The key is no longer in memory (time passed or the bot restarted). Please send it again.
settings-connected = ✅ Shop <b>{ $shop }</b> is connected and selected. You can use /track and /date now.
    Next: invite your couriers — /team → «Invite a courier».
settings-campaign-taken = ⛔ Shop { $shop } is already connected by another user. Ask its owner to hand it over to you (/team → «Make owner») or to invite you as a courier.
shop-connect-attempt = ⚠️ { $name } tried to connect your shop { $shop } with their own API key. Nothing changed: the shop is yours, with the same key.
settings-not-dbs = ⚠️ This is not a DBS shop: the Market, not you, handles its track codes and delivery dates.

## Shops and history

shop-choose = Choose the shop:
shop-button-same-key = ➕ Another shop of this key
settings-same-key-none = Every shop of this key is connected already. For a shop of another cabinet: /settings with its key.
shop-active = ✅ The active shop is now <b>{ $shop }</b>.
shop-switch-ended-conversation = The action you had started (/track or /date) was for another shop and has been stopped: start it again.
history-head = <b>Your recent operations</b> — { $shop }
history-empty = You have no operations in { $shop } yet.
history-line = { $when } · #{ $id } · { $what } · { $result }
history-track = track <code>{ $code }</code> ({ $service })
history-date = date → { $date }
history-done = ✅
history-pending = ⏳ waiting to be sent
history-failed = ❌ { $message }
history-more = … and { $count } more that did not fit in one message.

## Reliability

result-queued = ⏳ The Market is busy or did not answer. Order #{ $id }: the operation is saved; I will keep retrying and report the result. You can put the phone away.
flood-slow-down = 🐢 Messages arrive faster than I can answer: I will answer each in order and lose none.
flood-skipped =
    🐢 No person sends that many messages in a row, so I skipped { $count ->
        [one] this message
       *[other] these { $count } messages
    }. Send them again if you need them:
    { $list }
## Team

command-team = The shop's team (owner)
team-owner-only = ⛔ Only the owner manages the team of { $shop }.
team-not-owner = ⛔ Only the shop's owner can do this.
team-head = <b>Team of { $shop }</b>
team-member-owner = 👑 { $name } — owner
team-member-courier = 🚚 { $name } — courier
team-empty = No couriers yet. Press «Invite a courier» and forward the link.
team-notices-on = 🔔 A notice for each courier operation: on.
team-notices-off = 🔕 A notice for each courier operation: off.
team-button-invite = ➕ Invite a courier
team-button-remove = 🗑 Remove { $name }
team-button-notices-on = 🔔 Turn notices on
team-button-notices-off = 🔕 Turn notices off
team-button-rekey = 🔑 Replace the API key
team-button-disconnect = ⛔ Disconnect the shop
team-invite =
    Invite link to <b>{ $shop }</b>; forward it to a courier:
    { $link }

    It works once and for { $hours } h. The courier can send track codes and move dates but can neither see nor change the API key.
team-button-share = 📤 Forward to a courier
team-invite-share-text = An invite to the shop { $shop }: open the link to work as its courier in the bot.
team-remove-ask = Remove { $name } from the team of { $shop }? The buttons on the courier's screen will stop working.
team-remove-yes = ⛔ Yes, remove { $name }
team-remove-no = Don't remove
team-remove-gone = This courier is no longer in the team.
team-removed = ✅ { $name } is no longer in the team.
team-you-were-removed = ⛔ The owner removed you from the team of { $shop }. You can no longer act for this shop.
team-ops-cancelled = The courier's unsent operations are cancelled and will not reach the Market. Orders: { $count } — { $orders }.
team-invites-open = Unused invites: { $count } (the newest is valid until { $until }).
team-button-revoke = ✖️ Revoke invites
team-invites-revoked = ✅ Invites revoked: { $count }. Those links no longer let anyone in.
team-dates-buyer = Couriers move delivery dates only when the buyer asked.
team-dates-any = Couriers move delivery dates for any reason.
team-dates-none = Couriers do not move delivery dates.
team-button-dates = 📅 Couriers and dates: change
team-write-yes = 💬 Couriers write to buyers in order chats: yes.
team-write-no = 💬 Couriers write to buyers in order chats: no (only you do).
team-button-write-yes = 💬 Couriers write to buyers: yes
team-button-write-no = 💬 Couriers write to buyers: no
date-couriers-off = ⛔ The owner of { $shop } does not let couriers move delivery dates.
date-buyer-only = ⛔ A courier moves a date only when the buyer asked: a move for the shop's reason counts against the shop. Ask the owner.
team-button-promote = 👑 Make owner: { $name }
team-promote-ask = Hand shop { $shop } over to { $name }? They become the owner: the key, the team and the settings pass to them, and you stay on as a courier. Unused invites are revoked.
team-promote-yes = ⛔ Yes, hand over to { $name }
team-promote-no = Don't hand over
team-handed-over = ✅ Shop { $shop } handed over: { $name } is the owner now. You stay in the team as a courier.
team-you-are-owner = 👑 { $name } handed shop { $shop } over to you: you are the owner now. /team shows the team and settings.
team-rekey = Replacing the key of <b>{ $shop }</b>: couriers keep working with the new key.
team-disconnect-ask = Disconnect { $shop }? Its key, team and history will be deleted. Operations not yet sent: { $pending }; they will not be sent and their authors will be told.
team-disconnect-yes = ⛔ Yes, disconnect the shop
team-disconnect-no = Don't disconnect
team-disconnected = ✅ { $shop } is disconnected: its key and team are deleted.
team-disconnected-own-ops = Your unsent operations will not reach the Market. Orders: { $count } — { $orders }.
team-shop-disconnected = ⛔ The owner disconnected { $shop } from the bot. You can no longer act for it.
team-shop-disconnected-ops = ⛔ The owner disconnected { $shop } from the bot. You can no longer act for it, and your unsent operations will not reach the Market. Orders: { $count } — { $orders }.
team-courier-joined = 👋 { $name } joined { $shop } as a courier. /team shows the team.
invite-joined = ✅ You are in the team of <b>{ $shop }</b> as a courier, and it is selected. Just send a 📷 photo of a label — the track code goes to the Market; or an order number. /help for more.
invite-unknown = ⛔ There is no such invite. Ask the owner for a new link.
invite-used = ⛔ This invite has already been used. Ask the owner for a new link.
invite-expired = ⛔ This invite has expired. Ask the owner for a new link.
invite-already-member = You are already in the team of { $shop }. /shop selects it.
settings-courier = ⛔ You are a courier in { $shop }: only the owner changes its key. To connect your own shop, first select another one in /shop.
history-head-team = <b>Your team's recent operations</b> — { $shop }
history-who = { " · " }{ $name }
owner-notice = 🔔 { $name } in { $shop }: { $line }
scan-read = 📷 From the photo: <code>{ $code }</code>
scan-several = The photo has { $count } { $count ->
        [one] code that looks
       *[other] codes that look
    } like a track code. Which one?
scan-no-track = The photo has barcodes, but none looks like this service's track code. Send a sharper photo or type the track code.
scan-nothing = No barcode found on the photo. Take it closer, straight on and in good light — or type the track code.
scan-no-order = The photo shows no order number of this shop.
scan-ask-order = The photo shows no order number of this shop. Which order is it? I have kept the track code from the photo.
scan-nothing-here = No barcode found on the photo. Take the label closer, straight and in good light — or send the order number.
scan-label-unread = The photo shows neither an order number of this shop nor a track code. Send the order number, or /track.
scan-not-image = That is not a photo or a picture.
scan-too-big = The file is over 20 MB: Telegram does not let a bot download it. Send the shot as a photo, not as a file.
scan-too-large = The picture is too large (over 50 megapixels).
scan-timeout = Could not read the photo in time. Take it closer — or type the number.
scan-download-failed = Could not get the photo from Telegram. Send it again.
button-send-all = 📦 Send all ({ $count })
button-batch = 📦 { $when } · lines: { $size }
bulk-preview-head = <b>Track code batch</b> — { $shop }: { $ready } of { $total } ready to send.
bulk-ready-line = { $order } · { $service } · <code>{ $code }</code>
bulk-ready-service = • { $service }: { $count }
bulk-ready-services-more = • other services: { $count }
bulk-preview-bad = Will not be sent ({ $count }):
bulk-bad-line = line { $line } (<code>{ $written }</code>): { $reason }
bulk-preview-send = Check and press «Send all» — { $count } will go.
bulk-fix-bad = Lines with problems can be fixed and sent as another list.
bulk-nothing-ready = Nothing to send: fix the lines and send the list again.
bulk-all-already = ✅ Everything in this list is in the Market already: nothing to do.
bulk-all-being-sent = ⏳ This list is being sent already: nothing to do, the result comes in its own message.
bulk-too-many = The list has { $count } { $count ->
        [one] line
       *[other] lines
    }, and one batch takes at most { $limit }. Split it and send the parts one after another — nothing was sent.
bulk-unreadable = could not read the line: it needs an order number, a track code and (optionally) a service
bulk-repeated = this order is already in line { $line }
bulk-not-found = order #{ $id } was not found in this shop
bulk-status = order #{ $id } is «{ $status }» now: it takes no track code
bulk-service-unknown = unknown delivery service «{ $service }»
bulk-service-several = several services match «{ $service }» — write the whole name
bulk-service-missing = no service given, and order #{ $id } names none — add the service as a third column
bulk-already = order #{ $id } already has this track code
bulk-being-sent = this track code is already being sent for order #{ $id }
bulk-other-being-sent = another track code is being sent for order #{ $id }: <code>{ $code }</code>
bulk-preview-written = Track codes written differently from the list ({ $count }), check them:
bulk-written = “{ $written }” → <code>{ $code }</code>
bulk-preview-replaces = Will replace the track code the order has now ({ $count }):
bulk-replaces = replaces <code>{ $code }</code>
bulk-replaces-more = …and { $count } more lines
bulk-left-out = ⚠️ Lines not sent ({ $count }): while the list waited for confirmation, a track code was sent or is being sent for these orders (from another list or /track), so they are not sent twice — { $orders }.
bulk-started = 📦 Sending the batch: { $size } { $size ->
        [one] track code
       *[other] track codes
    }…
bulk-progress = 📦 Batch: { $size } { $size ->
        [one] track code
       *[other] track codes
    }
    { $done }/{ $size } ✅ · { $failed } ❌ · { $retrying } ⏳
bulk-report = 📦 <b>Batch sent</b>: { $done }/{ $size } ✅ · { $failed } ❌
bulk-report-failed = Not sent:
bulk-failed-line = #{ $id } · <code>{ $code }</code> — { $message }
bulk-lines-head = <b>Batch of { $when }</b>, lines: { $size } (page { $page } of { $pages })
bulk-replaced = A newer list replaced this one: press «Send all» under the latest.
bulk-cancelled = Batch cancelled, nothing was sent.
bulk-send-again = The list was not sent — send it again a little later.
bulk-file-unreadable = Cannot read the file as a table. Send a CSV or XLSX: order number, track code and (optionally) the delivery service.
bulk-file-too-big = The file is over 2 MB — too much for a batch of up to 500 lines. Check that it is the right file.
bulk-file-too-much = The file is too big inside: an XLSX is a compressed archive, and its sheet or its strings take over 8 MB unpacked. A batch of up to 500 lines needs three columns: order number, track code, delivery service — keep only those, or send a CSV.
bulk-file-too-slow = The file could not be read within 5 seconds — there is too much in it for a batch of up to 500 lines. Keep only the order number, track code and delivery service in the table.
bulk-file-other-kind = I read CSV and XLSX tables. Save the file as an Excel workbook (.xlsx) or CSV and send it again.
bulk-file-empty = The file has no line with an order number and a track code.
history-batch = { $when } · 📦 batch: { $size } { $size ->
        [one] track code
       *[other] track codes
    } · { $done } ✅ · { $failed } ❌ · { $waiting } ⏳
bulk-owner-notice = 🔔 { $name } sent a batch in { $shop }: { $done }/{ $size } ✅ · { $failed } ❌. Details: /history.
command-order = Order card: status and actions
order-ask = Shop: <b>{ $shop }</b>. Send the order number.
order-ask-again = Send the order number (digits only) or /cancel.
order-use-card-buttons = Press a button under the order's card above, or /cancel.
order-no-actions = The order is «{ $status }» now: there is nothing to do with it.
button-step-DELIVERY = 🚚 Out for delivery
button-step-PICKUP = 🏪 At the pickup point
button-step-DELIVERED = ✅ Delivered
button-card-track = 🔢 Track code
button-card-date = 📅 Move date
button-today = Today
button-yesterday = Yesterday
delivered-ask-day = Order #{ $id }: when did the buyer get it?
delivered-ask-day-again = Pick the day the order was delivered with a button above, or /cancel.
status-confirm =
    <b>Check before sending</b>
    Order: #{ $id }
    New status: { $status }
status-confirm-on = Delivery date: { $date }
result-status-ok = ✅ Order #{ $id }: status «{ $status }».
result-status-on = Delivery date: { $date }.
history-status = status → { $status }
button-card-phone = 📞 Buyer's phone
button-card-cancel = ⛔ Cancel order
status-cancel-warning = ⚠️ The order will be cancelled as the shop's failure — this cannot be undone.
button-cancel-order-yes = ⛔ Yes, cancel the order
button-cancel-order-no = Don't cancel
order-cancel-kept = The order is not cancelled, nothing was sent to the Market.
buyer-contact = 👤 { $name }
    📞 { $phone }
    A substitute number: the call reaches the buyer.
buyer-no-phone = The Market gave no phone of the buyer for this order.
command-orders = Active orders by delivery day
orders-overview-head = <b>Active orders</b> — { $shop }: { $count }
orders-overview-none = The shop { $shop } has no order in processing or delivery.
orders-overview-pick = Nearest first; tap an order to open its card, or send its number.
orders-group-overdue = ⚠️ Overdue: { $count }
orders-group-today = 📦 Today: { $count }
orders-group-tomorrow = 🗓 Tomorrow: { $count }
orders-group-later = Later: { $count }
button-open-card = 📋 Order card
button-next = Next: { $step }
order-card-courier = By courier: { $address }
order-card-pickup = To the pickup point: { $address }
order-card-apartment = apt. { $number }
order-card-cancel-requested = ⚠️ The buyer asks to cancel the order.

# --- alerts ---------------------------------------------------------------------------------
command-alerts = Alerts: cancellations, new orders, digest
duration = { $hours } h { $minutes } min
alert-shop = Shop: { $shop }
alert-order-facts = Status: { $status } · delivery { $day } · items: { $items }
alert-cancel-head = ⚠️ <b>The buyer asks to cancel order #{ $id }</b>
alert-reminder-head = ⏰ <b>{ $left } left: the buyer asks to cancel order #{ $id }</b>
alert-cancel-requested = Requested on { $when }.
alert-cancel-when = Requested on { $when }. Unanswered, the Market cancels the order itself in { $left } ({ $deadline } Moscow time).
alert-cancel-ask =
    What should the Market be told?
    «Cancel order»: agree, the order is cancelled.
    «Already delivered» or «Still on its way»: refuse, the buyer or the courier has it.
alert-answered = ✅ { $name } answered: «{ $answer }».
alert-settled-elsewhere = ✅ The request was already answered in the Market's cabinet.
alert-settled-cancelled = The order is cancelled: the buyer got the cancellation.
alert-taken = { $name } already answered this request: «{ $answer }».
alert-taken-elsewhere = This request was already answered.
answer-accept = Cancel order
answer-ORDER_DELIVERED = Already delivered
answer-ORDER_IN_DELIVERY = Still on its way
button-alert-accept = ⛔ Cancel order
button-alert-delivered = ✅ Already delivered
button-alert-in-delivery = 🚚 Still on its way
alert-accept-ask = Cancel order #{ $id } at the buyer's request?
button-alert-accept-yes = ⛔ Yes, cancel
button-alert-accept-no = Don't cancel
alert-accept-kept = The order is not cancelled, nothing was sent to the Market. The buttons under the request still answer it.
result-answer-ok = ✅ Order #{ $id }: the Market took the answer to the cancellation request: «{ $answer }».
history-answer = cancellation answer → { $answer }
alert-new-order = 🆕 <b>New order #{ $id }</b> · { $shop }
    Items: { $items } · delivery { $day }
button-alert-open = 📋 Open
alert-digest-head = ☀️ <b>{ $shop }: deliveries for { $date }</b>
alert-digest-overdue = ⚠️ Overdue ({ $count }):
alert-digest-today = 📦 Today ({ $count }):
alert-digest-line = • #{ $id } — { $day }
alert-digest-unlisted = …and { $count } more, all in /orders.
alert-digest-more = Buttons for the first { $count }; the rest: /orders.
button-alert-move = 📅 …{ $id } · { $day }
alerts-head =
    <b>Alerts</b>
    Tap to switch on or off. It applies in all your shops.
alerts-on = 🔔
alerts-off = 🔕
alerts-cancel = { $state } <b>Cancellation requests</b>: to the owner and the courier who last worked on the order, with answer buttons and a reminder when 6 hours are left before the automatic cancellation.
alerts-new = { $state } <b>New orders</b>: one line and «Open».
alerts-digest = { $state } <b>Morning digest</b> at 09:00 Moscow time: today's deliveries and the overdue ones, with «Move date».
button-alerts-cancel = { $state } Cancellation requests
button-alerts-new = { $state } New orders
button-alerts-digest = { $state } Morning digest
alerts-chat = { $state } <b>Buyers' messages</b>: to the owner and the courier who last worked on the order, with «↩️ Reply».
button-alerts-chat = { $state } Buyers' messages
bot-description = I help Yandex Market sellers who deliver their own orders (DBS): couriers send track codes and mark deliveries, the owner moves dates, answers cancellation requests and decides who works for the shop. Start with /settings: connect a shop with a Market API key.
bot-short-description = Track codes, delivery dates and order statuses for Yandex Market (DBS), from Telegram.
