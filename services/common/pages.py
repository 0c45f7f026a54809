"""The mini-program pages a notification opens when it is tapped in WeChat. The paths are the
ones in miniprogram/app.json (tests/unit/common/test_pages.py checks them), and every service
takes them from here."""
HOME = "pages/home/index"
CERTIFICATE_CARD = "pages/cert-card/index"
SUBSIDY = "pages/subsidy/index"
REHAB_BOOKINGS = "pages/rehab-bookings/index"
VOLUNTEER_DESK = "pages/volunteer-work/index"
MESSAGES = "pages/messages/index"


def application(service, application_id):
    """One certificate or subsidy application: its status and every step with the reasons."""
    return "pages/application/index?service=%s&id=%s" % (service, application_id)


def help_request(request_id):
    return "pages/help-status/index?id=%s" % request_id


def booking(booking_id):
    return "%s?id=%s" % (REHAB_BOOKINGS, booking_id)


def offer(offer_id):
    return "%s?offer=%s" % (VOLUNTEER_DESK, offer_id)
