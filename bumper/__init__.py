"""bumper: rewrite image references in a manifests repository and open the pull request."""

__version__ = "0.1.0"
