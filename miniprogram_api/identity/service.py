"""Identity service (身份与账户): WeChat login, real-name and phone binding, wards, staff login.

It owns the person registry: ID numbers are stored encrypted (AES-GCM) and looked up through a
keyed blind index; responses carry masked ID numbers only.
"""

from nameko.events import BROADCAST, event_handler
from nameko.timer import timer

from miniprogram_api.identity import passwords, schemas, tokens
from miniprogram_api.identity.store import IdentityStore
from miniprogram_api.settings import Settings
from services.common import authz, cache, idnumber, outbox, regions
from services.common.crypto import mask_phone
from services.common.errors import Conflict, Forbidden, NotFound, RuleRefused, Unauthorized
from services.common.mongo import Mongo
from services.common.rpc import load, rpc


def _person_view(person, pii, relationship=None):
    if person is None:
        return None
    return {"id": person["_id"], "name": pii.decrypt(person.get("name_enc")),
            "id_number_masked": idnumber.mask(pii.decrypt(person["id_enc"])),
            "birth_date": person.get("birth_date"), "sex": person.get("sex"),
            "household_region": person.get("household_region"),
            "residence_region": person.get("residence_region"),
            "deceased_on": person.get("deceased_on"),
            **({"relationship": relationship} if relationship else {})}


