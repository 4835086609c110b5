"""Changing a unit's signing setup: its certificate (PKCS#12) and seal image, logged."""
from __future__ import annotations

import os

from tracker.accounts.models import Unit
from tracker.audit import log as audit
from tracker.core.errors import ValidationFailed
from tracker.extensions import db
from tracker.signing import keys


def install_unit_signing(actor, unit: Unit, *, p12: bytes | None, password: str | None,
                     seal: bytes | None) -> Unit:
    """Store the unit's new certificate and/or seal and log it (without the password)."""
    env_name = f"TRACKER_SIGNING_PASSWORD_{unit.id}"
    env_password = os.environ.get(env_name)
    if p12 is not None and env_password is not None and password != env_password:
        # The environment wins over the passwords file: a different password would leave a
        # certificate that cannot be opened when a letter is issued.
        message = (f"服务器已用环境变量 {env_name} 设置了本单位的证书密码，它优先于这里填写的"
                   "密码；请填写与之相同的密码，或请运维人员先修改该环境变量。")
        raise ValidationFailed(message, {"password": [message]})
    before = {"subject": unit.sign_subject, "p12_name": unit.sign_p12_name,
              "seal_name": unit.seal_name}
    keys.install_unit_keys(unit, p12=p12, password=password, seal=seal)
    db.session.flush()
    details: dict = {"name": unit.name,
                     "replaced": [part for part, given in (("certificate", p12), ("seal", seal))
                                  if given is not None]}
    if p12 is not None:
        details["certificate"] = {
            "from": {"subject": before["subject"], "file": before["p12_name"]},
            "to": {"subject": unit.sign_subject, "file": unit.sign_p12_name,
                   "not_after": unit.sign_not_after.isoformat()}}
    if seal is not None:
        details["seal"] = {"from": before["seal_name"], "to": unit.seal_name}
    audit.record("update_unit_signing", actor=actor, object_type="unit", object_id=unit.id,
                 details=details)
    return unit
