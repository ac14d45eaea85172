"""Staff pages (workbench, register, detail with timeline, hearing, joint board, agreement,
verification, figures, pools) and the party's public status page, split by sub-domain behind the
same names (``disputes.urls`` uses ``views.<name>``). Views only call services."""

from .agreements import (
    agreement,
    agreement_download,
    agreement_edit,
    agreement_sign,
    hearing_minutes,
    verify,
)
from .figures import figures, pools
from .joint import joint_board, joint_dispatch, joint_task
from .ladder import act, detail, hearing, register, workbench
from .parties import party_edit
from .tracking import PUBLIC_TRANSITIONS, track, track_start

__all__ = [
    "PUBLIC_TRANSITIONS",
    "act",
    "agreement",
    "agreement_download",
    "agreement_edit",
    "agreement_sign",
    "detail",
    "figures",
    "hearing",
    "hearing_minutes",
    "joint_board",
    "joint_dispatch",
    "joint_task",
    "party_edit",
    "pools",
    "register",
    "track",
    "track_start",
    "verify",
    "workbench",
]