class IdentityService:
    name = "identity"
    store = Mongo(IdentityStore)
    settings = Settings()
    outbox = outbox.Outbox("persons")
    shown = cache.CacheBroadcast(IdentityStore.cache)

    # login and tokens ---------------------------------------------------------------------------
    @rpc
    def wechat_login(self, body):
        data = load(schemas.WechatLogin(), body)
        openid = self.settings.wechat.login(data["code"])
        account = self.store.account_for_openid(openid)
        return dict(self._citizen_tokens(account["_id"]),
                    account={"id": account["_id"], "identity_bound": bool(account.get("person_id"))})

    @rpc
    def staff_login(self, body):
        data = load(schemas.StaffLogin(), body)
        staff = self.store.staff(data["username"])
        if not staff or not passwords.verify_password(data["password"], staff["password_hash"]):
            raise Unauthorized("用户名或密码不正确", code="BAD_CREDENTIALS")
        return dict(self._staff_tokens(staff), staff=self._staff_view(staff))

    @rpc
    def refresh(self, body):
        data = load(schemas.Refresh(), body)
        used = self.store.use_refresh(tokens.refresh_hash(data["refresh_token"]))
        if not used:
            raise Unauthorized("登录已失效，请重新登录", code="REFRESH_INVALID")
        if used["kind"] == "staff":
            staff = self.store.staff(used["subject"])
            if not staff:
                raise Unauthorized("账号已停用", code="REFRESH_INVALID")
            return self._staff_tokens(staff)
        return self._citizen_tokens(used["subject"])

    def _citizen_tokens(self, account_id):
        claims = {"sub": account_id, "kind": "citizen",
                  "person_ids": self._person_ids(account_id)}
        return self._issue(claims, account_id, "citizen")

    def _staff_tokens(self, staff):
        claims = {"sub": staff["_id"], "kind": "staff", "roles": staff["roles"],
                  "region": staff.get("region"), "institution_id": staff.get("institution_id")}
        return self._issue(claims, staff["_id"], "staff")

    def _issue(self, claims, subject, kind):
        now = self.store.clock.now()
        out, refresh_hash = tokens.pair(self.settings.jwt_secret, claims, now)
        self.store.save_refresh(refresh_hash, subject, kind, now + tokens.REFRESH_TTL)
        return out

    def _person_ids(self, account_id):
        account = self.store.account(account_id) or {"_id": account_id}
        own = [account["person_id"]] if account.get("person_id") else []
        return own + [g["person_id"] for g in self.store.wards(account)]

    @staticmethod
    def _staff_view(staff):
        return {"id": staff["_id"], "roles": staff["roles"], "region": staff.get("region"),
                "institution_id": staff.get("institution_id")}

    # the account's own data -----------------------------------------------------------------------
    @rpc
    def me(self, actor):
        if authz.is_staff(actor):
            staff = self.store.staff(actor["staff_id"])
            if not staff:
                raise NotFound()
            return {"staff": self._staff_view(staff)}
        authz.require_actor(actor)
        account = self.store.shown_account(actor["account_id"])
        if not account:
            raise Unauthorized("账号不存在，请重新登录", code="TOKEN_INVALID")
        pii = self.settings.pii
        wards = [_person_view(self.store.shown_person(g["person_id"]), pii, g["relationship"])
                 for g in self.store.wards(account)]
        return {"account": {"id": account["_id"], "identity_bound": bool(account.get("person_id")),
                            "phone_masked": mask_phone(pii.decrypt(account["phone_enc"]))
                            if account.get("phone_enc") else None},
                "person": _person_view(self.store.shown_person(account.get("person_id")), pii)
                if account.get("person_id") else None,
                "wards": wards}

    @rpc
    def bind_identity(self, actor, body):
        authz.require_actor(actor)
        if not authz.is_citizen(actor):
            raise Forbidden("工作人员账号不能绑定实名")
        data = load(schemas.BindIdentity(), body)
        person = self._ensure_person(data)
        if not self.store.bind_self(actor["account_id"], person["_id"]):
            raise Conflict("该身份证号码已绑定其他微信账号，或本账号已绑定他人",
                           code="IDENTITY_ALREADY_BOUND")
        return dict(self.me(actor), tokens=self._citizen_tokens(actor["account_id"]))

    @rpc
    def bind_phone(self, actor, body):
        authz.require_actor(actor)
        if not authz.is_citizen(actor):
            raise Forbidden("工作人员账号不能绑定手机号")
        data = load(schemas.BindPhone(), body)
        phone = self.settings.wechat.phone(data["code"])
        pii = self.settings.pii
        self.store.set_phone(actor["account_id"], pii.encrypt(phone), pii.blind_index(phone, "phone"))
        return {"phone_masked": mask_phone(phone)}

    @rpc
    def add_ward(self, actor, body):
        authz.require_actor(actor)
        if not authz.is_citizen(actor):
            raise Forbidden("工作人员账号不能添加被监护人")
        data = load(schemas.AddWard(), body)
        person = self._ensure_person(data)
        account = self.store.account(actor["account_id"]) or {}
        if account.get("person_id") == person["_id"]:
            raise RuleRefused("不能把本人添加为被监护人", code="WARD_IS_SELF")
        self.store.add_guardianship(actor["account_id"], person["_id"], data["relationship"])
        return dict(self.me(actor), tokens=self._citizen_tokens(actor["account_id"]))

    def _ensure_person(self, data):
        """Find or create the person with this ID number; the name must match if known."""
        number = idnumber.validate(data["id_number"])
        for field in ("household_region", "residence_region"):
            if data.get(field):
                regions.validate(data[field], field)
        pii = self.settings.pii
        home = number[:6] if number[:6] in regions.all_regions() else None
        person, created = self.store.ensure_person(pii.blind_index(number, "id_number"), {
            "id_enc": pii.encrypt(number), "name_enc": pii.encrypt(data["name"]),
            "birth_date": idnumber.birth_date(number).isoformat(), "sex": idnumber.sex(number),
            "household_region": data.get("household_region") or home,
            "residence_region": data.get("residence_region") or data.get("household_region") or home,
            "deceased_on": None})
        if not created:
            known = pii.decrypt(person.get("name_enc"))
            if known and known != data["name"]:
                raise RuleRefused("姓名与身份证号码登记的信息不一致", {"name": ["不一致"]},
                                  code="NAME_MISMATCH")
            person = self.store.fill_person(person["_id"], {
                "name_enc": pii.encrypt(data["name"]),
                "household_region": data.get("household_region"),
                "residence_region": data.get("residence_region")})
        return person

    # for the gateway and other services ------------------------------------------------------------
    @rpc
    def may_act_for(self, account_id, person_id):
        account = self.store.account(account_id) or {}
        return account.get("person_id") == person_id or self.store.is_guardian(account_id, person_id)

    @rpc
    def person(self, actor, person_id):
        """A person's basic file entry, for the person, a guardian or staff of their region."""
        p = self.store.person(person_id)
        if not p:
            raise NotFound("没有找到此人", {"person_id": person_id})
        authz.require_person_or_staff(actor, person_id,
                                      [p.get("household_region"), p.get("residence_region")])
        return _person_view(p, self.settings.pii)

    @rpc
    def person_facts(self, person_id):
        """Internal: what other services' rules need (no masking: never sent to clients as is)."""
        p = self.store.person(person_id)
        if not p:
            raise NotFound("没有找到此人", {"person_id": person_id})
        pii = self.settings.pii
        return {"person_id": p["_id"], "id_number": pii.decrypt(p["id_enc"]),
                "name": pii.decrypt(p.get("name_enc")), "birth_date": p.get("birth_date"),
                "sex": p.get("sex"), "household_region": p.get("household_region"),
                "residence_region": p.get("residence_region"), "deceased_on": p.get("deceased_on")}

    @rpc
    def resolve_people(self, id_numbers, create=False):
        """Internal: {id_number: person_id or None} for feeds keyed by ID number."""
        pii, out = self.settings.pii, {}
        for number in id_numbers:
            h = pii.blind_index(idnumber.normalise(number), "id_number")
            p = self.store.person_by_hash(h)
            if not p and create:
                n = idnumber.validate(number)
                home = n[:6] if n[:6] in regions.all_regions() else None
                p, _ = self.store.ensure_person(h, {
                    "id_enc": pii.encrypt(n), "name_enc": None,
                    "birth_date": idnumber.birth_date(n).isoformat(), "sex": idnumber.sex(n),
                    "household_region": home, "residence_region": home, "deceased_on": None})
            out[number] = p["_id"] if p else None
        return out

    @rpc
    def recipients(self, person_id):
        """Internal (notifier): the WeChat accounts that hear about this person."""
        accounts = []
        own = self.store.self_account(person_id)
        if own:
            accounts.append(own)
        accounts += [self.store.account(g["account_id"]) for g in self.store.guardians(person_id)]
        return [{"account_id": a["_id"], "openid": a["openid"]} for a in accounts if a]

    @rpc
    def account_openid(self, account_id):
        a = self.store.account(account_id)
        return a["openid"] if a else None

    @rpc
    def record_deaths(self, actor, body):
        """Public-security death feed: the person is marked deceased and ``person_died`` is
        published (certificates are cancelled, payments stop). Counts per record."""
        authz.require_staff(actor, roles=("civil_affairs", "county_dpf"))
        data = load(schemas.DeathFeed(), body)
        accepted, refused = 0, []
        now = self.store.clock.now()
        for i, rec in enumerate(data["records"]):
            try:
                number = idnumber.validate(rec["id_number"])
            except Exception as exc:  # noqa: BLE001 - reported per record, nothing written
                refused.append({"index": i, "reason": getattr(exc, "message", str(exc))})
                continue
            if rec["date"] > self.store.clock.today_local():
                refused.append({"index": i, "reason": "死亡日期不能晚于今天"})
                continue
            person = self.store.person_by_hash(self.settings.pii.blind_index(number, "id_number"))
            if not person:
                refused.append({"index": i, "reason": "系统中没有此人"})
                continue
            region = person.get("household_region")
            if actor.get("region") not in (region, person.get("residence_region")):
                refused.append({"index": i, "reason": "此人不属于本辖区"})
                continue
            payload = {"person_id": person["_id"], "date": rec["date"].isoformat(),
                       "household_region": region,
                       "residence_region": person.get("residence_region")}
            events = [outbox.event("person_died", payload, now),
                      outbox.audit(actor, person["_id"], "record_death", "alive", "deceased", now,
                                   data={"date": payload["date"]})]
            if self.store.mark_deceased(person["_id"], payload["date"], events):
                self.outbox.flush(self.store.db.persons, person["_id"])
            accepted += 1
        return {"accepted": accepted, "refused": refused}

    @rpc
    def ensure_staff(self, accounts):
        """Dev and seeding: create or update staff accounts (never exposed over HTTP)."""
        for acc in accounts:
            data = load(schemas.StaffAccount(), acc)
            self.store.upsert_staff(data["username"], {
                "password_hash": passwords.hash_password(data["password"]),
                "roles": data["roles"], "region": data.get("region"),
                "institution_id": data.get("institution_id")})
        return len(accounts)

    @rpc
    def audit_trail(self, actor, entity_id):
        authz.require_staff(actor)
        return outbox.audit_trail(self.store.db, entity_id)

    @rpc
    def health(self):
        return self.store.ping()

    @event_handler("identity", cache.EVENT, handler_type=BROADCAST, reliable_delivery=False)
    def drop_shown(self, payload):
        """Another process of identity changed documents this one may be showing."""
        self.shown.drop(payload["keys"])

    @timer(interval=5)
    def relay_outbox(self):
        self.outbox.sweep(self.store.db)


