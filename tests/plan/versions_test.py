"""policy: no downgrade between versions, no stale digest, up to date means no write."""

from __future__ import annotations

import pytest

from bumper.errors import ExitCode, PolicyError
from bumper.plan.versions import Decision, decide, is_downgrade, parse_version

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
WHERE = ("apps/web.yaml", 7)


@pytest.mark.parametrize(
    "old,new,downgrade",
    [
        ("v1.2.3", "v1.2.2", True),
        ("1.10", "1.9", True),  # numeric, not lexical
        ("1.9", "1.10", False),
        ("v2.0.0", "v2.0.0-rc.1", True),  # a pre-release is lower than its release
        ("v2.0.0-rc.1", "v2.0.0", False),
        ("latest", "v1.0.0", False),  # not a version: never called a downgrade
        ("v1.0.0", "main-abc123", False),
        (None, "v1.0.0", False),
    ],
)
def test_is_downgrade(old: str | None, new: str | None, downgrade: bool) -> None:
    assert is_downgrade(old, new) is downgrade


def test_parse_version_reads_partial_versions_and_a_leading_v() -> None:
    assert str(parse_version("v1.9")) == "1.9.0"
    assert parse_version("1.2.3.4") is None and parse_version("") is None


@pytest.mark.parametrize(
    "old,new,allow,expected",
    [
        (("v1.0.0", None), ("v1.1.0", None), False, Decision(True)),
        (("v1.1.0", None), ("v1.1.0", None), False, Decision(False, "up-to-date")),
        (("v1.1.0", None), ("v1.0.0", None), False, Decision(False, "downgrade")),
        (("v1.1.0", None), ("v1.0.0", None), True, Decision(True)),
        (("v1.0.0", DIGEST_A), ("v1.1.0", DIGEST_B), False, Decision(True)),
        (("v1.0.0", DIGEST_A), ("v1.0.0", DIGEST_A), False, Decision(False, "up-to-date")),
        (("v1.0.0", DIGEST_A), ("v1.0.0", DIGEST_B), False, Decision(True)),  # same tag, rebuilt image
        # a pinned reference the REF would move down is skipped: it needs no digest, never written
        (("v1.1.0", DIGEST_A), ("v1.0.0", None), False, Decision(False, "downgrade")),
    ],
)
def test_decide(
    old: tuple[str, str | None], new: tuple[str, str | None], allow: bool, expected: Decision
) -> None:
    assert decide(*old, *new, allow_downgrade=allow, where=WHERE) == expected


def test_a_digest_pin_never_keeps_its_old_digest_under_a_new_tag() -> None:
    with pytest.raises(PolicyError):  # a downgrade allowed is a move: it needs the digest too
        decide("v1.1.0", DIGEST_A, "v1.0.0", None, allow_downgrade=True, where=WHERE)
    with pytest.raises(PolicyError) as info:
        decide("v1.0.0", DIGEST_A, "v1.1.0", None, allow_downgrade=False, where=WHERE)
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert str(info.value).startswith("apps/web.yaml:7: reference is pinned by digest and REF REF has none")


def test_release_tags_compare_as_semver_compares_them_without_importing_it() -> None:
    """is_downgrade orders plain release tags itself (semver costs ~8 ms to import); every pair
    of these spellings of one to three numbers must get semver's answer (zero-padded numbers read
    as numbers; four numbers, which semver does not read, are tested below)."""
    import itertools
    import random

    rng = random.Random(5)
    numbers = ["0", "1", "2", "9", "10", "11", "01", "100"]
    suffixes = ["", "", "-rc.1", "+b7"]

    def tag(prefix: str) -> str:
        parts = ".".join(rng.choice(numbers) for _ in range(rng.randint(1, 3)))
        return f"{prefix}{parts}{rng.choice(suffixes)}"

    tags = {tag(prefix) for prefix in ("", "v", "V") for _ in range(40)}
    for old, new in itertools.product(sorted(tags), repeat=2):
        old_version, new_version = parse_version(old), parse_version(new)
        semver_says = old_version is not None and new_version is not None and new_version < old_version
        assert is_downgrade(old, new) == semver_says, (old, new)


