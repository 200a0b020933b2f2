"""Scores of a caldav-server-tester JSON report: every server feature python-caldav defines
(caldav.compatibility_hints.FeatureSet.FEATURES, without the client hints, test settings and
observations, which have no support level) graded full / unsupported / unknown / fragile /
broken / ungraceful, read the way python-caldav reads the report (FeatureSet.is_supported):
a feature the report does not list takes its nearest listed ancestor's grade — a sub-feature
of an unsupported feature is unsupported, not "full" — and only where no ancestor is listed
its default from the feature's definition."""

from __future__ import annotations

from collections import Counter
from typing import Any

from caldav.compatibility_hints import FeatureSet

#: what a server feature's definition says about its type (absent: a server feature)
SERVER_FEATURE = "server-feature"


def server_features() -> list[str]:
    return [
        name
        for name in FeatureSet.FEATURES
        if FeatureSet.find_feature(name).get("type", SERVER_FEATURE) == SERVER_FEATURE
    ]


def grades(report: dict[str, Any]) -> dict[str, str]:
    found = FeatureSet(report.get("features", {}))
    return {name: str(found.is_supported(name, return_type=str)) for name in server_features()}


def counts(graded: dict[str, str]) -> Counter[str]:
    return Counter(graded.values())
