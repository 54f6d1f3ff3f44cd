## Commands (setMyCommands)
cmd-start = Регистрация или статус
cmd-me = Моя регистрация
cmd-edit = Изменить мои данные
cmd-language = Язык / Language
cmd-cancel = Прервать текущее действие
cmd-withdraw = Отозвать регистрацию
cmd-forget = Удалить мои персональные данные
cmd-help = Что умеет этот бот
cmd-delegation = Моя делегация (для глав делегаций)
cmd-invite = Ссылка-приглашение (администраторы, главы делегаций)
cmd-pending = Заявки, ожидающие решения (аккредитация)
cmd-register-member = Зарегистрировать члена делегации

## General
help =
    <b>{ $conference }</b>
    /start – регистрация или статус
    /me – ваша регистрация
    /badge – ваш бейдж с QR-кодом
    /agenda – программа; /my – ваши сессии
    /edit – изменить данные
    /language – English / Русский
    /withdraw – отозвать регистрацию
    /forget – удалить персональные данные
    /cancel – прервать текущее действие
no-conference = Регистрация на конференцию ещё не открыта. Пожалуйста, попробуйте позже.
no-conference-staff = Программа конференции ещё не загружена: загрузите её командой <code>confdesk program load ФАЙЛ.yaml</code> и повторите.
unknown-command = Я не знаю такой команды. Отправьте /help, чтобы узнать, что я умею.
unknown-text = Я вас не понял. Отправьте /help, чтобы узнать, что я умею.
unsupported-content = Здесь я понимаю только текстовые сообщения. Отправьте /help, чтобы узнать, что я умею.
cancelled = Прервано. Ничего не сохранено. Отправьте /start, чтобы начать заново.
nothing-to-cancel = Прерывать нечего.
internal-error = Извините, у нас что-то пошло не так. Попробуйте ещё раз; введённые данные сохранены.
not-allowed-command = Извините, эта команда только для организаторов.
choose-language = Выберите язык:
language-set = Язык: русский.
button-expired = Эта кнопка больше не действует.

## Sign-up wizard
welcome =
    Добро пожаловать на <b>{ $conference }</b>!
    Давайте зарегистрируемся. Прервать можно в любой момент командой /cancel.
ask-full-name = Ваше полное имя латиницей, как в паспорте (например: <i>Anna Petrova</i>):
ask-native-name = Ваше имя на родном языке, если оно пишется иначе (например: <i>Анна Петрова</i>). Или нажмите «Пропустить».
ask-delegation = В составе какой делегации вы участвуете? Выберите тип или напишите часть названия для поиска.
ask-delegation-list = Выберите делегацию ({ $kind }), страница { $page } из { $pages }:
ask-category = Ваша категория:
ask-position = Ваша должность (например: <i>заместитель министра иностранных дел</i>):
ask-organisation = Ваша организация (министерство, институт, СМИ). Или нажмите «Пропустить».
ask-consent =
    <b>Персональные данные</b>
    Для аккредитации организаторы хранят ваше имя, должность, организацию, делегацию и Telegram id, а также отмечают время сканирования вашего бейджа на площадке. Данные используются только для этой конференции и передаются только службе аккредитации. Посмотреть их можно командой /me, удалить — командой /forget в любой момент.
    Вы согласны?
consent-required = Без вашего согласия мы не можем вас зарегистрировать. Вы можете согласиться ниже или прервать командой /cancel.
search-none = Не найдено делегаций по запросу «{ $query }». Попробуйте другую часть названия или выберите тип:
search-results = Делегации по запросу «{ $query }»:
hint-text-expected = Пожалуйста, отправьте ответ текстовым сообщением.
hint-use-buttons = Пожалуйста, выберите одну из кнопок выше или напишите часть названия делегации.
hint-press-button = Пожалуйста, воспользуйтесь кнопками выше.
summary =
    <b>Проверьте, пожалуйста, данные</b>
    Имя: { $name }
    Имя на родном языке: { $native }
    Делегация: { $delegation }
    Категория: { $category }
    Должность: { $position }
    Организация: { $organisation }
