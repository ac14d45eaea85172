"""The only writers of disputes, by sub-domain, behind one public name (``disputes.services``).

Each function checks permission and jurisdiction and does its checks and writes on the dispute's
locked row (``core.workflow.locked``), changing state through the workflow kernel (timeline,
deadlines, notifications) in one transaction.

* ``registration`` — registering, the 民转刑 risk assessment, mediator pools
* ``ladder`` — the five levels: start, next level, assignment, progress, hearing, outcome
* ``joint`` — 联席调 tasks (their own small flow) and the joint minutes
* ``agreements`` — the agreement and what follows it (judicial confirmation, performance, visit)
* ``tracking`` — a party's status page
* ``figures`` — the figures
"""

from fengqiao.core import pii  # noqa: F401 — views use services.pii

from ._common import (  # noqa: F401
    ANY_POOL_PERMISSION,
    DEFAULT_TYPES,
    LEVEL_PERMISSIONS,
    RISK_FLAGS,
    RISK_HIGH,
    RISK_MEDIUM,
    ensure_types,
    get_dispute,
)
from .agreements import (  # noqa: F401
    REQUIRED_PARTS,
    _agreement_fields,
    agreement_content,
    canonical,
    current_key_id,
    document_for,
    draft_agreement,
    get_agreement,
    integrity_code,
    judicial_application,
    key_id,
    missing_parts,
    recompute_code,
    record_judicial_confirmation,
    record_performance,
    record_return_visit,
    revise_agreement,
    short_code,
    sign_agreement,
    verify_agreement,
)
from .figures import (  # noqa: F401
    compute_figures,
    figures,
)
from .joint import (  # noqa: F401
    claim_joint_task,
    complete_joint_task,
    dispatch_joint_tasks,
    record_joint_minutes,
    visible_tasks,
)
from .ladder import (  # noqa: F401
    agree,
    assign_mediator,
    get_hearing,
    hearing_minutes_document,
    next_level,
    record_hearing,
    record_progress,
    refer,
    start_mediation,
    supervise,
    withdraw,
)
from .parties import (  # noqa: F401
    agreement_checklist,
    missing_for_agreement,
    update_party,
)
from .registration import (  # noqa: F401
    add_to_pool,
    assess_risk,
    open_workload,
    pool_for,
    register_dispute,
    register_from_case,
    set_pool_member,
)
from .tracking import (  # noqa: F401
    TooManyAttempts,
    track,
    track_limits,
    track_locked_until,
)
