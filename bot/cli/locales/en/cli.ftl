# The command line's own words (commands that take --lang). Dates are babel patterns.
date-day = EEEE, d MMMM y
date-short = dd.MM.y

## confdesk program show
program-heading = { $name } ({ $slug }) — { $place }, { $first }–{ $last }, times in { $timezone }
program-no-items = no agenda items
program-col-time = Time
program-col-code = Code
program-col-kind = Kind
program-col-title = Title
program-col-hall = Hall
program-col-seats = Seats
program-col-speakers = Speakers
program-unlimited = —
program-signup = { $seats } sign-up
program-next-day = (+{ $days }d)
program-moderator = { $name } (moderator)
program-cancelled = { $title } (cancelled)
kind-opening = opening
kind-high_level = high-level
kind-plenary = plenary
kind-thematic = thematic
kind-side_event = side event
kind-break = break
kind-closing = closing
