import datetime as dt

from services.subsidy import policy

CATALOGUE = policy.load_all()
UTC = dt.timezone.utc


def facts(region="500113", grade=1, category=4, status="none", birth="1980-05-01",
          cert_status="valid", valid_until="2035-01-01", held=(), alive=True, residence=None,
          no_cert=False, **extra):
    out = {"certificate": None if no_cert else {"status": cert_status, "category": category,
                                                 "grade": grade, "valid_until": valid_until},
           "birth_date": birth, "household_status": status, "household_region": region,
           "residence_region": residence or region, "benefits_held": list(held),
           "alive": alive}
    out.update(extra)
    return out
