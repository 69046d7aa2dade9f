"""Targeting-policy and business parameters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PolicyConfig:
    cost: float = 0.0  # 0 = derive the cost per contact from the data
    margin: float = 0.30
