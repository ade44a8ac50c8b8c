"""A real OCI registry on loopback for the --registry tests: CNCF distribution (`docker-registry`,
Debian's package) with htpasswd auth, and OCI image layouts written here and pushed with skopeo.

The images are tiny but real: a tar layer, an image config naming its platform, a manifest, and
for a multi-platform tag an OCI index over one manifest per platform. skopeo pushes a layout
unchanged (`--all`), so the digests computed here are the registry's.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import socket
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"  # what `helm push` writes
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
USER = "ci-bot"
PASSWORD = "registry-secret-PASSWORDpassword-7f3a"  # noqa: S105 - grepped for in every output
NEEDED = ("docker-registry", "skopeo", "htpasswd")


def missing_tools() -> str | None:
    """Why the real registry cannot run here (the reason a test skips with), or None."""
    absent = [tool for tool in NEEDED if shutil.which(tool) is None]
    if not absent:
        return None
    return (
        f"{', '.join(absent)} not installed: apt-get install docker-registry skopeo apache2-utils "
        "(.ci/run installs them)"
    )


@dataclass(frozen=True)
class Pushed:
    """What a layout holds: the tag's digest, and for an index each platform's manifest digest."""

    digest: str
    platforms: dict[str, str] = field(default_factory=dict)  # "linux/arm64" -> manifest digest


class Layout:
    """An OCI image layout folder written blob by blob."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')

    def blob(self, data: bytes) -> dict[str, object]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        (self.root / "blobs" / "sha256" / digest[7:]).write_bytes(data)
        return {"digest": digest, "size": len(data)}

    def image(self, platform: str, content: str) -> dict[str, object]:
        """One platform's manifest (a layer holding `content`, a config naming the platform)."""
        os_name, arch, *variant = platform.split("/")
        tar = _tar({"hello.txt": content.encode()})
        layer = self.blob(gzip.compress(tar, mtime=0))
        config: dict[str, object] = {
            "architecture": arch,
            "os": os_name,
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
            "config": {},
        }
        if variant:
            config["variant"] = variant[0]
        config_blob = self.blob(json.dumps(config, sort_keys=True).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, **config_blob},
            "layers": [{"mediaType": OCI_LAYER, **layer}],
        }
        return {"mediaType": OCI_MANIFEST, **self.blob(json.dumps(manifest).encode())}

    def chart(self, name: str, version: str) -> Pushed:
        """Write `version` as Helm pushes a chart: a Helm config blob and one chart archive layer."""
        chart_yaml = f"apiVersion: v2\nname: {name}\nversion: {version}\n".encode()
        layer = self.blob(gzip.compress(_tar({f"{name}/Chart.yaml": chart_yaml}), mtime=0))
        config = self.blob(json.dumps({"apiVersion": "v2", "name": name, "version": version}).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": HELM_CONFIG, **config},
            "layers": [{"mediaType": HELM_CHART, **layer}],
        }
        top = {"mediaType": OCI_MANIFEST, **self.blob(json.dumps(manifest).encode())}
        named = {**top, "annotations": {"org.opencontainers.image.ref.name": version}}
        (self.root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [named]}))
        return Pushed(str(top["digest"]))

    def tag(self, tag: str, platforms: Sequence[str], content: str = "") -> Pushed:
        """Write `tag`: a single manifest for one platform, an index over several."""
        images = [self.image(p, f"{content} {p}") for p in platforms]
        if len(images) == 1:
            top = images[0]
            pushed = Pushed(str(top["digest"]))
        else:
            entries = [
                {**image, "platform": dict(zip(("os", "architecture", "variant"), p.split("/")))}
                for image, p in zip(images, platforms)
            ]
            index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
            top = {"mediaType": OCI_INDEX, **self.blob(json.dumps(index).encode())}
            pushed = Pushed(str(top["digest"]), {p: str(i["digest"]) for p, i in zip(platforms, images)})
        named = {**top, "annotations": {"org.opencontainers.image.ref.name": tag}}
        (self.root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [named]}))
        return pushed


def _tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@dataclass
class RealRegistry:
    """A running `docker-registry serve` with htpasswd auth on 127.0.0.1:PORT."""

    host: str  # 127.0.0.1:PORT
    work: Path
    pushed: dict[str, Pushed] = field(default_factory=dict)  # "acme/app:v1" -> digests

    def push(self, repository: str, tag: str, platforms: Sequence[str], content: str = "") -> Pushed:
        """Write a layout for `tag` and push it with skopeo, unchanged (`--all`)."""
        layout = Layout(self.work / "layouts" / f"{repository.replace('/', '_')}_{tag}")
        pushed = layout.tag(tag, platforms, content or f"{repository}:{tag}")
        subprocess.run(
            [
                "skopeo", "--insecure-policy", "copy", "--all", "--preserve-digests", "--quiet",
                "--dest-tls-verify=false", "--dest-creds", f"{USER}:{PASSWORD}",
                f"oci:{layout.root}:{tag}", f"docker://{self.host}/{repository}:{tag}",
            ],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self.pushed[f"{repository}:{tag}"] = pushed
        return pushed

    def push_chart(self, repository: str, name: str, version: str) -> Pushed:
        """Push chart `name` at `version` to `repository`/`name` as `helm push` does (an OCI artifact)."""
        layout = Layout(self.work / "layouts" / f"chart_{repository.replace('/', '_')}_{name}_{version}")
        pushed = layout.chart(name, version)
        subprocess.run(
            [
                "skopeo", "--insecure-policy", "copy", "--preserve-digests", "--quiet",
                "--dest-tls-verify=false", "--dest-creds", f"{USER}:{PASSWORD}",
                f"oci:{layout.root}:{version}", f"docker://{self.host}/{repository}/{name}:{version}",
            ],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self.pushed[f"{repository}/{name}:{version}"] = pushed
        return pushed

    def docker_config(self, folder: Path, *, password: str = PASSWORD) -> Path:
        """A DOCKER_CONFIG folder whose config.json holds this registry's login, as docker login writes."""
        folder.mkdir(parents=True, exist_ok=True)
        auth = _b64(f"{USER}:{password}")
        (folder / "config.json").write_text(json.dumps({"auths": {self.host: {"auth": auth}}}))
        return folder


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def real_registry(work: Path) -> Iterator[RealRegistry]:
    """Start distribution on a free loopback port with a temporary config and htpasswd file."""
    work.mkdir(parents=True, exist_ok=True)
    htpasswd = work / "htpasswd"
    subprocess.run(["htpasswd", "-Bbc", str(htpasswd), USER, PASSWORD], check=True, capture_output=True)
    port = free_port()
    config = work / "config.yml"
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "version": 0.1,
                "log": {"level": "error", "accesslog": {"disabled": True}},
                "storage": {"filesystem": {"rootdirectory": str(work / "storage")}},
                "http": {"addr": f"127.0.0.1:{port}", "secret": "test-only"},
                "auth": {"htpasswd": {"realm": "bumper-test", "path": str(htpasswd)}},
            }
        )
    )
    log = (work / "registry.log").open("wb")
    proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=log)  # noqa: S607
    try:
        _wait_ready(f"http://127.0.0.1:{port}/v2/", proc)
        yield RealRegistry(f"127.0.0.1:{port}", work)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - loopback
            return
        except urllib.error.HTTPError:
            return  # 401: it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("docker-registry did not start within 20 s")
