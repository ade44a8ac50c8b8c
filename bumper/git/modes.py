"""git's entry modes, as `ls-tree`, `ls-files -s` and `diff-tree` print them: which entries a run
reads as files. A symbolic link's blob is the name it points to (any bytes, even one that spells a
reference), never a manifest; a submodule (160000) and a folder (040000) hold no blob to read."""

from __future__ import annotations

FILE_MODES = frozenset({"100644", "100755"})  # a file, an executable one
FILE_MODES_BYTES = frozenset(mode.encode() for mode in FILE_MODES)
LINK_MODE = "120000"
