"""OCI distribution client for `--registry check|resolve`: does the REF's tag exist, what is its digest."""

from __future__ import annotations

from bumper.registry.check import RegistryImage, check_images

__all__ = ["RegistryImage", "check_images"]
