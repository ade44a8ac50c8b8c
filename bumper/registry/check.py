"""`--registry check|resolve`: every REF's tag (and digest) exists in its registry, and the digest a
tag-only REF pins where a reference is pinned by digest."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bumper.chart_ref import ChartRef
from bumper.errors import ExitCode, RegistryError
from bumper.image_ref import DOCKER_HUB, HUB_ALIASES, ImageRef
from bumper.registry.manifests import Manifest, config_platform

if TYPE_CHECKING:
    from bumper.registry.client import Registry


@dataclass(frozen=True)
class RegistryImage:
    """What the registry says of one REF (JSON `images`)."""

    ref: str  # the REF as given
    key: str  # its normalized registry/repository
    digest: str  # the digest its tag (or its own digest) names: the index's for a multi-platform tag
    platforms: list[str] = field(default_factory=list)  # os/arch[/variant] it serves
    pin: bool = False  # --registry resolve and a tag-only REF: digest-pinned references take `digest`
    chart: bool = False  # a Helm chart's OCI artifact: it serves no platform

    @property
    def described(self) -> str:
        """What the text output and the PR body say after the digest."""
        return ", ".join(self.platforms) or ("a Helm chart" if self.chart else "platform not stated")

    def as_json(self) -> dict[str, object]:
        return {"ref": self.ref, "digest": self.digest, "platforms": list(self.platforms)}


def check_images(
    refs: Sequence[ImageRef],
    mode: str,
    env: Mapping[str, str],
    backoff: float = 1.0,
    warn: Callable[[str], None] = lambda _: None,
) -> tuple[RegistryImage, ...]:
    """Ask each REF's registry; raise RegistryError (exit 1 missing, exit 2 wrong digest).
    What cannot be asked (an HTTP chart repository) is said through `warn`, once."""
    if mode == "off":
        return ()
    from bumper.registry.client import Registry as Client  # requests loads only when a registry is asked

    clients: dict[str, Client] = {}

    def client_for(registry: str) -> Client:
        if registry not in clients:
            clients[registry] = Client(registry, env, backoff)
        return clients[registry]

    images = []
    http_charts = []
    for ref in refs:
        if not isinstance(ref, ChartRef):
            images.append(_check_one(client_for(ref.registry), ref, resolve=mode == "resolve"))
            continue
        artifact = oci_artifact(ref)
        if artifact is None:  # an HTTP chart repository serves an index.yaml, not the OCI API
            http_charts.append(str(ref))
            continue
        images.append(_check_chart(client_for(artifact.registry), ref, artifact))
    if http_charts:
        warn(
            f"--registry {mode} cannot check {', '.join(http_charts)}: an HTTP chart "
            "repository is not an OCI registry; its version was not checked"
        )
    return tuple(images)


def oci_artifact(chart: ChartRef) -> ImageRef | None:
    """The OCI artifact an `oci://` chart REF names (REGISTRY/PATH/CHART:VERSION), or None for a
    chart of an HTTP repository. A Docker Hub chart is asked of Docker Hub as its images are."""
    if not chart.registry.startswith("oci://"):
        return None
    host, _, path = chart.registry.removeprefix("oci://").partition("/")
    if host in HUB_ALIASES:  # Docker Hub's API host and the credentials `docker login` stored
        host = DOCKER_HUB
    repository = f"{path}/{chart.repository}" if path else chart.repository
    return ImageRef(f"{host}/{repository}", host, repository, chart.tag, None)


def _check_chart(client: Registry, chart: ChartRef, artifact: ImageRef) -> RegistryImage:
    """The chart's version is a tag of its OCI repository; a chart is never pinned by digest."""
    assert artifact.tag is not None
    found = client.manifest(artifact.repository, artifact.tag)
    if found is None:
        raise RegistryError(
            f"{chart} does not exist in the registry {artifact.registry}: no version {artifact.tag} of "
            f"{artifact.registry}/{artifact.repository}; check the version (a typo, or the chart was "
            "not pushed) and run again"
        )
    return RegistryImage(str(chart), chart.key, found.digest, chart=True)


def _check_one(client: Registry, ref: ImageRef, *, resolve: bool) -> RegistryImage:
    where = f"{ref.registry}/{ref.repository}"
    if ref.tag is None:  # a digest-only REF: that manifest must exist
        assert ref.digest is not None
        found = client.manifest(ref.repository, ref.digest)
        if found is None:
            raise RegistryError(
                f"{where}@{ref.digest} does not exist in the registry {ref.registry}; check the digest "
                "(the push may have failed)"
            )
        return RegistryImage(str(ref), ref.key, found.digest, _platforms(client, ref, found))
    tagged = client.manifest(ref.repository, ref.tag)
    if tagged is None:
        raise RegistryError(
            f"{where}:{ref.tag} does not exist in the registry {ref.registry}: no such tag; check the "
            "tag (a typo, or the push failed) and run again"
        )
    if ref.digest is not None and ref.digest != tagged.digest:
        raise RegistryError(_mismatch(ref, tagged), exit_code=ExitCode.BAD_INPUT)
    pin = resolve and ref.digest is None
    return RegistryImage(str(ref), ref.key, tagged.digest, _platforms(client, ref, tagged), pin)


def _mismatch(ref: ImageRef, tagged: Manifest) -> str:
    where = f"{ref.registry}/{ref.repository}"
    entry = next((e for e in tagged.entries if e.digest == ref.digest), None)
    if tagged.is_index and entry is not None:
        platform = entry.platform or "one platform"
        others = ", ".join(p for p in tagged.platforms if p != entry.platform) or "none"
        return (
            f"{ref} names the {platform} manifest inside the multi-platform index of {where}:{ref.tag}; "
            f"nodes of the other platforms ({others}) could not pull it: use the index digest, "
            f"{ref.name}:{ref.tag}@{tagged.digest}"
        )
    return (
        f"{ref} does not match the registry: {where}:{ref.tag} is {tagged.digest}; give the tag's "
        f"digest, or the tag alone with --registry resolve"
    )


def _platforms(client: Registry, ref: ImageRef, found: Manifest) -> list[str]:
    """An index's platforms, or a single manifest's from its config blob."""
    if found.is_index or found.config_digest is None:
        return found.platforms
    body = client.blob(ref.repository, found.config_digest)
    platform = config_platform(body) if body is not None else ""
    return [platform] if platform else []
