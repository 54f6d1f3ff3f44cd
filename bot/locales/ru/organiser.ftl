## Отчёты, поиск, графики и рассылки для организаторов (bot/routers/organiser.py, broadcast.py)

cmd-stats = Кто на месте: цифры (персонал)
cmd-attendance = Посещаемость по делегациям, мероприятиям, дням (аккредитация)
cmd-find = Найти участника по имени (аккредитация)
cmd-broadcast = Рассылка участникам (администраторы)

stats-title = 📊 <b>{ $conference }</b>, { $day } ({ $tz })
stats-body =
    Зарегистрировано: <b>{ $registered }</b>
    Ожидают: { $pending } · одобрено: { $approved }
    Прошли сегодня: <b>{ $checked }</b>
    Сейчас на площадке: <b>{ $inside }</b>
stats-by-category = <b>По категориям</b> (одобрено · прошли · на площадке):
stats-category-line = { $category }: { $approved } · { $checked } · { $inside }
stats-bad-day = Укажите день как ГГГГ-ММ-ДД, например /stats 2024-10-31.

btn-chart-hours = 📈 Проходы по часам
btn-chart-delegations = 📊 Присутствие по делегациям
btn-att-delegations = По делегациям
btn-att-items = По мероприятиям
btn-att-days = По дням
btn-att-back = ◀ Назад
btn-att-prev = ◀
btn-att-next = ▶

att-menu = <b>Посещаемость</b>, { $day }: прошли { $checked }, сейчас на площадке { $inside }. Выберите разрез:
att-deleg-title = <b>По делегациям</b>, { $day } (аккредитовано · были сегодня · на заседании высокого уровня)
att-deleg-headline = Делегаций на заседании высокого уровня: <b>{ $present } из { $total }</b>
att-deleg-today = Делегаций сегодня: { $present } из { $total }
att-deleg-line = { $name }: { $accredited } · { $present } · { $high }
att-page = Страница { $page } из { $pages }
att-deleg-members = <b>{ $name }</b>: аккредитовано { $accredited }, были { $day }: { $present }, на заседании высокого уровня: { $high }, сейчас на площадке: { $inside }.
att-items-title = <b>По мероприятиям</b> (записались · пришли · не пришли)
att-item-line = { $time } { $title }: { $signed } · { $scanned } · { $noshows }
att-item-detail =
    <b>{ $title }</b>, { $time }
    Записались: { $signed } (лист ожидания: { $waitlisted })
    Прошли: { $scanned } (без записи: { $walkins })
    Не пришли: <b>{ $noshows }</b>
att-noshows = Не пришли:
att-noshow-line = • { $name } ({ $delegation })
att-days-title = <b>По дням</b> (были · проходы · отказы)
att-day-line = { $day }: { $present } · { $entries } · { $refused }
att-none = Пока нечего показать.

chart-hours-title = Проходы по часам, { $day }
chart-hours-x = Час ({ $tz })
chart-hours-y = Проходы
chart-hours-caption = 📈 Проходы по часам, { $day }: всего { $total }.
chart-deleg-title = Присутствие по делегациям, { $day }
chart-deleg-caption = 📊 Присутствие по делегациям, { $day }.
chart-accredited = Аккредитовано
chart-present = Были сегодня
chart-inside = Сейчас на площадке

find-usage = Отправьте /find и имя, например <code>/find Лавров</code>, или наберите @{ $bot } и имя в любом чате.
find-none = Никого не найдено по запросу «{ $query }».
find-results = Найдено { $total } по запросу «{ $query }». Выберите:
find-more = …и ещё { $more }: уточните запрос.
card-head = <b>{ $name }</b> { $native }
card-body =
    #{ $id } · { $delegation } · { $category }
    Статус: { $status }
    Должность: { $position }
    Бейдж: версия { $version }, напечатан { $printed } раз(а)
card-inside-venue = Сейчас: на площадке с { $since }
card-inside-hall = Сейчас: в зале «{ $hall }» с { $since }
card-outside = Сейчас: не на площадке
card-scans = Последние сканирования:
card-scan-line = { $at } { $direction } { $place }: { $result } ({ $gate })
card-no-scans = Сканирований пока нет.
place-venue = площадка
inline-find-hint = Наберите имя, чтобы найти участника
inline-not-allowed = Искать участников могут только организаторы.

bc-ask-text = ✉ Отправьте сообщение для участников (форматирование сохранится). /cancel — отмена.
bc-text-too-long = Слишком длинно: не больше { $max } символов.
bc-text-only = Пожалуйста, отправьте текст.
bc-choose-audience = Кому отправить?
bc-aud-approved = Всем одобренным
bc-aud-delegation = Делегации
bc-aud-category = Категории
bc-aud-item = Записавшимся на мероприятие
bc-aud-inside = Тем, кто сейчас на площадке
bc-choose-delegation = Выберите делегацию:
bc-choose-category = Выберите категорию:
bc-choose-item = Выберите мероприятие:
bc-label-approved = все одобренные
bc-label-delegation = делегация { $name }
bc-label-category = категория { $category }
bc-label-item = записавшиеся на «{ $title }»
bc-label-inside = сейчас на площадке
bc-preview = <b>Предпросмотр</b>: кому — { $audience }, получателей: <b>{ $count }</b>. Сообщение:
bc-send = ✅ Отправить ({ $count })
bc-cancel = ✖ Отмена
bc-cancelled = Рассылка отменена, ничего не отправлено.
bc-nobody = В аудитории «{ $audience }» некому отправить. Выберите другую или /cancel.
bc-queued = 📤 В очереди для { $count } получателей; отправляем…
bc-progress = 📤 Рассылка №{ $id }: отправлено { $sent } из { $total }, ошибок { $failed }, заблокировали бота { $blocked }…
bc-done = ✅ Рассылка №{ $id } завершена: доставлено { $sent } из { $total }, ошибок { $failed }, заблокировали бота { $blocked }.
bc-report = 📬 Отчёт о доставке, рассылка №{ $id }: доставлено { $sent } из { $total }, ошибок { $failed }, заблокировали бота { $blocked }.
error-broadcast_empty = Сообщение пустое.
