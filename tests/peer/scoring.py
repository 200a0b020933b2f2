"""Scores of a caldav-server-tester JSON report: every feature python-caldav defines
(caldav.compatibility_hints.FeatureSet.FEATURES) graded full / unsupported / unknown / fragile /
broken / ungraceful; a feature the report does not list is at its default, "full"."""

from __future__ import annotations

from collections import Counter
from typing import Any

from caldav.compatibility_hints import FeatureSet


def support(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("support", "full"))
    if value is True:
        return "full"
    if value is False:
        return "unsupported"
    return str(value)


def grades(report: dict[str, Any]) -> dict[str, str]:
    features = report.get("features", {})
    return {name: support(features.get(name, {"support": "full"})) for name in FeatureSet.FEATURES}


def counts(graded: dict[str, str]) -> Counter[str]:
    return Counter(graded.values())