@pytest.mark.parametrize(
    ("old", "new", "lower"),
    [
        ("22.04", "20.04", True),  # Ubuntu: zero-padded numbers are numbers
        ("20.04", "22.04", False),
        ("2024.01.05", "2023.12.31", True),
        ("24.04.1-rc.1", "24.04.1-rc.0", True),
        ("1.43.4.10000", "1.41.0.9000", True),  # Plex: four numbers
        ("1.41.0.9000", "1.43.4.10000", False),
        ("10.0.17763.5329", "10.0.17763.5000", True),
        ("1.2.3.4", "1.2.3", True),  # a missing number is 0
        ("1.2.3", "1.2.3.0", False),
        ("1.2.3.4", "1.2.3.4-rc.1", True),  # a pre-release comes before its release
        ("1.2.3.4-rc.1", "1.2.3.4", False),
        ("1.2.3.4-rc.2", "1.2.3.4-rc.1", True),
        ("1.2.3.5-rc.1", "1.2.3.4", True),
        ("latest", "1.0", False),
        # Tags written alike but for two or more numbers, not starting with a version (MinIO)
        ("RELEASE.2024-01-16T16-07-38Z", "RELEASE.2023-11-20T22-40-07Z", True),
        ("RELEASE.2023-11-20T22-40-07Z", "RELEASE.2024-01-16T16-07-38Z", False),
        ("version-2024.01.05", "version-2023.12.31", True),
        ("build-12", "build-9", False),  # one number orders nothing, nor do two
        ("pr-123-4", "pr-99-5", False),
        ("main-1a2b3c5", "main-1a2b3c4", False),  # nor do the digits of a commit id
        # Equal to semver but for a build part written alike (Rancher's charts)
        ("104.1.1+up57.0.3", "104.1.1+up57.0.2", True),
        ("104.1.1+up57.0.2", "104.1.1+up57.0.3", False),
        ("1.2.3+abc1234", "1.2.3+abc1233", False),
        # A commit id after the version: its letters order nothing; git describe counts commits
        ("v0.3.0-9-g8d9e2f1", "v0.3.0-10-g1234abc", False),  # semver: "9-g…" > "10-g…"
        ("v0.3.0-10-g1234abc", "v0.3.0-9-g8d9e2f1", True),
        ("v1.2.3", "v1.2.3-5-gabc1234", False),  # five commits after the release, not before it
        ("v1.2.3-5-gabc1234", "v1.2.3", True),
        ("v1.2.4-rc.1", "v1.2.3-5-gabc1234", True),
        ("v1.2.3-rc.2", "v1.2.3-rc.1-5-gabc1234", True),
        ("v1.2.3-rc.1-5-gabc1234", "v1.2.3-rc.2", False),
        ("1.2.3-g1a2b3c4", "1.2.3-g0f9e8d7", False),  # which commit came first: not said
        ("1.2.3-abc1234", "1.2.3-abc1233", False),
        ("1.2.3-abc1234", "1.2.2-def5678", True),  # the version still orders
        ("pr-123-gabc1234", "pr-99-gdef5678", False),  # no version: which pull request
        # A commit id of digits only (about one short hash in 27): describe's `g` still names it
        ("v0.3.0-9-g1234567", "v0.3.0-10-g7654321", False),
        ("v0.3.0-10-g7654321", "v0.3.0-9-g1234567", True),
        ("v1.2.3", "v1.2.3-5-g1234567", False),
        ("v1.2.3-5-g1234567", "v1.2.3", True),
        ("1.2.3-g1234567", "1.2.3-g0123456", False),
    ],
)
def test_versions_semver_does_not_read_are_ordered_by_their_numbers(old: str, new: str, lower: bool) -> None:
    assert is_downgrade(old, new) is lower


@pytest.mark.parametrize(
    "old,new,lower",
    [
        # A pre-release word and its number run together: semver compares `rc10` and `rc9` as text
        ("1.2.3-rc9", "1.2.3-rc10", False),
        ("1.2.3-rc10", "1.2.3-rc9", True),
        ("1.0.0-rc95", "1.0.0-rc100", False),  # runc's
        ("v1.0.0-beta9", "v1.0.0-beta10", False),
        ("v1.0.0-beta10", "v1.0.0-beta9", True),
        ("1.0.0-alpha10", "1.0.0-alpha9", True),
        ("3.0.0-dev10", "3.0.0-dev9", True),
        ("1.2.3-rc-10", "1.2.3-rc-9", True),
        ("1.2.3-rc09", "1.2.3-rc10", False),
        ("1.2.3-rc10", "1.2.3-rc.9", True),  # either spelling, one order
        ("1.2.3-rc.10", "1.2.3-rc9", True),
        ("1.2.3-rc10", "1.2.3", False),  # the release still comes after each
        ("1.2.3", "1.2.3-rc10", True),
        ("1.2.3-rc1", "1.2.3-rc.1", False),  # the same version, spelled two ways
    ],
)
def test_a_pre_release_number_run_into_its_word_orders_as_a_number(old: str, new: str, lower: bool) -> None:
    assert is_downgrade(old, new) is lower


def test_the_digest_pin_refusal_names_the_reference_and_every_way_out() -> None:
    value, ref = f"ghcr.io/acme/app:v1.0.0@{DIGEST_A}", "ghcr.io/acme/app:v1.1.0"
    with pytest.raises(PolicyError) as info:
        decide("v1.0.0", DIGEST_A, "v1.1.0", None, allow_downgrade=False, where=WHERE, shown=(value, ref))
    assert str(info.value) == (
        "apps/web.yaml:7: ghcr.io/acme/app:v1.0.0@sha256:aaaaaaaaaaaa... is pinned by digest and REF "
        "ghcr.io/acme/app:v1.1.0 has none, so the old digest would stay under the new tag; give the REF "
        "with its digest (ghcr.io/acme/app:v1.1.0@sha256:<digest>), or --registry resolve to look it up, "
        "or leave its folder out with --path '**' --path '!apps/**', or end line 7 with '# bumper: hold'"
    )


@pytest.mark.parametrize(
    "file,exclusion",
    [
        ("pinned.yaml", "--path '!/pinned.yaml'"),
        ("archive/2023/app.yaml", "--path '!archive/2023/**'"),
        ("odd [x]/app.yaml", "--path '!odd \\[x\\]/**'"),
        ("it's/app.yaml", "--path '!it'\"'\"'s/**'"),
    ],
)
def test_the_exclusion_named_selects_only_that_folder(file: str, exclusion: str) -> None:
    with pytest.raises(PolicyError) as info:
        decide("v1", DIGEST_A, "v2", None, allow_downgrade=False, where=(file, 1))
    assert exclusion in str(info.value)
