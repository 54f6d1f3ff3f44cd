# Слова самой командной строки (команды с --lang). Даты — шаблоны babel.
date-day = EEEE, d MMMM y
date-short = dd.MM.y

## confdesk program show
program-heading = { $name } ({ $slug }) — { $place }, { $first }–{ $last }, время местное ({ $timezone })
program-no-items = в программе нет пунктов
program-col-time = Время
program-col-code = Код
program-col-kind = Вид
program-col-title = Название
program-col-hall = Зал
program-col-seats = Места
program-col-speakers = Выступающие
program-unlimited = —
program-signup = { $seats }, по записи
program-next-day = (+{ $days } дн.)
program-moderator = { $name } (модератор)
program-cancelled = { $title } (отменено)
kind-opening = открытие
kind-high_level = сессия высокого уровня
kind-plenary = пленарное заседание
kind-thematic = тематическая дискуссия
kind-side_event = сопутствующее мероприятие
kind-break = перерыв
kind-closing = закрытие

## confdesk scan (экран киоска; читают с расстояния метра)
kiosk-banner = { $conference } · вход { $gate } · { $place } · { $direction }
kiosk-venue = вход в здание
kiosk-session = { $code }: { $title }
kiosk-entry = вход
kiosk-exit = выход
kiosk-ready = Сканируйте бейдж (Ctrl-D — завершить)
kiosk-next = Следующий бейдж…
kiosk-outside-dates = ⚠ Сегодня ({ $today }) не день этой конференции ({ $first } – { $last }): проверьте конференцию и часы киоска.
kiosk-result-ok = ДОБРО ПОЖАЛОВАТЬ
kiosk-result-ok-out = ДО СВИДАНИЯ
kiosk-result-duplicate = УЖЕ ВНУТРИ
kiosk-result-invalid = НЕДЕЙСТВИТЕЛЬНЫЙ БЕЙДЖ
kiosk-result-revoked = БЕЙДЖ ОТОЗВАН
kiosk-result-not_approved = НЕ АККРЕДИТОВАН(А)
kiosk-result-not_allowed = ВХОД СЮДА НЕ РАЗРЕШЁН
kiosk-why-unreadable = Код не прочитан: отсканируйте ещё раз.
kiosk-why-forged = Этот код выдан не нами.
kiosk-why-unknown = Такой регистрации нет.
kiosk-why-other_conference = Бейдж другой конференции.
kiosk-why-reissued = Этому участнику выдан новый бейдж: попросите новый.
kiosk-why-unknown_version = Такая версия бейджа не выдавалась.
kiosk-why-pending = Аккредитация ещё ждёт одобрения.
kiosk-why-rejected = В аккредитации отказано.
kiosk-why-cancelled = Регистрация отозвана.
kiosk-why-category = Эта сессия не открыта для этой категории.
kiosk-why-was_not_inside = Вход не был отмечен; выход всё равно засчитан.
kiosk-why-replayed = Это сканирование уже записано.
kiosk-why-not_in_copy = Этого бейджа ещё нет в копии киоска (новый или перевыпущенный): проверьте на стойке с сетью.
kiosk-offline = ОФЛАЙН (решение по копии киоска)
kiosk-offline-start = ОФЛАЙН: центральная база не отвечает; решения по локальной копии.
kiosk-left-waiting = В журнале ждут выгрузки сканирований: { $count }; они выгрузятся при следующем запуске киоска, когда центральная база ответит.
kiosk-status-copy = Локальная копия: { $slug }, получена из центральной базы { $age } назад ({ $at }).
kiosk-status-no-copy = В { $dir } нет локальной копии.
kiosk-status-waiting = Ждут выгрузки сканирований: { $count }
kiosk-status-mode = Последнее состояние: { $mode }
kiosk-status-error = Последняя ошибка: { $error }
kiosk-status-no-error = Последняя ошибка: нет
kiosk-wipe-refused = Сканирований в { $dir } ещё нет в центральной базе: { $count }. Запустите киоск, когда база отвечает, чтобы выгрузить их, или добавьте --force, чтобы потерять их.
kiosk-wipe-done = Локальная копия и журнал удалены из { $dir }.
kiosk-wipe-nothing = В { $dir } нечего удалять.
kiosk-already = Внутри с { $since }, пропущен(а) через { $gate }
kiosk-no-delegation = без делегации
kiosk-summary = Сканирований: { $total }: пропущено { $ok }, уже внутри { $duplicate }, отказано { $refused }{ $failed ->
    [0] .
   *[other] , не записано { $failed }.
}
kiosk-stored-no = Не записано: { $reason }
category-head_of_delegation = Глава делегации
category-delegate = Член делегации
category-speaker = Докладчик
category-expert = Эксперт
category-press = Пресса
category-observer = Наблюдатель
category-staff = Персонал
