"""The volunteer domain in one import for service code: ``from services.volunteer import domain``.

Pure rules only (no database, broker or wall clock); see the modules for the details.
"""
from services.volunteer.events import request_from_escort_event  # noqa: F401
from services.volunteer.execution import (COMPLAINT_TRANSITIONS, check_in, check_out,  # noqa: F401
                                          decide_complaint, new_complaint, rate, set_out,
                                          suspension_due)
from services.volunteer.geo import bounding_box_around, haversine_km, region_of_point  # noqa: F401
from services.volunteer.matching import busy_volunteer_ids, new_pair, recent_load  # noqa: F401
from services.volunteer.hours import credited_minutes, elapsed_minutes, star_level, stars_reached  # noqa: F401
from services.volunteer.matching import is_available, pair_for, rank_candidates  # noqa: F401
from services.volunteer.privacy import (offer_view, request_view_for_citizen,  # noqa: F401
                                        task_view_for_volunteer)
from services.volunteer.profile import (SKILLS, VOLUNTEER_TRANSITIONS, transition_volunteer,  # noqa: F401
                                        validate_profile, volunteer_roles)
from services.volunteer.tasks import (TASK_TRANSITIONS, check_can_create, task_roles,  # noqa: F401
                                      transition_task, validate_request)
from services.volunteer.waves import (accept_offer, check_offer, decline_offer,  # noqa: F401
                                      explain_failed_accept, exclusions, make_offers, next_wave_due,
                                      plan_waves, start_matching)
