# Чаты с покупателями

command-chats = Чаты с покупателями, ждущие ответа
button-card-chat = 💬 Написать покупателю
button-chat-reply = ↩️ Ответить
button-chat-answered = ✅ Ответил(а) { $name } · ↩️ Ещё
button-chat-card = 📋 Карточка заказа
button-chat-stop = Отмена

chat-from-buyer = Покупатель { $name }
chat-from-buyer-unnamed = Покупатель
chat-from-customer = Покупатель
chat-from-support = 🛟 Поддержка Маркета
chat-from-market = 🤖 Маркет (автоматическое сообщение)
chat-from-partner = Магазин
chat-from-you = Вы
chat-head = 💬 <b>{ $who }</b>
chat-order = Заказ №{ $id }
chat-order-status = Заказ №{ $id } · { $status }
chat-order-status-day = Заказ №{ $id } · { $status } · доставка { $day }
chat-about-product = Вопрос о товаре (не о заказе)
chat-dispute = ⚖️ <b>Спор</b>: в чате участвует арбитр Маркета
chat-file = 📎 { $name }
chat-file-not-read = 📎 { $name } — не загрузился сюда (больше 5 МБ или недоступен), откройте его в кабинете Маркета

chat-reply-prompt = ✍️ Ответ покупателю заказа №{ $id }: напишите текст или пришлите фото или файл (до 5 МБ). Или одна кнопка:
chat-reply-prompt-direct = ✍️ Ответ покупателю: напишите текст или пришлите фото или файл (до 5 МБ).
chat-reply-again = Напишите ответ покупателю текстом или пришлите фото или файл. /cancel — не отвечать.
chat-reply-what = Покупателю можно отправить текст, фото или файл.
chat-reply-stopped = Хорошо, не отвечаю.
chat-phrase-0 = Подъезжаю, буду через 15 минут
chat-phrase-1 = Не могу дозвониться, перезвоните, пожалуйста
chat-phrase-2 = Оставил заказ у двери

chat-sent = ✅ Сообщение отправлено покупателю заказа №{ $id }.
chat-sent-direct = ✅ Сообщение отправлено покупателю.
chat-file-sent = ✅ Файл отправлен покупателю.
chat-queued = ⏳ Маркет сейчас занят. Сообщение сохранено: отправлю сам, как только Маркет примет, и сообщу.
chat-not-sent = ❌ Сообщение покупателю не отправлено.
history-chat = сообщение покупателю

chat-empty = Пустое сообщение покупателю не отправить: напишите текст.
chat-too-long = Сообщение длиннее, чем принимает Маркет: { $count } { $count ->
    [one] символ
    [few] символа
   *[many] символов
} при пределе { $limit }. Сократите его или отправьте частями.
chat-file-what = Покупателю можно отправить фото или файл.
chat-file-too-big = Файл больше 5 МБ — Маркет такой не примет. Сожмите его или отправьте другой.
chat-gone = Этот чат недоступен: он не вашего магазина или вас больше нет в команде.
chat-couriers-off = Владелец магазина выключил переписку курьеров с покупателями (/team).
chat-no-scope = У API-ключа магазина нет доступа к чатам с покупателями. Владельцу: в кабинете Маркета (Настройки → API и модули) добавьте ключу доступ «Общение с покупателями» (communication) и подключите ключ заново в /settings. Остальное работает как прежде.

chats-none = 💬 В магазине { $shop } нет чатов, ждущих ответа.
chats-head = 💬 <b>Ждут ответа</b> — { $shop }: { $count } { $count ->
    [one] чат
    [few] чата
   *[many] чатов
} (дольше всех ждущие — первыми)
chats-order = заказ №{ $id }
chats-product = вопрос о товаре
chats-line = { $n }. { $what } · { $name } · ждёт { $waited }
chats-more = … и ещё { $count } — ответьте сначала на эти.
chat-waited-minutes = { $minutes } мин
chat-waited-hours = { $hours } ч { $minutes } мин
chat-waited-days = { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
}
chat-log-head = 💬 <b>Чат: { $what }</b> — последние сообщения
chat-log-empty = Сообщений пока нет.
chat-log-line = <i>{ $when } · { $who }</i>{ $files ->
    [0] {""}
   *[other] {" "}· 📎 { $files }
}

settings-chats-scope-missing = ⚠️ У этого ключа нет доступа «Общение с покупателями» (communication): трек-номера и даты работают, но чаты с покупателями — нет. Чтобы отвечать покупателям из бота, добавьте ключу этот доступ в кабинете Маркета и подключите его заново.
