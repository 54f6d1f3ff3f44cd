"""Fault injection: real processes, cut connections, 429 storms, kill -9 (issue 11).

Each module proves one promise of the product under a fault; they run in `.ci/run` on
SQLite and again on PostgreSQL (and Redis) like the rest of the suite."""
