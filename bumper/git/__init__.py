"""The git layer: branch names, repository URLs, and running git safely."""
