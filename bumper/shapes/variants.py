"""A tag's variant (`12-alpine` → alpine): a REF replaces a reference only with the same one.

README, "What gets rewritten" (variants): a tag `VERSION-SUFFIX` carries a variant, the words of
SUFFIX without their digits (`12-alpine` → alpine, `10.6.4-focal` → focal, `12-debian-12-r98` →
debian r, `1.2.3-alpine3.19` → alpine). Not variants, so left out of the words:

- a semantic-version pre-release (`-rc.1`, `-alpha.2`, `-beta`, `-pre`, `-dev`, `-rc1`);
- a commit id (`1.2.3-abc1234`, `sha-deadbee`, git describe's `-5-gdeadbee`): hex of 7 to 40,
  digits or not (a short hash without a digit is as much a commit as one with);
- a release channel (`latest`, `stable`, `mainline`, `main`, ...): it names when, not what;
  but `lts` after a version (`2.440.1-lts-jdk17`) names the line the tag follows: a variant word.

A tag that does not start with a version (`alpine`, `stable-alpine`, `ltsc2022`) has the words
of the whole tag; `latest` and `main-abc1234` thus have none and are replaced as before, while
`alpine` is never silently turned into `1.27` (`1.27-alpine` replaces it).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

_VERSION = re.compile(r"[vV]?(\d+(?:\.\d+)*)")
_COMPONENT = re.compile(r"[-._]+")
_WORD = re.compile(r"[A-Za-z]+")
_DIGITS = re.compile(r"\d+")
_PRERELEASE_WORD = re.compile(r"(alpha|beta|rc|pre|preview|dev|snapshot)(\d*)", re.IGNORECASE)
# Release order of the pre-release words; a final release comes after all of them.
_PRERELEASE_RANK = {"dev": 0, "snapshot": 0, "alpha": 1, "beta": 2, "pre": 3, "preview": 3, "rc": 4}
_COMMIT = re.compile(r"g?[0-9a-f]{7,40}")
# Words that name a channel or a build, not what the image is built on.
CHANNELS = frozenset(
    "latest stable mainline edge main master trunk develop development nightly canary lts current next"
    " rolling unstable release sha pr build commit git".split()
)

# A channel after a version names the line of releases the tag is one of (Jenkins'
# `2.440.1-lts-jdk17`: the LTS line, whose tags a `2.452.2-jdk17` weekly-line spelling does not
# continue): a variant word there; alone (`lts-jdk17`) it still names when, not what, and a
# tag of that line (`2.452.2-lts-jdk17`) is of the channel's variant.
_LINES = frozenset({"lts"})


class TagShape(NamedTuple):
    """What a tag says: its version numbers (empty when it starts with none), its variant words,
    the numbers of its variant part (`alpine3.19` → 3, 19; `r98` → 98) and its pre-release."""

    release: tuple[int, ...]
    variant: tuple[str, ...]
    numbers: tuple[int, ...]
    prerelease: tuple[int, int] | None  # (rank, number); None for a final release


@lru_cache(maxsize=4096)  # a tree repeats its tags; a bump reads each reference's and the REF's
def read_tag(tag: str) -> TagShape:
    """Split a tag into version, variant and pre-release (never fails: any text is a tag)."""
    match = _VERSION.match(tag)
    release: tuple[int, ...] = ()
    rest = tag
    if match is not None and (match.end() == len(tag) or tag[match.end()] in "-._"):
        release = tuple(int(n) for n in match.group(1).split("."))
        rest = tag[match.end() :]
    words: list[str] = []
    numbers: list[int] = []
    prerelease: tuple[int, int] | None = None
    expect_number = False  # `rc.1`: the number after a pre-release word is its own
    for part in _COMPONENT.split(rest):
        if not part:
            continue
        if part.isdigit():
            if expect_number and prerelease is not None:
                prerelease, expect_number = (prerelease[0], int(part)), False
            elif release:
                numbers.append(int(part))
            continue
        expect_number = False
        pre = _PRERELEASE_WORD.fullmatch(part)
        if pre is not None and prerelease is None:
            number = int(pre.group(2)) if pre.group(2) else 0
            prerelease, expect_number = (_PRERELEASE_RANK[pre.group(1).lower()], number), not pre.group(2)
            continue
        if (part.lower() in CHANNELS and not (release and part.lower() in _LINES)) or _is_commit(part):
            continue
        words += [w.lower() for w in _WORD.findall(part)]
        numbers += [int(n) for n in _DIGITS.findall(part)]
    return TagShape(release, tuple(words), tuple(numbers), prerelease)


def _is_commit(part: str) -> bool:
    """A commit id: 7 to 40 hex (`abc1234`, and `deadbee`: about one short hash in a thousand
    has no digit), or git describe's `g` + hex."""
    return _COMMIT.fullmatch(part) is not None


def variant(tag: str | None) -> tuple[str, ...]:
    """The variant words of `tag` (empty: none, or no tag)."""
    return read_tag(tag).variant if tag else ()


def same_variant(old_tag: str | None, new_tag: str | None) -> bool:
    """Whether a reference tagged `old_tag` may take `new_tag`: both carry the same variant
    (a REF without a tag keeps the reference's tag, and a reference without one has none to keep)."""
    if not old_tag or not new_tag:
        return True
    old, new = variant(old_tag), variant(new_tag)
    if old == new:
        return True
    # A channel naming a line (`lts-jdk17`, no version before it) and a tag of that line
    # (`2.452.2-lts-jdk17`): the line is the channel's, not another variant.
    named = _lines_named(old_tag)
    return bool(named) and tuple(word for word in new if word not in named) == old


def _lines_named(tag: str) -> frozenset[str]:
    """The line words (`lts`) a tag without a version names as its channel; none otherwise."""
    if read_tag(tag).release:
        return frozenset()
    return frozenset(part.lower() for part in _COMPONENT.split(tag) if part.lower() in _LINES)


def variant_order(tag: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, int]] | None:
    """How a versioned tag with a variant sorts among tags of the same variant: its version,
    then its variant's numbers (`-r98` < `-r100`, `alpine3.19` < `alpine3.20`), then its
    pre-release (below the final release); None for a tag without both."""
    shape = read_tag(tag)
    if not shape.release or not shape.variant:
        return None
    release = shape.release + (0,) * max(0, 3 - len(shape.release))
    return release, shape.numbers, shape.prerelease if shape.prerelease is not None else (9, 0)
