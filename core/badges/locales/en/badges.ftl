# Printed on badges (core/badges/labels.py): category band and the conference dates.
badge-category-head_of_delegation = HEAD OF DELEGATION
badge-category-delegate = DELEGATE
badge-category-speaker = SPEAKER
badge-category-expert = EXPERT
badge-category-press = PRESS
badge-category-observer = OBSERVER
badge-category-staff = STAFF
# babel skeleton for the conference dates (one day or an interval)
badge-dates-skeleton = yMMMMd
