"""A kiosk that keeps judging badges when the central database is out of reach.

- `copy`: the local copy of what one conference's doors need (`LocalCopy`): each approved or
  not registration's badge version, status, name, delegation and category, a digest of every
  token ever issued to it (the verifier: it tells a real badge from a forged one without the
  signing secret, which never leaves the central database), the agenda items' access rules and
  presence as last known. Fetched from central (`fetch`), kept in DIR/copy.db (mode 0600,
  replaced atomically), held in memory while the kiosk runs.
- `journal`: DIR/journal.db, every scan of this kiosk, fsync'd before its verdict is shown
  (SQLite, synchronous=FULL): it survives kill -9 and power loss.
- `judge`: the offline judge, the same rules as online (`core.checkin.rules`).
- `upload`: the journal into central, in order, each scan once (its client nonce), presence
  recomputed from all scans in time order; what central knew that the kiosk did not is kept
  in `scan.offline_conflict`.
- `kiosk`: online with a short timeout, offline at once when central does not answer,
  background refresh, retry, upload and the switch back.
"""
