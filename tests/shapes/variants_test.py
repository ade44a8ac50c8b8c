"""Variant tags (README, "What gets rewritten": variants): which tag may replace which."""

from __future__ import annotations

import pytest

from bumper.plan.versions import Decision, decide, is_downgrade
from bumper.shapes.variants import read_tag, same_variant, variant

WHERE = ("values.yaml", 3)
DIGEST = "sha256:" + "c" * 64


@pytest.mark.parametrize(
    "tag,words",
    [
        ("12-alpine", ("alpine",)),
        ("10.6.4-focal", ("focal",)),
        ("12-debian-12-r98", ("debian", "r")),
        ("1.2.3-alpine3.19", ("alpine",)),
        ("v1.2.3-alpine", ("alpine",)),
        ("8.0-nanoserver-ltsc2022", ("nanoserver", "ltsc")),
        ("1.2.3-r1", ("r",)),  # a revision is a word too, as in the contract's `debian r`
        ("1.25.3-amd64", ("amd",)),
        ("1.2.3_slim", ("slim",)),
        ("17-jdk-alpine", ("jdk", "alpine")),
        ("2.440.1-lts-jdk17", ("lts", "jdk")),  # a channel after a version: the line it follows
        # not variants: pre-releases, commit ids, channels, plain versions, no tag
        ("1.2.3-rc.1", ()),
        ("1.2.3-alpha.2", ()),
        ("1.2.3-beta", ()),
        ("1.2.3-pre", ()),
        ("1.2.3-dev", ()),
        ("3.13.0-rc1", ()),
        ("1.2.3-rc.1-alpine", ("alpine",)),
        ("1.2.3-abc1234", ()),
        ("v1.0.0-5-gdeadbee", ()),
        ("20240101-1a2b3c4d", ()),
        ("1.2.3", ()),
        ("1.2.3-20240101", ()),
        ("latest", ()),
        ("stable", ()),
        ("main-abc1234", ()),
        ("sha-1a2b3c4", ()),
        ("rolling", ()),
        ("RELEASE.2024-10-02T17-50-41Z", ("t", "z")),  # minio: both sides say it the same way
        # a tag with no version: its words are its variant
        ("alpine", ("alpine",)),
        ("stable-alpine", ("alpine",)),
        ("bookworm", ("bookworm",)),
        ("ltsc2022", ("ltsc",)),
        ("", ()),
    ],
)
def test_variant_words(tag: str, words: tuple[str, ...]) -> None:
    assert variant(tag) == words


# (file's tag, REF's tag, bumped?)
PAIRS = [
    ("12-alpine", "16.4", False),
    ("12-alpine", "16.4-alpine", True),
    ("10.6.4-focal", "10.11.9", False),
    ("10.6.4-focal", "10.11.9-focal", True),
    ("10.6.4-focal", "10.11.9-jammy", False),
    ("12-debian-12-r98", "12-debian-12-r99", True),
    ("12-debian-12-r99", "12-debian-12-r100", True),  # numbers, not text
    ("12-debian-12-r98", "12-debian-12", False),
    ("1.2.3-rc.1", "1.2.3", True),
    ("1.2.3", "1.2.4-rc.1", True),
    ("1.2.3-alpine3.19", "1.2.4-alpine3.20", True),
    ("1.2.3-alpine", "1.2.4-slim", False),
    ("1.2.3-alpine-slim", "1.2.4-slim-alpine", False),
    ("v1.2.3-alpine", "v1.2.4-Alpine", True),
    ("8.0-nanoserver-ltsc2022", "8.0.1-nanoserver-ltsc2025", True),
    ("8.0-nanoserver-ltsc2022", "8.0.1-windowsservercore-ltsc2022", False),
    ("ltsc2022", "10.0.20348.2031", False),
    ("1.25.3-amd64", "1.25.4-arm64", False),
    ("1.2.3-r1", "1.2.3-r2", True),
    ("1.2.3-r1", "1.2.4", False),
    ("1.2.3-abc1234", "1.2.4-def5678", True),
    ("alpine", "1.27", False),
    ("alpine", "1.27-alpine", True),
    ("stable-alpine", "1.27-alpine", True),
    ("latest", "v1.2.3", True),
    ("main-abc1234", "v1.2.3", True),
    ("1.2.3", "latest", True),
    ("1.2.3-alpine", "latest", False),
    ("rolling", "4.0.10.2544", True),
    ("RELEASE.2024-10-02T17-50-41Z", "RELEASE.2024-11-07T00-52-20Z", True),
    ("lts-jdk17", "2.462.3-jdk17", True),
    # Jenkins' LTS line: `lts` after a version is the line the tag follows, kept
    ("2.440.1-lts-jdk17", "2.452.2-jdk17", False),
    ("2.440.1-lts-jdk17", "2.452.2-lts-jdk17", True),
    ("2.440.1-lts", "2.452.2", False),
    ("2.440.1-jdk17", "2.452.2-lts-jdk17", False),
    ("lts-jdk17", "2.452.2-lts-jdk17", True),  # the channel's own line
    ("lts", "2.452.2-lts", True),
    ("lts", "2.452.2-lts-jdk17", False),
    ("latest-jdk17", "2.452.2-lts-jdk17", False),  # a channel naming no line
    ("LTS-jdk17", "2.452.2-lts-jdk17", True),
    ("3.12-slim-bookworm", "3.13-slim-bookworm", True),
]


