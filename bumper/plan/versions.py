"""Whether a reference may move to the REF's version: same variant, no downgrade, no stale digest."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from bumper.errors import PolicyError
from bumper.shapes.variants import read_tag, same_variant, variant_order

if TYPE_CHECKING:
    import semver

_VERSION_RE = re.compile(r"[vV]?(\d+(?:\.\d+){0,2}(?:[-+][0-9A-Za-z.+-]*)?)")
_GLOB_SPECIAL = re.compile(r"([\[\]*?!#\\])")  # read literally in a --path pattern once escaped
# Numbers may be zero-padded (`22.04`, `2024.01.05`) and more than three (Plex's 1.43.4.10000,
# Windows' 10.0.17763.5329): they compare as numbers all the same.
_RELEASE_RE = re.compile(r"[vV]?(\d+(?:\.\d+)*)")
_NUMBER = re.compile(r"\d+")
# A commit id: 7 to 40 hex with a letter among them, or git describe's `g` before them (`g1234567`:
# about one short hash in 27 is all digits, and describe's `g` still says it is one).
_HEX_COMMIT = re.compile(
    r"(?<![0-9A-Za-z])(?:g[0-9a-f]{7,40}|(?=[0-9a-f]*[a-f])[0-9a-f]{7,40})(?![0-9A-Za-z])"
)
_DESCRIBE = re.compile(r"(.+)-(\d+)-g[0-9a-f]{7,40}")  # git describe: TAG-COMMITS_SINCE-gHASH
_PADDED = re.compile(r"(?<!\d)0+(?=\d)")  # a leading zero, which semver refuses
# A pre-release word with its number run together (`rc10`, `beta9`, runc's `1.0.0-rc95`): semver
# compares such an identifier as text, so `rc10` came before `rc9`; split, the number is a number.
_WORD_NUMBER = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]+)-?0*(\d+)(?![0-9A-Za-z])")


class Decision(NamedTuple):
    """`apply` is True to rewrite; otherwise `reason` says why the reference is skipped."""

    apply: bool
    reason: str | None = None


def parse_version(tag: str | None) -> semver.Version | None:
    """Read a tag as a semantic version (optional `v`, partial `1.9` as 1.9.0), else None."""
    if not tag:
        return None
    match = _VERSION_RE.fullmatch(tag)
    if match is None:
        return None
    import semver  # scan, check and --help never compare versions (tests/import_budget_test.py)

    text = match.group(1)
    end = len(text.split("-", 1)[0].split("+", 1)[0])  # the release numbers, before -pre or +build
    pre, plus, build = text[end:].partition("+")
    try:  # `24.04.1-rc.1` is 24.4.1-rc.1: zero-padded release numbers compare as numbers
        return semver.Version.parse(
            _PADDED.sub("", text[:end]) + _WORD_NUMBER.sub(r"\1.\2", pre) + plus + build,
            optional_minor_and_patch=True,
        )
    except ValueError:
        return None


@lru_cache(maxsize=4096)  # a bump asks it for the same pair of tags in file after file
def is_downgrade(old_tag: str | None, new_tag: str | None) -> bool:
    """True only when both tags are versions and the new one is lower; tags of one variant
    (`12-debian-12-r98`, `1.2.3-alpine3.19`) compare their variant's numbers too."""
    old_order = variant_order(old_tag) if old_tag else None
    new_order = variant_order(new_tag) if new_tag else None
    if old_order is not None and new_order is not None:
        return new_order < old_order
    old_release, new_release = _release(old_tag), _release(new_tag)
    if old_release is not None and new_release is not None:
        return _lower(new_release, old_release)
    by_commit = _commit_order(old_tag or "", new_tag or "")
    if by_commit is not None:
        return by_commit
    old, new = parse_version(old_tag), parse_version(new_tag)
    if old is not None and new is not None:
        if new == old and old_tag != new_tag:  # semver ranks no build part; Rancher's `+up57.0.3` is one
            return _lower_in_same_form(old_tag or "", new_tag or "")
        return new < old
    return _lower_release(old_tag, new_tag)


