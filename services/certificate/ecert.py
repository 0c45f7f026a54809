"""Electronic certificate entry points (电子证照), mixed into CertificateService: the holder's
signed credential and QR code, one-time consent codes, public verification, the signed
revocation list and the public keys offline verifiers need."""
import base64
import datetime as dt
import io

import segno

from services.common import authz
from services.common.clock import iso
from services.common.errors import NotFound, RuleRefused
from services.common.rpc import load, rpc
from services.certificate import credential, disclosure, domain, policy, schemas, views
from services.certificate.workdays import local_date

CREDENTIAL_SETTINGS = policy.load_policies()["credential"]


def qr_png_base64(text):
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=4, border=2)
    return base64.b64encode(buf.getvalue()).decode("ascii")


class ElectronicCertificate:
    """Needs ``store``, ``keys``, ``settings``, ``identity`` and ``_now``/``_policy``/``_number``
    from the service class."""

    def _valid_certificate(self, person_id, now):
        cert = self.store.slotted_certificate(person_id)
        if cert is None:
            raise NotFound("没有有效的残疾人证", code="NO_CERTIFICATE")
        status = domain.effective_status(cert, local_date(now))
        if status != domain.CERT_VALID:
            raise RuleRefused("残疾人证不是有效状态（%s），不能出示电子证照" % status,
                              {"status": status}, code="CERTIFICATE_NOT_VALID")
        return cert

    @rpc
    def credential(self, actor, person_id):
        """The holder's signed credential: ``{token, qr_png_base64, expires_at, kid}``."""
        authz.require_person(actor, person_id)
        now = self._now()
        cert = self._valid_certificate(person_id, now)
        name = self.identity.person_facts(person_id).get("name")
        issued = credential.issue_credential(
            cert, name, self.keys.keyring, now,
            dt.timedelta(hours=CREDENTIAL_SETTINGS["token_ttl_hours"]))
        return {"token": issued["token"], "qr_png_base64": qr_png_base64(issued["token"]),
                "expires_at": iso(issued["expires_at"]), "kid": issued["kid"],
                "verify_path": "/api/v1/verify/" + issued["token"]}

    @rpc
    def disclosure_code(self, actor, person_id):
        """A one-time consent code (授权码) for fuller verification: ``{code, expires_at}``."""
        authz.require_person(actor, person_id)
        now = self._now()
        cert = self._valid_certificate(person_id, now)
        code, record = disclosure.new_disclosure(
            cert, now, self.keys.pepper,
            ttl=dt.timedelta(minutes=CREDENTIAL_SETTINGS["disclosure_code_ttl_minutes"]),
            length=CREDENTIAL_SETTINGS["disclosure_code_length"],
            max_attempts=CREDENTIAL_SETTINGS["disclosure_code_max_attempts"])
        self.store.save_disclosure(record)
        return {"code": code, "expires_at": iso(record["expires_at"])}

    @rpc
    def verify(self, token, code=None):
        """GET /verify/{token}: status, masked name and what the region shows; with a valid
        one-time ``code`` also the holder's name, number and validity (``details``)."""
        load(schemas.VerifyQuery(), {"code": code} if code is not None else {})
        now = self._now()
        cid = credential.certificate_id_of(token)
        cert = self.store.certificate(cid) if isinstance(cid, str) else None
        verdict = credential.verify_online(token, self.keys.public_keys, now, cert)
        out = {"status": verdict["status"], "reason": verdict.get("reason"),
               "checked_at": iso(now)}
        if verdict["status"] == "invalid":
            return out
        shown = self._policy(cert["region"], now).get("verify_public_fields") or []
        out["holder_name_masked"] = verdict["holder_name_masked"]
        if "category" in shown:
            out.update(category=verdict["category"], category_name=verdict["category_name"])
        if "grade" in shown:
            out.update(grade=verdict["grade"], grade_name=verdict["grade_name"])
        if "valid_until" in shown:
            out["valid_until"] = verdict["valid_until"]
        if "region" in shown:
            out["region"] = verdict["region"]
        if code is not None and verdict["status"] == domain.CERT_VALID:
            self._redeem(cert, code, now)
            name = self.identity.person_facts(cert["person_id"]).get("name")
            out["details"] = views.jsonable(disclosure.disclosed_view(
                dict(cert, number=self._number(cert)), name))
        return out

    def _redeem(self, cert, code, now):
        pepper = self.keys.pepper
        record = self.store.disclosure(disclosure.hash_code(code, cert["id"], pepper))
        if record is None:
            self.store.count_wrong_code(cert["id"], now)
            raise disclosure.error_for("wrong_code")
        result = disclosure.redeem(record, code, now, pepper)
        if not result["ok"]:
            raise disclosure.error_for(result["reason"])
        if not self.store.redeem_disclosure(record, now):
            raise disclosure.error_for("used")  # a concurrent verifier used it first

    @rpc
    def revocations(self):
        """GET /verify/revocations: the signed list of cancelled/replaced certificates that
        have not yet passed their validity date (expired ones fail by date anyway)."""
        now = self._now()
        entries = self.store.revoked(local_date(now).isoformat())
        return credential.sign_revocation_list(entries, self.keys.keyring, now)

    @rpc
    def public_keys(self):
        """GET /verify/keys: JWKS of every key that still verifies."""
        return self.keys.public_keys
