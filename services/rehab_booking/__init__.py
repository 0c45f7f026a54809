"""Rehabilitation booking (康复预约): designated institutions, slots, bookings, waitlist.

Phase 1 holds the pure domain only (no I/O): catalogue, policy, institution, schedule,
eligibility, capacity, booking, waitlist, reminders, orphaning, events. ``domain`` re-exports
the public functions for the service layer.
"""
