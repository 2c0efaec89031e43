"""The `throttles:` section of the center configuration: each mistake is a
`FILE:LINE: field: message` problem, never a traceback at start."""

from __future__ import annotations

import pytest

from joignable.service.config import ConfigError, parse
from joignable.service.live import scoped_view

BASE = """\
sites: [{id: paris}, {id: lyon}]
teams: [{id: lyon-voice, site: lyon}, {id: paris-voice, site: paris}]
queues:
  - id: voice
    channels: [voice, callback]
  - id: voice@lyon
    channels: [voice, callback]
    steps: [{after: 0, sites: [lyon]}, {after: 60}]
throttles:
  - {queue: voice, site: lyon, target: 0.2}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text, "center.yaml")
    return [str(p) for p in info.value.problems]


def test_a_valid_throttle() -> None:
    config = parse(BASE, "center.yaml")
    assert config.throttles == [{"queue": "voice", "site": "lyon", "target": 0.2}]
    teams = BASE.replace("sites: [lyon]}, {after: 60}", "teams: [lyon-voice]}")
    assert parse(teams).throttles


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("target: 1.5", "center.yaml:10: throttles[0].target: target must be in [0, 1]"),
        ("target: 0.2, colour: red", "center.yaml:10: throttles[0].colour: unknown key 'colour'"),
        ("target: 0.2, min_sample: many", "center.yaml:10: throttles[0].min_sample: min_sample must be a whole number"),
        ("target: 0.2, healthy: 0.5", "center.yaml:10: throttles[0].healthy: healthy must be in [0, limit]"),
    ],
)  # fmt: skip
def test_bad_fields_name_the_field(change: str, expected: str) -> None:
    assert problems(BASE.replace("target: 0.2", change)) == [expected]


def test_missing_or_wrong_references() -> None:
    assert problems(BASE.replace("site: lyon, target", "site: mars, target")) == [
        "center.yaml:10: throttles[0].site: unknown site 'mars'"
    ]
    assert problems(BASE.replace("queue: voice, site", "queue: vox, site")) == [
        "center.yaml:10: throttles[0].queue: unknown queue 'vox'"
    ]
    (missing,) = problems(BASE.replace("id: voice@lyon", "id: voice-lyon"))
    assert missing.startswith("center.yaml:10: throttles[0]: ")
    assert "'voice@lyon'" in missing and "not configured" in missing
    twice = BASE + "  - {queue: voice, site: paris, target: 0.1}\n"
    assert problems(twice) == [
        "center.yaml:11: throttles[1].queue: queue 'voice' already has a throttle "
        "(throttles[0]); one throttle per queue"
    ]


def test_the_site_queue_must_take_the_channels_and_serve_the_site() -> None:
    no_callback = BASE.replace(
        "channels: [voice, callback]\n    steps", "channels: [voice]\n    steps"
    )
    assert problems(no_callback) == [
        "center.yaml:7: queues[1].channels: queue 'voice@lyon' receives throttles[0]'s share "
        "of 'voice' and must take its channels; missing: callback"
    ]
    for first in ("sites: [lyon, paris]", "teams: [paris-voice]", "sites: []"):
        (wrong,) = problems(BASE.replace("sites: [lyon]", first))
        assert wrong.startswith("center.yaml:8: queues[1].steps[0]: queue 'voice@lyon' serves")


def test_a_scoped_supervisor_sees_a_throttle_only_with_both_its_queues() -> None:
    """A throttle Q → S shows queue Q@S's abandonment: seen with Q and Q@S only
    (over HTTP: tests/integration/test_tower_scope.py)."""
    throttle = {"queue": "voice", "site": "lyon"}
    for queues, seen in [({"email"}, False), ({"voice"}, False), ({"voice", "voice@lyon"}, True)]:
        scope = scoped_view("k", agent=lambda spec: False, queue=queues.__contains__)
        assert scope.sees_throttle(throttle) is seen
        assert scope.sees_alert({"kind": "ThrottleLowered", "scope": "queue", **throttle}) is seen
