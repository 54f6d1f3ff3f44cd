## Программа: /agenda, карточки, запись, /my, напоминания и уведомления
cmd-agenda = Программа конференции; запись на дискуссии
cmd-my = Моя программа и файл календаря

agenda-kind-opening = Открытие
agenda-kind-high-level = Сессия высокого уровня
agenda-kind-plenary = Пленарное заседание
agenda-kind-thematic = Тематическая дискуссия
agenda-kind-side-event = Сопутствующее мероприятие
agenda-kind-break = Перерыв
agenda-kind-closing = Закрытие

agenda-empty = Программа ещё не опубликована. Загляните позже.
agenda-day-title =
    <b>{ $conference }</b>
    Программа на { $date } (день { $day } из { $days }), местное время ({ $city })
agenda-page = Страница { $page } из { $pages }
agenda-line = <b>{ $start }–{ $end }</b> { $kind }: { $title }
agenda-line-titled = <b>{ $start }–{ $end }</b> { $title }
agenda-line-hall = 📍 { $hall }
agenda-line-seats = свободно мест: { $left } из { $capacity }
agenda-line-full = мест нет, открыт лист ожидания
agenda-line-cancelled = ❌ отменено
agenda-line-mine = ✅ вы записаны
agenda-line-waiting = ⏳ вы в листе ожидания
agenda-line-closed = 🔒 не для вашей категории

agenda-card-title =
    <b>{ $kind }</b>
    <b>{ $title }</b>
agenda-card-title-only = <b>{ $title }</b>
agenda-card-when = 🕒 { $date }, { $start }–{ $end } (местное время, { $city })
agenda-card-hall = 📍 { $hall }
agenda-card-speakers = 🎤 Выступают: { $names }
agenda-card-moderator = Модератор: { $names }
agenda-card-seats = Свободно мест: { $left } из { $capacity }
agenda-card-full = Свободных мест нет. В листе ожидания: { $waiting }.
agenda-card-open-to = Для участников: { $categories }
agenda-card-no-signup = Запись не нужна.
agenda-card-confirmed = ✅ Вы записаны.
agenda-card-waitlisted = ⏳ Вы № { $position } в листе ожидания.
agenda-card-cancelled = ❌ Мероприятие отменено.
agenda-card-closed-not-registered = 🔒 Чтобы записаться, сначала зарегистрируйтесь на конференцию: /start
agenda-card-closed-not-approved = 🔒 Записаться можно после одобрения вашей регистрации.
agenda-card-closed-category = 🔒 Не для вашей категории ({ $category }).

btn-agenda-sign-up = Записаться
btn-agenda-waitlist = Встать в лист ожидания
btn-agenda-leave = Отменить запись
btn-agenda-leave-waitlist = Выйти из листа ожидания
btn-agenda-back = ◀ К программе дня
btn-agenda-earlier = « Раньше
btn-agenda-later = Позже »
btn-agenda-give-back = Отдать место
btn-agenda-sign-up-anyway = Всё равно записаться
btn-agenda-waitlist-anyway = Всё равно встать в лист ожидания
btn-agenda-not-now = Отмена

agenda-signed-up = Вы записаны.
agenda-waitlisted = Мест нет: вы № { $position } в листе ожидания. Мы сразу сообщим, если место освободится.
agenda-left = Запись отменена.
agenda-clash = ⚠️ Это пересекается с тем, что вы уже выбрали:
agenda-clash-line = • { $start }–{ $end } { $title }
agenda-clash-ask = Всё равно записаться?
agenda-clash-ask-waitlist = Всё равно встать в лист ожидания?
agenda-gave-back = Вы отдали место на «{ $title }». Спасибо!

my-empty = Вы пока ни на что не записаны. Программа: /agenda
my-title = <b>Моя программа</b> — { $conference } (местное время, { $city })
my-day = <b>{ $date }</b>
my-line = { $start }–{ $end } { $title }, { $hall }
my-more = … и ещё { $count }: см. файл календаря.
my-ics-caption = Ваша программа файлом календаря: откройте его, чтобы добавить мероприятия в календарь.

reminder =
    ⏰ Напоминание: <b>{ $title }</b> начинается в { $start } ({ $date }).
    📍 { $hall }
promoted =
    🎉 Освободилось место: вы записаны на <b>{ $title }</b> ({ $date }, { $start }, { $hall }).
    Не сможете прийти? Отдайте место, чтобы его получил следующий в очереди.
notice-title = ℹ️ Изменение в вашей программе: <b>{ $title }</b>
notice-time = Новое время: { $date }, { $start }–{ $end } (было: { $old_date }, { $old_start }–{ $old_end }).
notice-hall = Новый зал: { $hall } (был: { $old_hall }).
notice-cancelled = ❌ Мероприятие отменено.
notice-restored = ✅ Мероприятие всё-таки состоится: { $date }, { $start }–{ $end }.

error-not_registered = Сначала зарегистрируйтесь на конференцию: /start
error-not_approved = Записаться можно после одобрения вашей регистрации.
error-item_cancelled = Мероприятие отменено.
error-signup_closed = На это мероприятие записываться не нужно.
error-category_not_allowed = Извините, это мероприятие не для участников вашей категории.
error-already_signed_up = Вы уже записаны на это мероприятие (или стоите в листе ожидания).
error-capacity_full = Извините, свободных мест нет. Можно встать в лист ожидания.
error-not_signed_up = Вы не записаны на это мероприятие.
error-clash = Это пересекается с тем, что вы уже выбрали.
error-item_not_found = Этого мероприятия больше нет в программе.
