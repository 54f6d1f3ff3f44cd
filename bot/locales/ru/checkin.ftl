## Door staff: check-in verdicts, gates, photos
verdict-ok = Добро пожаловать
verdict-ok-out = Выход отмечен
verdict-duplicate = Уже внутри
verdict-invalid = Недействительный код
verdict-revoked = Бейдж отозван (выдан новый)
verdict-not_approved = Не аккредитован(а)
verdict-not_allowed = Нет допуска на эту сессию
verdict-head = { $icon } <b>{ $verdict }</b>
verdict-person =
    <b>{ $name }</b> { $native }
    { $delegation } · { $category }
verdict-already = Вход в { $at } ({ $gate }), пропустил { $by }
verdict-where = { $gate } · { $direction }
verdict-outside-dates = ⚠️ Сегодня не день этой конференции ({ $first } – { $last }): проверьте конференцию и часы.
gate-current = Контроль: <b>{ $gate }</b>, { $direction }. Выберите другое место или направление:
gate-set = Теперь контроль: { $gate }, { $direction }
gate-entrance = Вход на площадку
gate-in = вход
gate-out = выход
gate-btn-in = ➡️ Вход
gate-btn-out = ⬅️ Выход
photo-no-code = Не удалось найти читаемый QR-код на фото. Держите бейдж ровно, крупно, без бликов и попробуйте снова.
photo-not-image = Этот файл — не изображение.
badge-link-unknown = Этот код здесь недействителен.
cmd-gate = Выбрать вход и направление (контроль)
cmd-badge = Мой бейдж с QR-кодом

## The participant's own badge
badge-caption = Ваш бейдж на <b>{ $conference }</b>. Покажите QR-код на входе.
error-badge_pending = Бейдж будет доступен после одобрения аккредитации.
error-badge_rejected = Бейджа нет: аккредитация не одобрена. См. /me.
error-badge_cancelled = Бейджа нет: регистрация отозвана.
error-not_an_image = Этот файл — не изображение.
