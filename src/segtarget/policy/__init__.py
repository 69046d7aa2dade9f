"""policy stage: the value of targeting rules (doubly robust, held out), the choice, the verdict, the list.

Public names (``policy_value``, ``value_frame``, ``run_policy``, ...) are imported on first use; the table
is ``segtarget.PUBLIC``.
"""

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(__name__)

if TYPE_CHECKING:
    from .config import PolicyConfig
    from .curves import profit_curve
    from .pipeline import PolicyInputs, PolicyResult, compute_policy, run_policy
    from .value import PolicyValue, policy_value, value_frame
