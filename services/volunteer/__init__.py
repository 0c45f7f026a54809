"""Volunteer matching (助残志愿服务): profiles, requests/tasks, matching, offer waves, execution.

Phase 1 holds the pure domain only (no I/O): ``settings`` (config/volunteer.yml), ``geo``,
``profile``, ``hours``, ``tasks``, ``matching``, ``waves``, ``privacy``, ``execution``,
``events``; ``domain`` re-exports the public functions for service code.
"""
