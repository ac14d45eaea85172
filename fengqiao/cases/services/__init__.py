"""The only writers of cases, by sub-domain, behind one public name (``cases.services``).

* ``intake`` — reports coming in (duplicates, client ids, dispatch rules)
* ``staff`` — staff actions (the services of ``cases.actions.registry``), the queue
* ``people`` — who is told (cached for the deadline sweep)
* ``disputes`` — the link to disputes (spawn, follow the outcome)
* ``resident`` — the reporter with the tracking code
* ``links`` — cases made by other apps (the assistant)

Checks and writes happen on the case's locked row (``core.workflow.locked`` / ``apply``).
"""

from ._common import (  # noqa: F401
    CLIENT_ID_RE,
    CONTROL_CHARS,
    LOOSE_PHONE_RE,
    MAX_DESCRIPTION,
    categories,
    category_by_code,
    clean_text,
    leaf_categories,
    leaf_category,
)
from .disputes import (  # noqa: F401
    DISPUTE_OUTCOMES,
    MAX_PARTIES,
    PARTY_KINDS,
    clean_parties,
    dispute_types,
    follow_dispute,
    spawn_action,
    spawn_dispute,
)
from .intake import (  # noqa: F401
    SOURCE_PERMISSIONS,
    allowed_sources,
    find_duplicate,
    report,
    source_allowed,
    suggested_rule,
)
from .links import (  # noqa: F401
    answer_consultation,
    create_case_from_alert,
    create_consultation,
)
from .people import (  # noqa: F401
    PEOPLE_TTL,
    cached_responsible,
    covering,
    dispatchers_for,
    leaders_for,
    unit_staff,
    verifiers_for,
)
from .resident import (  # noqa: F401
    by_tracking_code,
    resident_add_info,
    resident_confirm,
    resident_rate,
    resident_reopen,
    withdraw_consent,
)
from .staff import (  # noqa: F401
    accept,
    act,
    allowed_actions,
    bulk_act,
    bulk_dispatch,
    claim,
    dispatch,
    get_case,
    merge,
    queue,
    reject,
    request_extension,
    resolve,
    return_case,
    return_visit,
    verify,
)
