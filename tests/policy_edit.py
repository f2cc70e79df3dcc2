"""A context judged by the built-in policy with some ``security.antivirus`` (or other) values
changed, as an office would change them in its own policy file."""

from __future__ import annotations

import copy
from typing import Any

from precheck import policy as policies
from precheck.api import Context


def with_policy(ctx: Context, section: str = "security.antivirus", **changes: Any) -> Context:
    """``ctx`` with the policy's ``section`` updated: a mapping value updates that sub-table,
    anything else replaces the key. The result is validated like any policy file."""
    data = copy.deepcopy(dict(ctx.policy.data))
    node: dict[str, Any] = data
    for part in section.split("."):
        node = node[part]
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(node.get(key), dict):
            node[key] = {**node[key], **value}
        else:
            node[key] = value
    return Context(ctx.system, policies.from_data(data, "test"))
