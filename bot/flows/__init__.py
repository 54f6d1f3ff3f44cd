"""Conversations more than one router takes part in, called by the routers (which never
import each other):

  signup  the sign-up wizard: starting it (/start, an invitation, /edit, /register_member)
          and asking its next question
  door    a badge scanned by door staff (its deep link from /start, a photo), at the gate
          they chose with /gate
"""
