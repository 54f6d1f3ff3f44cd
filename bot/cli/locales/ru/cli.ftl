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
