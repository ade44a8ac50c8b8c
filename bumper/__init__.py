"""bumper: rewrite image references in a manifests repository and open the pull request."""

from __future__ import annotations

import re

__version__ = "0.1.0"

# PyYAML compiles, as it is imported, a pattern that only its pure-Python reader uses
# (yaml.reader.Reader.NON_PRINTABLE; bumper composes with libyaml): Python's compiler takes 3-13 ms
# on its negated Unicode ranges, a sixth of a --dir run's start-up. The same characters written as
# the complement compile in a fiftieth of that, and are put in `re`'s cache under PyYAML's spelling,
# so its `re.compile` finds them (tests/yaml_reader_pattern_test.py checks both sets are one).
# Another PyYAML spelling, or a Python whose `re` keeps no such cache, compiles its own.
PYYAML_NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
NON_PRINTABLE_COMPLEMENT = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"


def _seed_pyyaml_pattern() -> None:
    cache = getattr(re, "_cache", None)
    if isinstance(cache, dict):
        cache.setdefault((str, PYYAML_NON_PRINTABLE, 0), re.compile(NON_PRINTABLE_COMPLEMENT))


_seed_pyyaml_pattern()