def _commit_order(old_tag: str, new_tag: str) -> bool | None:
    """Tags naming a commit after their version (None when neither does): semver would order
    `1.2.3-g1a2b3c4` and git describe's `v1.2.3-10-gabc1234` by the letters of the commit id, and
    put a describe build below the release it follows. Their versions order them; at one version,
    git describe's count of commits since it (the release itself counts 0), and nothing else:
    which of two commit ids came first, the tag does not say."""
    if _HEX_COMMIT.search(old_tag) is None and _HEX_COMMIT.search(new_tag) is None:
        return None
    old, new = read_tag(old_tag), read_tag(new_tag)
    if old.release and new.release and (_lower(new.release, old.release) or _lower(old.release, new.release)):
        return _lower(new.release, old.release)
    old_since, new_since = _since(old_tag), _since(new_tag)
    if old_since is None or new_since is None:
        return False
    if old_since[0] != new_since[0]:  # `v1.2.3-rc.1-5-gabc1234` against `v1.2.3-rc.2`
        return is_downgrade(old_since[0], new_since[0])
    return new_since[1] < old_since[1]


def _since(tag: str) -> tuple[str, int] | None:
    """git describe's `BASE-N-gHEX` after a version as (BASE, N); a tag without a commit id as
    (tag, 0); None for any other tag naming a commit (`pr-123-gabc1234`: which pull request)."""
    match = _DESCRIBE.fullmatch(tag)
    if match is not None and read_tag(match.group(1)).release:
        return match.group(1), int(match.group(2))
    return None if _HEX_COMMIT.search(tag) else (tag, 0)


def _release(tag: str | None) -> tuple[int, ...] | None:
    """`v1.2.3`, `1.9`, `1.43.4.10000` as numbers, for tags without a pre-release or build part:
    those order by their numbers alone (SemVer 11.2), as semver orders them, without importing
    it (~8 ms, on the critical path of a large dry run)."""
    match = _RELEASE_RE.fullmatch(tag) if tag else None
    return None if match is None else tuple(int(part) for part in match.group(1).split("."))


def _lower(new: tuple[int, ...], old: tuple[int, ...]) -> bool:
    """Whether release numbers `new` are lower than `old`, a missing number read as 0."""
    width = max(len(new), len(old))
    return new + (0,) * (width - len(new)) < old + (0,) * (width - len(old))


def _lower_release(old_tag: str | None, new_tag: str | None) -> bool:
    """Two versioned tags semver cannot read (four numbers and a pre-release, `1.2.3.4-rc.1`):
    by their numbers, then their pre-release (below the final release)."""
    old, new = read_tag(old_tag or ""), read_tag(new_tag or "")
    if not old.release and not new.release:
        return _lower_in_same_form(old_tag or "", new_tag or "")
    if not old.release or not new.release or old.variant or new.variant:
        return False
    if _lower(new.release, old.release) or _lower(old.release, new.release):  # not equal numbers
        return _lower(new.release, old.release)
    final = (9, 0)  # a release comes after each of its pre-releases
    return (new.numbers, new.prerelease or final) < (old.numbers, old.prerelease or final)


def _lower_in_same_form(old_tag: str, new_tag: str) -> bool:
    """Two tags written alike but for their numbers, at least three of them (a date, a dotted
    version), that do not start with a version (MinIO's `RELEASE.2024-01-16T16-07-38Z`,
    `version-2024.01.05`): by those numbers. One or two (`build-123`, `pr-123-4`: which pull
    request is no order) order nothing, nor do the numbers inside a commit id (`main-1a2b3c4`)."""
    old_numbers, new_numbers = _NUMBER.findall(old_tag), _NUMBER.findall(new_tag)
    if len(old_numbers) < 3 or _NUMBER.sub("0", old_tag) != _NUMBER.sub("0", new_tag):
        return False
    if _HEX_COMMIT.search(old_tag) or _HEX_COMMIT.search(new_tag):
        return False
    return tuple(int(n) for n in new_numbers) < tuple(int(n) for n in old_numbers)


