"""Benchmark scenarios that need a business service (make bench runs each one present).

Each entry: (name, function(stack) -> dict of figures). A service's benchmark is added here
when the service lands: the 200-way booking race (rehab_booking) and the monthly payout batch
for 24,400 beneficiaries (subsidy).
"""
SCENARIOS = []