summary-edit = Что вы хотите изменить?
registered-pending = Спасибо! Ваша заявка получена и ожидает решения службы аккредитации. Мы напишем вам здесь.
registered-approved = Спасибо! Вы аккредитованы. Ваш бейдж будет доступен здесь.
edit-saved = Изменения сохранены.
edit-saved-pending = Изменения сохранены. Поскольку изменились имя, делегация или категория, аккредитация снова передана на подтверждение.
edit-nothing = Ничего не изменилось.
behalf-registered =
    { $name } зарегистрирован(а) в вашей делегации (статус: { $status }).
    Отправьте эту персональную ссылку, чтобы подключить его или её Telegram:
    { $link }
behalf-no-link = { $name } зарегистрирован(а) в вашей делегации (статус: { $status }).
not-registered = Вы ещё не зарегистрированы. Отправьте /start, чтобы зарегистрироваться.
already-registered = Вы уже зарегистрированы. См. /me.

## Buttons
btn-skip = Пропустить
btn-confirm = ✅ Подтвердить
btn-edit = ✏️ Изменить
btn-cancel = Отмена
btn-agree = Я согласен(на)
btn-disagree = Я не согласен(на)
btn-prev = ◀
btn-next = ▶
btn-back = ↩ Назад
btn-approve = ✅ Одобрить
btn-reject = ❌ Отклонить
btn-yes-withdraw = Да, отозвать
btn-yes-forget = Да, удалить мои данные
btn-no = Нет, оставить
btn-revoke = Отозвать ссылку
kind-state = Государство
kind-organisation = Международная организация
kind-other = Другое
kind-none = Без делегации (независимый эксперт, пресса)
field-full_name = Имя
field-native_name = Имя на родном языке
field-delegation = Делегация
field-category = Категория
field-position = Должность
field-organisation = Организация

## Categories and statuses
category-head_of_delegation = Глава делегации
category-delegate = Член делегации
category-speaker = Докладчик
category-expert = Эксперт
category-press = Пресса
category-observer = Наблюдатель
category-staff = Персонал
status-pending = ⏳ ожидает решения
status-approved = ✅ одобрена
status-rejected = ❌ отклонена
status-cancelled = отозвана
none = —
no-delegation = без делегации

## Profile
me =
    <b>{ $conference }</b>
    Имя: { $name }
    Имя на родном языке: { $native }
    Делегация: { $delegation }
    Категория: { $category }
    Должность: { $position }
    Организация: { $organisation }
    Статус: { $status }
me-reason = Причина: { $reason }
withdraw-confirm = Отозвать вашу регистрацию на { $conference }? Ваши места на сессиях будут переданы другим.
withdrawn = Ваша регистрация отозвана. Зарегистрироваться снова можно командой /start.
forget-confirm = Удалить все ваши персональные данные? Регистрации будут отменены, бейдж перестанет действовать. Это действие необратимо.
forgotten = Ваши персональные данные удалены. Спасибо, что пользовались confdesk.
kept = Хорошо, ничего не изменилось.

## Accreditation
officer-new =
    <b>Новая заявка #{ $id }</b>
    { $name } { $native }
    Делегация: { $delegation }
    Категория: { $category }
    Должность: { $position }
    Организация: { $organisation }
officer-approved = ✅ Одобрено: { $officer }.
officer-rejected = ❌ Отклонено ({ $officer }): { $reason }
officer-already-decided = Заявка #{ $id } уже { $status ->
        [approved] одобрена
       *[rejected] отклонена
    }: { $by }, { $at }. Ничего не изменено.
decided-by-system = автоматически
ask-reject-reason = Почему отклонена заявка #{ $id } ({ $name })? Участник увидит причину.
participant-approved = ✅ Ваша аккредитация на <b>{ $conference }</b> одобрена. Добро пожаловать!
participant-rejected =
    ❌ Ваша аккредитация на <b>{ $conference }</b> не одобрена.
    Причина: { $reason }
pending-none = Нет заявок, ожидающих решения.
pending-list = <b>Ожидают решения: { $total }</b>
pending-item = #{ $id } { $name } · { $delegation } · { $category }
pending-more = …и ещё { $more }. Примите решения по этим и снова отправьте /pending.

## Delegations and invitations
delegation-not-head = Это для глав делегаций. Если вы возглавляете делегацию, попросите организаторов отметить вас её главой.
delegation-members =
    <b>{ $delegation }</b>
    Места: { $taken } из { $quota }
