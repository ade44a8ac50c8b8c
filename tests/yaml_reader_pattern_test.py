"""bumper seeds `re`'s cache with PyYAML's NON_PRINTABLE pattern written as its complement (a
sixth of a --dir run's start-up was Python compiling the original): the seeded pattern must
match exactly the characters PyYAML's does, and PyYAML must find it when imported."""

from __future__ import annotations

import re
import subprocess
import sys

import bumper

EVERY_CHARACTER = "".join(map(chr, range(0x110000)))  # lone surrogates too: a str may hold them


def test_the_complement_matches_exactly_the_characters_pyyamls_pattern_matches() -> None:
    # re.UNICODE is every str pattern's default: PyYAML's own pattern, under another key of re's
    # cache than the one bumper seeds
    original = re.compile(bumper.PYYAML_NON_PRINTABLE, re.UNICODE)
    assert original.pattern == bumper.PYYAML_NON_PRINTABLE
    seeded = re.compile(bumper.NON_PRINTABLE_COMPLEMENT)
    found = [m.start() for m in original.finditer(EVERY_CHARACTER)]
    assert found == [m.start() for m in seeded.finditer(EVERY_CHARACTER)]
    assert 0 in found and 0x0B in found and 0xD800 in found and 0xFFFF in found
    assert 0x09 not in found and 0x85 not in found and 0x10FFFF not in found


def test_pyyaml_imported_after_bumper_uses_the_seeded_pattern() -> None:
    """In a fresh process, as a run imports them: PyYAML's reader holds the seeded pattern (its
    spelling of NON_PRINTABLE is still the one bumper seeds), and reads a control character as
    an error as before."""
    probe = (
        "import bumper, yaml\n"
        "assert yaml.reader.Reader.NON_PRINTABLE.pattern == bumper.NON_PRINTABLE_COMPLEMENT\n"
        "try:\n"
        "    yaml.load('a: \\x07', Loader=yaml.SafeLoader)\n"
        "except yaml.reader.ReaderError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "special characters are not allowed" in out and "#x0007" in out
