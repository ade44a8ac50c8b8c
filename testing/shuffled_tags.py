"""The semver tags concurrent-run tests shuffle, and the one every run must end on."""

TAGS = [
    "v2.0.0",
    "v2.1.0",
    "v2.9.0",
    "v2.10.0",
    "v2.2.5",
    "v2.9.9",
    "v2.3.0",
    "v2.0.1",
    "v2.10.0-rc.1",
    "v1.9.0",
]
HIGHEST = "v2.10.0"