@pytest.mark.parametrize("old,new,bumped", PAIRS, ids=[f"{o}->{n}" for o, n, _ in PAIRS])
def test_a_ref_replaces_only_a_tag_of_its_own_variant(old: str, new: str, bumped: bool) -> None:
    assert same_variant(old, new) is bumped
    decision = decide(old, None, new, None, allow_downgrade=False, where=WHERE)
    assert decision == (Decision(True) if bumped else Decision(False, "variant"))


def test_no_tag_on_either_side_keeps_what_is_there() -> None:
    assert same_variant(None, "16.4") and same_variant("12-alpine", None)
    # a digest-only REF keeps the reference's tag and moves its digest
    assert decide("12-alpine", DIGEST, None, "sha256:" + "d" * 64, allow_downgrade=False, where=WHERE).apply


def test_a_variant_skip_comes_before_the_digest_pin_refusal() -> None:
    """`postgres:12-alpine@sha256:…` and REF `postgres:16.4`: never written, so no exit 2."""
    assert decide("12-alpine", DIGEST, "16.4", None, allow_downgrade=False, where=WHERE) == Decision(
        False, "variant"
    )


def test_allow_downgrade_does_not_cross_variants() -> None:
    assert decide("12-alpine", None, "16.4", None, allow_downgrade=True, where=WHERE).reason == "variant"


@pytest.mark.parametrize(
    "old,new,downgrade",
    [
        ("12-debian-12-r100", "12-debian-12-r99", True),
        ("12-debian-12-r99", "12-debian-12-r100", False),
        ("1.2.3-alpine3.20", "1.2.3-alpine3.19", True),
        ("1.2.4-alpine3.19", "1.2.3-alpine3.20", True),
        ("1.2.3-alpine", "1.2.3-rc.1-alpine", True),
        ("1.2.3-rc.1-alpine", "1.2.3-rc.2-alpine", False),
        ("1.2.3-rc.2-alpine", "1.2.3-alpine", False),
        ("v1.9-alpine", "v1.10-alpine", False),
        ("12-alpine", "12.0.1-alpine", False),
    ],
)
def test_tags_of_one_variant_order_by_all_their_numbers(old: str, new: str, downgrade: bool) -> None:
    assert is_downgrade(old, new) is downgrade


def test_read_tag_never_fails_on_odd_text() -> None:
    for text in ("-", "--", "v", "v.", "1..2", "._-", "9" * 300, "a" * 128, "1.2.3-" + "x-" * 60):
        read_tag(text)
