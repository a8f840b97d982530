"""Contact points from free-text names and e-mails (CKAN, DKAN, MAAF)."""

from __future__ import annotations

import logging
from typing import Any

from moisson.domain.drafts import ContactPointDraft
from moisson.domain.enums import ContactRole


def contact_point(
    role: ContactRole, name: Any, email: Any, log: logging.Logger
) -> ContactPointDraft | None:
    """A contact point from a free-text name and e-mail, or `None` (logged when a value
    is lost): an e-mail without `@` is dropped, `mailto:` is cut, and a `contact` without
    an e-mail is skipped, as udata's contact point validation refuses it."""
    name_text = name.strip() if isinstance(name, str) and name.strip() else None
    email_text = email.strip() if isinstance(email, str) and email.strip() else None
    if email_text and email_text.lower().startswith("mailto:"):
        email_text = email_text[len("mailto:") :].strip() or None
    if email_text and "@" not in email_text:
        log.warning("Contact e-mail %r is not an e-mail address: dropped", email_text)
        email_text = None
    if not (name_text or email_text):
        return None
    if role == ContactRole.CONTACT and not email_text:
        # udata's contact point validation refuses a `contact` nobody can reach.
        log.warning('Contact point "%s" skipped: no email nor contact form', name_text)
        return None
    return ContactPointDraft(name=name_text, email=email_text, role=role)
