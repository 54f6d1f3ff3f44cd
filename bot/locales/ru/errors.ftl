# Тексты для кодов ошибок, у которых нет собственного файла раздела. У каждого кода из core/
# есть текст на обоих языках (это проверяет tests/bot/test_i18n.py).
error-invalid_input = Не удалось разобрать ввод. Пожалуйста, проверьте и попробуйте ещё раз.
error-wrong_state = Сейчас это сделать нельзя: запись тем временем изменилась.
error-wrong_conference = Это относится к другой конференции.
error-delegation_not_found = В этой конференции нет такой делегации.
error-bad_max_uses = Число использований должно быть не меньше 1.
error-bad_expiry = Срок действия уже прошёл.
error-badge_not_approved = Эта регистрация не одобрена, поэтому перевыпускать нечего: бейджа нет.
error-bot_username_unknown = Имя бота пока неизвестно: запустите бота один раз или задайте BOT_USERNAME.
error-role_exists = У этого человека уже есть такая роль.
error-role_not_found = У этого человека нет такой роли.
error-programme_invalid = Файл программы содержит ошибки.
error-import_invalid = Список не удалось загрузить: проверьте файл.
error-not_a_number = Пожалуйста, отправьте число.
error-not_positive = Пожалуйста, отправьте положительное число.
error-too_large = Это число слишком велико.
error-bad_username = Это не имя пользователя Telegram.
error-bad_email = Это не адрес электронной почты.
error-phone_not_telegram = Похоже на номер телефона: укажите id в Telegram или @имя пользователя.
error-agenda_item_not_found = В программе нет такого пункта.
error-export_failed = Не удалось записать выгрузку. Попробуйте ещё раз.
error-schema_unknown = База данных обновлена более новой версией confdesk: эта версия не может с ней работать.
