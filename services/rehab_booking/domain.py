"""The public face of the rehab booking domain for service.py: import from here.

Pure rules only (no I/O); see the modules for details.
"""
from services.rehab_booking.catalogue import (SERVICES, MEDICAL_ITEMS, catalogue,  # noqa: F401
                                              open_to_uncertified, service_name,
                                              validate_service, validate_services)
from services.rehab_booking.policy import RehabPolicy, policy_for  # noqa: F401
from services.rehab_booking.institution import (ACCESSIBILITY_ATTRIBUTES,  # noqa: F401
                                                DESIGNATION_TRANSITIONS, designation_transition,
                                                ensure_bookable, is_bookable,
                                                validate_institution)
from services.rehab_booking.schedule import (close_slot, expand_slots, slot_id,  # noqa: F401
                                             slots_to_close_for_removed_institution,
                                             validate_template)
from services.rehab_booking.eligibility import (check_eligibility, ensure_eligible,  # noqa: F401
                                                is_priority, needs_staff_confirmation,
                                                recent_no_shows)
from services.rehab_booking.capacity import (availability, conflicting_bookings,  # noqa: F401
                                             recount, release_update, seat_claims,
                                             slot_full_error)
from services.rehab_booking.booking import (TRANSITIONS, allowed_actions,  # noqa: F401
                                            confirm_action, expiry_at, hold_expired,
                                            plan_booking, plan_reschedule, transition)
from services.rehab_booking import waitlist, reminders, orphaning, events  # noqa: F401
