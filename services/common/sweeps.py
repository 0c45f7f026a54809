"""How often services look for due work: holds to expire, reminders to send, offer waves to
advance, notifications to retry. Each look is a query on a growing collection, which FerretDB
v1 answers by reading the whole collection, so every 2 s was the largest share of the
database's work under load (docs/benchmarks.md). Due work is found within SWEEP_SECONDS
(default 30; the test stacks use 2). Read from the environment when the service starts (a
nameko timer's interval is fixed when the class is defined)."""
import os

SWEEP_SECONDS = float(os.environ.get("SWEEP_SECONDS") or 30)