def decide(
    old_tag: str | None,
    old_digest: str | None,
    new_tag: str | None,
    new_digest: str | None,
    *,
    allow_downgrade: bool,
    where: tuple[str, int],
    shown: tuple[str, str] = ("reference", "REF"),
    untagged_runs: str | None = None,
    hold_line: int | None = None,
) -> Decision:
    """Decide one reference; raise PolicyError when applying would leave a stale digest.

    `shown` is the reference as the file writes it and the REF, for that error. `untagged_runs`
    is the tag a reference writing none runs (`image: postgres` runs `latest`, so it has no
    variant and an alpine REF is another variant); None where that tag is kept elsewhere.
    `hold_line`: the line a `# bumper: hold` comment holds it from, when not `where`'s."""
    if new_digest is None and old_tag == new_tag:
        return Decision(False, "up-to-date")
    if (old_tag, old_digest) == (new_tag, new_digest):
        return Decision(False, "up-to-date")
    if new_tag is None and new_digest is not None and old_digest == new_digest:
        return Decision(False, "up-to-date")  # a digest-only REF of the same image keeps the tag
    # Skips come before the digest check: a reference that is never written needs no digest.
    if not same_variant(old_tag or (None if old_digest else untagged_runs), new_tag):
        return Decision(False, "variant")
    if not allow_downgrade and is_downgrade(old_tag, new_tag):
        return Decision(False, "downgrade")
    if old_digest and not new_digest:
        raise digest_pin_error(where, shown, old_digest, hold_line)
    return Decision(True)


class DigestPinError(PolicyError):
    """The digest-pin refusal. Its ways out name `bump`'s options; `for_promote` names those
    of `bumper promote`, whose version comes from --from and whose files are --to's."""

    def __init__(self, message: str, promote_message: str, *, file: str, line: int) -> None:
        super().__init__(message, file=file, line=line)
        self.promote_message = promote_message

    def for_promote(self) -> PolicyError:
        worded = PolicyError(self.promote_message, file=self.file, line=self.line)
        worded.commit = self.commit  # a direct commit pushed before it, as after_push named it
        return worded


def digest_pin_error(
    where: tuple[str, int], shown: tuple[str, str], old_digest: str, hold_line: int | None = None
) -> DigestPinError:
    """A digest-pinned reference and a REF without a digest: the one line names the reference
    and every way out (README, "What gets rewritten": no stale digest)."""
    import shlex  # only a refused run quotes a path

    file, line = where
    value, ref = shown
    pinned = value.replace(old_digest, f"{old_digest[:19]}...") if old_digest in value else value
    folder = file.rpartition("/")[0]
    exclude, what = f"!{literal_pattern(folder)}/**", "its folder"
    if not folder:
        exclude, what = f"!/{literal_pattern(file)}", "the file"
    stale = "so the old digest would stay under the new tag"
    hold = f"or end line {hold_line or line} with '# bumper: hold'"
    return DigestPinError(
        f"{pinned} is pinned by digest and REF {ref} has none, {stale}; give the REF with its digest "
        f"({ref}@sha256:<digest>), or --registry resolve to look it up, or leave {what} out with "
        f"--path '**' --path {shlex.quote(exclude)}, {hold}",
        f"{pinned} is pinned by digest and the version under --from, {ref}, has none, {stale}; pin "
        f"it by digest under --from ({ref}@sha256:<digest>), or --registry resolve to look it up, "
        f"or leave {what} out with --to {shlex.quote(exclude)} after the other --to, {hold}",
        file=file,
        line=line,
    )


def literal_pattern(path: str) -> str:
    """`path` as a --path pattern that matches only itself (glob characters escaped)."""
    return _GLOB_SPECIAL.sub(r"\\\1", path)
