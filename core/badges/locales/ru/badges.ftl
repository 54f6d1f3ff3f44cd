# Печатается на бейджах (core/badges/labels.py): полоса категории и даты конференции.
badge-category-head_of_delegation = ГЛАВА ДЕЛЕГАЦИИ
badge-category-delegate = ДЕЛЕГАТ
badge-category-speaker = ДОКЛАДЧИК
badge-category-expert = ЭКСПЕРТ
badge-category-press = ПРЕССА
badge-category-observer = НАБЛЮДАТЕЛЬ
badge-category-staff = ПЕРСОНАЛ
# шаблон babel для дат конференции (один день или интервал)
badge-dates-skeleton = yMMMMd