delegation-member = { $name } · { $category } · { $status }
delegation-empty = Пока никто не зарегистрирован.
unlimited = без ограничений
invite-usage = Формат: /invite [КОД ДЕЛЕГАЦИИ] [uses=N] [days=N] [категория]. Главы делегаций могут не указывать код.
invite-unknown-delegation = Нет делегации с кодом { $code }.
invite-own-delegation-only = Приглашать можно только в свою делегацию ({ $code }). Отправьте /invite без кода.
invite-created =
    Приглашение в <b>{ $delegation }</b>{ $category }:
    { $link }
    Использований: { $uses }. Действует до: { $expires }.
invite-category = {" "}({ $category })
invite-revoked = Ссылка-приглашение отозвана.
invite-welcome = Вас приглашают в делегацию <b>{ $delegation }</b>.
bind-done = Ваш Telegram подключён к вашей регистрации, { $name }.
behalf-start = Вы регистрируете члена делегации <b>{ $delegation }</b>. Ответьте на следующие вопросы за него или неё.

## Errors from the services (error-<code>)
error-generic = Извините, не получилось: { $message }
error-quota_exceeded = Извините, у делегации не осталось мест (занято { $quota } из { $quota }).
error-already_registered = Вы уже зарегистрированы. См. /me.
error-already_decided = Эта заявка уже { $status ->
        [approved] одобрена
       *[rejected] отклонена
    }.
error-registration_cancelled = Участник отозвал эту заявку.
error-registration_not_found = В этой конференции нет такой заявки.
error-registration_changed = Заявка за это время изменилась. Отправьте /pending, чтобы увидеть её снова.
error-reason_required = Пожалуйста, укажите причину.
error-invitation_invalid = Эта ссылка-приглашение недействительна.
error-invitation_revoked = Эта ссылка-приглашение отозвана. Попросите новую.
error-invitation_expired = Срок действия ссылки-приглашения истёк. Попросите новую.
error-invitation_used_up = Ссылка-приглашение уже использована. Попросите новую.
error-bind_invalid = Эта персональная ссылка недействительна или уже использована.
error-bind_taken = Эта регистрация уже подключена к другому аккаунту Telegram.
error-bind_account_in_use = Ваш аккаунт Telegram уже зарегистрирован. См. /me.
error-nothing_to_forget = У нас нет ваших персональных данных.
error-already_withdrawn = Ваша регистрация уже отозвана.
error-registration_inactive = Ваша регистрация больше не действует. Отправьте /start, чтобы зарегистрироваться снова.
error-no_conference = Регистрация на конференцию ещё не открыта. Пожалуйста, попробуйте позже.
error-permission_denied = Извините, это только для организаторов.
error-not_found = Не найдено.
error-too_short = Слишком коротко: нужно не меньше { $min } символов.
error-too_long = Слишком длинно: не больше { $max } символов.
error-control_chars = Пожалуйста, отправьте обычный текст без служебных символов.
error-not_latin = Пожалуйста, напишите имя латиницей, как в паспорте.
error-name_commas = Пожалуйста, используйте не больше одной запятой, например <i>Petrova, Anna</i>, или напишите имя как в паспорте.
error-not_letters = Пожалуйста, используйте буквы.

## Questions when a head of delegation registers a member
ask-full-name-behalf = Полное имя члена делегации латиницей, как в паспорте (например: <i>Anna Petrova</i>):
ask-native-name-behalf = Имя члена делегации на родном языке, если оно пишется иначе (например: <i>Анна Петрова</i>). Или нажмите «Пропустить».
ask-position-behalf = Должность члена делегации (например: <i>советник</i>):
ask-organisation-behalf = Организация члена делегации (министерство, институт, СМИ). Или нажмите «Пропустить».
ask-consent-behalf =
    <b>Персональные данные</b>
    Для аккредитации организаторы хранят имя, должность, организацию, делегацию члена делегации и, после подключения, его Telegram id, а также отмечают время сканирования бейджа на площадке. Данные используются только для этой конференции. Посмотреть их можно командой /me, удалить — командой /forget в любой момент.
    Подтверждаете ли вы, что член делегации согласен?
