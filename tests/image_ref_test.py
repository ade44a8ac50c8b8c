"""Table-driven and property tests for bumper.image_ref (the Docker distribution grammar)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bumper.errors import ExitCode, RefParseError
from bumper.image_ref import ImageRef, repository_key, split_name

SHA = "0123456789abcdef" * 4  # 64 lowercase hex
SHA512 = "89abcdef" * 16  # 128 hex
D = f"sha256:{SHA}"

# text, registry, repository, tag, digest
VALID = [
    # Docker Hub short names and their normalization
    ("nginx", "docker.io", "library/nginx", None, None),
    ("nginx:1.25", "docker.io", "library/nginx", "1.25", None),
    ("nginx:latest", "docker.io", "library/nginx", "latest", None),
    ("library/nginx:1.27.1", "docker.io", "library/nginx", "1.27.1", None),
    ("docker.io/nginx:1.27.1", "docker.io", "library/nginx", "1.27.1", None),
    ("docker.io/library/nginx:1.27.1", "docker.io", "library/nginx", "1.27.1", None),
    ("index.docker.io/nginx", "docker.io", "library/nginx", None, None),
    ("index.docker.io/library/nginx:1", "docker.io", "library/nginx", "1", None),
    ("bitnami/redis:7.2.4-debian-12-r9", "docker.io", "bitnami/redis", "7.2.4-debian-12-r9", None),
    ("docker.io/bitnami/redis", "docker.io", "bitnami/redis", None, None),
    ("nginxinc/nginx-unprivileged:1.25", "docker.io", "nginxinc/nginx-unprivileged", "1.25", None),
    ("nginx-unprivileged", "docker.io", "library/nginx-unprivileged", None, None),
    # a dotless, lowercase first component is a path, not a host
    ("registry/app:1", "docker.io", "registry/app", "1", None),
    ("localhost", "docker.io", "library/localhost", None, None),
    ("localhost:v1", "docker.io", "library/localhost", "v1", None),
    # `registry` is the Hub's own image (distribution): `registry:5000` is its tag 5000, as Docker reads it
    ("registry:5000", "docker.io", "library/registry", "5000", None),
    # registries: dotted host, port, localhost, IPv4, bracketed IPv6
    ("ghcr.io/acme/app:v1.2.3", "ghcr.io", "acme/app", "v1.2.3", None),
    ("mirror.gcr.io/library/nginx", "mirror.gcr.io", "library/nginx", None, None),
    (
        "us-central1-docker.pkg.dev/google-samples/microservices-demo/adservice:v0.10.6",
        "us-central1-docker.pkg.dev",
        "google-samples/microservices-demo/adservice",
        "v0.10.6",
        None,
    ),
    (
        "quay.io/prometheus/node-exporter:v1.8.1",
        "quay.io",
        "prometheus/node-exporter",
        "v1.8.1",
        None,
    ),
    ("registry.local:5000/team/api:2.0", "registry.local:5000", "team/api", "2.0", None),
    ("registry:5000/app", "registry:5000", "app", None, None),
    ("localhost/app", "localhost", "app", None, None),
    ("localhost:5000/app:1", "localhost:5000", "app", "1", None),
    ("192.168.1.10:5000/a/b:c", "192.168.1.10:5000", "a/b", "c", None),
    ("10.0.0.1/app", "10.0.0.1", "app", None, None),
    ("[::1]/app", "[::1]", "app", None, None),
    ("[::1]:5000/app:1", "[::1]:5000", "app", "1", None),
    ("[2001:db8::1]:443/team/app:v2", "[2001:db8::1]:443", "team/app", "v2", None),
    ("GHCR.io/acme/app:v1", "ghcr.io", "acme/app", "v1", None),
    ("Registry.Example.COM:8443/x", "registry.example.com:8443", "x", None, None),
    ("my-registry.example.com/a-b/c-d", "my-registry.example.com", "a-b/c-d", None, None),
    # path component separators
    ("ghcr.io/a.b/c_d/e__f/g-h/i--j/k---l", "ghcr.io", "a.b/c_d/e__f/g-h/i--j/k---l", None, None),
    ("example.com/0/1/2:3", "example.com", "0/1/2", "3", None),
    ("a", "docker.io", "library/a", None, None),
    # tags
    ("ghcr.io/acme/app:_x", "ghcr.io", "acme/app", "_x", None),
    ("ghcr.io/acme/app:V1.2.3-RC.1_build", "ghcr.io", "acme/app", "V1.2.3-RC.1_build", None),
    ("ghcr.io/acme/app:main-abc1234", "ghcr.io", "acme/app", "main-abc1234", None),
    ("ghcr.io/acme/app:" + "t" * 128, "ghcr.io", "acme/app", "t" * 128, None),
    # digests
    (f"ghcr.io/acme/app@{D}", "ghcr.io", "acme/app", None, D),
    (f"ghcr.io/acme/app:v1.2.3@{D}", "ghcr.io", "acme/app", "v1.2.3", D),
    (f"registry.local:5000/team/api:2.0@{D}", "registry.local:5000", "team/api", "2.0", D),
    (f"nginx@{D}", "docker.io", "library/nginx", None, D),
    (f"ghcr.io/acme/app@sha512:{SHA512}", "ghcr.io", "acme/app", None, f"sha512:{SHA512}"),
    # name length: 255 is the maximum
    ("example.com/" + "a" * 243, "example.com", "a" * 243, None, None),
]


@pytest.mark.parametrize(("text", "registry", "repository", "tag", "digest"), VALID, ids=repr)
def test_parse_valid(text: str, registry: str, repository: str, tag: str | None, digest: str | None) -> None:
    ref = ImageRef.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    assert ref.key == f"{registry}/{repository}"
    assert ref.name + ref.version == text
    assert str(ref) == text
    assert ImageRef.try_parse(text) == ref


def test_valid_table_is_big_enough() -> None:
    assert len(VALID) >= 40
    assert len(INVALID) >= 40


# text, a fragment the error message must contain (the bad part)
INVALID = [
    ("", "empty"),
    (" nginx", "spaces"),
    ("nginx ", "spaces"),
    ("nginx\n", "spaces"),
    ("NGINX", "'NGINX'"),
    ("ghcr.io/Acme/app", "'Acme/app'"),
    ("ghcr.io/acme/App:1", "'acme/App'"),
    ("a..b", "'a..b'"),
    ("a___b", "'a___b'"),
    ("a.-b", "'a.-b'"),
    ("a_.b", "'a_.b'"),
    ("-a", "'-a'"),
    ("a-", "'a-'"),
    ("_a", "'_a'"),
    ("a/", "'a/'"),
    ("/a", "'/a'"),
    ("a//b", "'a//b'"),
    ("ghcr.io/", "''"),
    ("ghcr.io/acme/app/", "'acme/app/'"),
    ("a b", "'a b'"),
    ("a:b:c", "'a:b'"),
    ("ghcr.io/ac$me/app", "'ac$me/app'"),
    # registry hosts
    ("-host.com/a", "bad registry host '-host.com'"),
    ("host-.com/a", "bad registry host 'host-.com'"),
    ("ex_ample.com/a", "bad registry host 'ex_ample.com'"),
    ("host.com:abc/a", "bad registry host 'host.com:abc'"),
    ("host.com:/a", "bad registry host 'host.com:'"),
    (":5000/a", "bad registry host ':5000'"),
    ("a..com/x", "bad registry host 'a..com'"),
    ("[fe80::1%eth0]/a", "bad registry host '[fe80::1%eth0]'"),
    ("[::1/a", "bad registry host '[::1'"),
    # a host with a port and no image (`--registry=localhost:5000`): no Hub image has a `.` or
    # is named localhost, so digits after one are a port, not a tag
    ("localhost:5000", "'localhost' is a registry host, so '5000' is its port"),
    ("gcr.io:5432", "'gcr.io' is a registry host, so '5432' is its port, not a tag"),
    ("10.0.0.1:5000", "name the image on it (10.0.0.1:5000/NAME:TAG)"),
    # tags
    ("nginx:", "bad tag ''"),
    ("nginx:.1", "bad tag '.1'"),
    ("nginx:-1", "bad tag '-1'"),
    ("nginx:1+2", "bad tag '1+2'"),
    ("ghcr.io/acme/app:v1/2", "'acme/app:v1/2'"),
    ("ghcr.io/acme/app:" + "t" * 129, "bad tag"),
    # digests
    ("nginx@", "bad digest ''"),
    ("nginx:1@", "bad digest ''"),
    ("nginx@sha256", "bad digest 'sha256'"),
    ("nginx@sha256:", "bad digest 'sha256:'"),
    ("nginx@sha256:xyz" + SHA[3:], "bad digest"),
    (f"nginx@sha256:{SHA[:63]}", "64 lowercase hex"),
    (f"nginx@sha256:{SHA}0", "64 lowercase hex"),
    (f"nginx@sha256:{SHA.upper()}", "64 lowercase hex"),
    ("nginx@md5:" + "a" * 31, "bad digest 'md5:"),
    # only what OCI registries resolve is a digest (issue 9)
    ("ghcr.io/acme/app@multihash+base58:" + "ABCDEF0123456789" * 2, "sha256:<64 hex> or sha512:<128 hex>"),
    (f"nginx@sha384:{SHA512[:96]}", "bad digest 'sha384:"),
    (f"nginx@sha512:{SHA512[:127]}", "bad digest 'sha512:"),
    (f"nginx@sha512:{SHA512.upper()}", "bad digest 'sha512:"),
    (f"nginx@1sha:{SHA}", "bad digest '1sha:"),
    (f"nginx@sha256:{SHA}@x", "bad digest"),
    # name length
    ("example.com/" + "a" * 244, "longer than 255"),
    ("a" * 256, "longer than 255"),
]


@pytest.mark.parametrize(("text", "fragment"), INVALID, ids=repr)
def test_parse_invalid(text: str, fragment: str) -> None:
    with pytest.raises(RefParseError) as info:
        ImageRef.parse(text)
    assert fragment in str(info.value)
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert ImageRef.try_parse(text) is None


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("nginx", "docker.io/library/nginx"),
        ("library/nginx", "docker.io/library/nginx"),
        ("docker.io/library/nginx", "docker.io/library/nginx"),
        ("index.docker.io/library/nginx", "docker.io/library/nginx"),
        ("mirror.gcr.io/library/nginx", "mirror.gcr.io/library/nginx"),
        ("nginx-unprivileged", "docker.io/library/nginx-unprivileged"),
        ("ghcr.io/acme/app", "ghcr.io/acme/app"),
        ("nginx:1.25", None),
        ("Nginx", None),
        ("", None),
    ],
)
def test_repository_key(name: str, key: str | None) -> None:
    assert repository_key(name) == key


def test_split_name_names_the_whole_reference_in_errors() -> None:
    with pytest.raises(RefParseError, match="'ghcr.io/Acme:1'"):
        split_name("ghcr.io/Acme", "ghcr.io/Acme:1")


@pytest.mark.parametrize(
    ("text", "needle", "slug"),
    [
        ("nginx:1.25", b"nginx", "docker.io-library-nginx"),
        ("docker.io/library/nginx:1", b"nginx", "docker.io-library-nginx"),
        ("bitnami/redis", b"bitnami/redis", "docker.io-bitnami-redis"),
        ("ghcr.io/acme/app:v1", b"acme/app", "ghcr.io-acme-app"),
        ("localhost:5000/team/api", b"team/api", "localhost-5000-team-api"),
    ],
)
def test_needle_and_slug(text: str, needle: bytes, slug: str) -> None:
    ref = ImageRef.parse(text)
    assert ref.needle() == needle
    assert ref.slug() == slug


def test_every_spelling_contains_the_needle() -> None:
    needle = ImageRef.parse("docker.io/library/nginx:1.27.1").needle()
    for spelling in ("nginx", "library/nginx", "docker.io/library/nginx", "index.docker.io/nginx"):
        assert needle in spelling.encode()


# Divergences from the Docker distribution grammar found while writing these tests, now fixed.
@pytest.mark.parametrize("text", ["[.]/a", "[1.2.3.4]/a", "[...]:5000/a"])
def test_bracketed_host_must_be_ipv6(text: str) -> None:
    with pytest.raises(RefParseError, match="bad registry host"):
        ImageRef.parse(text)


def test_longest_valid_reference_parses() -> None:
    text = "example.com/" + "a" * 243 + ":" + "t" * 128 + "@sha512:" + SHA512
    assert str(ImageRef.parse(text)) == text


def test_key_of_uppercase_dotless_host_reparses_to_itself() -> None:
    ref = ImageRef.parse("Foo/bar:1")
    assert ImageRef.parse(ref.key).key == ref.key


# --- properties -----------------------------------------------------------------------------

_alnum = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
_separator = st.sampled_from([".", "_", "__", "-", "--"])


@st.composite
def _component(draw: st.DrawFn) -> str:
    parts = [draw(_alnum)]
    for _ in range(draw(st.integers(0, 2))):
        parts += [draw(_separator), draw(_alnum)]
    return "".join(parts)


_path = st.lists(_component(), min_size=1, max_size=4).map("/".join)
_label = st.from_regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?", fullmatch=True)
_port = st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))
_host = st.one_of(
    st.lists(_label, min_size=2, max_size=4).map(".".join),  # has a dot
    st.just("localhost"),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
    st.from_regex(r"\[[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}\]", fullmatch=True),
)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_digest = st.one_of(
    st.from_regex(r"[0-9a-f]{64}", fullmatch=True).map(lambda h: f"sha256:{h}"),
    st.from_regex(r"[0-9a-f]{128}", fullmatch=True).map(lambda h: f"sha512:{h}"),
)


@st.composite
def references(draw: st.DrawFn) -> tuple[str, str, str, str | None, str | None]:
    """A valid reference and its expected (registry, repository, tag, digest)."""
    path = draw(_path)
    host = draw(st.one_of(st.none(), st.tuples(_host, _port).map("".join)))
    hub_alias = draw(st.sampled_from([None, "docker.io", "index.docker.io"]))
    if host is None and hub_alias is not None:
        host = hub_alias
    if host is None:
        # a first component with a dot would be read as a registry host (as Docker does; alone,
        # with digits for its tag, as HOST:PORT), and no Hub image is named so
        first, slash, rest = path.partition("/")
        path = first.replace(".", "-") + slash + rest
    if host is None or host in ("docker.io", "index.docker.io"):
        registry = "docker.io"
        repository = path if "/" in path else f"library/{path}"
    else:
        registry = host.lower()
        repository = path
    name = f"{host}/{path}" if host is not None else path
    tag = draw(st.one_of(st.none(), _tag))
    digest = draw(st.one_of(st.none(), _digest))
    if tag is None and digest is None and draw(st.booleans()):
        tag = "latest"
    text = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    return text, registry, repository, tag, digest


# The suite shares the machine with other runs: slow generation of 128-hex digests under load
# is not a failure of the parser.
_LOADED_MACHINE = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


@_LOADED_MACHINE
@given(references())
def test_parse_round_trips(case: tuple[str, str, str, str | None, str | None]) -> None:
    text, registry, repository, tag, digest = case
    ref = ImageRef.parse(text)
    assert str(ref) == text
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    assert ImageRef.parse(str(ref)) == ref


@_LOADED_MACHINE
@given(references())
def test_parse_is_idempotent_on_key(case: tuple[str, str, str, str | None, str | None]) -> None:
    ref = ImageRef.parse(case[0])
    again = ImageRef.parse(ref.key)
    assert again.key == ref.key
    assert repository_key(ref.key) == ref.key
    assert again.tag is None and again.digest is None


@_LOADED_MACHINE
@given(references(), _tag)
def test_retagging_keeps_the_key(case: tuple[str, str, str, str | None, str | None], tag: str) -> None:
    ref = ImageRef.parse(case[0])
    retagged = ImageRef.parse(f"{ref.name}:{tag}")
    assert retagged.key == ref.key
    assert retagged.tag == tag


@_LOADED_MACHINE
@given(st.text(max_size=40))
def test_try_parse_never_raises(text: str) -> None:
    ref = ImageRef.try_parse(text)
    if ref is not None:
        assert str(ref) == text
