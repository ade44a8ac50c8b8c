"""`bumper history` as an exact audit log: any message bytes, shallow clones, renamed files and a
tag or digest in IMAGE, each run end to end on a git repository the test builds."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testing import forkserver, repos

IMAGE = "ghcr.io/acme/app"
DIGEST = "sha256:" + "ab" * 32
AUTHOR = b"Jane Doe <jane@example.org>"
_WHEN = 1_700_000_000


def deployment(tag: str) -> bytes:
    return f"apiVersion: apps/v1\nkind: Deployment\nspec:\n  image: {IMAGE}:{tag}\n".encode()


class Repo:
    """A bare repository whose commits take any message bytes (written with git fast-import)."""

    def __init__(self, path: Path) -> None:
        self.path = repos.init_bare(path)
        self.count = 0

    def commit(
        self,
        files: Mapping[str, bytes | None],
        message: bytes,
        *,
        tz: str = "+0000",
        author: bytes = AUTHOR,
        branch: str = "main",
        merge: str | None = None,
    ) -> str:
        """A commit on `branch` (made from main's tip when it is new); `merge`: a merge of that
        commit, whose tree is the branch's with `files` written over it."""
        self.count += 1
        ident = author + b" %d %s" % (_WHEN + 3600 * self.count, tz.encode())
        out = [b"commit refs/heads/%s\n" % branch.encode(), b"author " + ident + b"\n"]
        out += [b"committer " + ident + b"\n", b"data %d\n" % len(message) + message + b"\n"]
        tip = repos.branch_sha(self.path, branch) or repos.branch_sha(self.path, "main")
        if tip:
            out.append(b"from " + tip.encode() + b"\n")
        if merge:
            out.append(b"merge " + merge.encode() + b"\n")
        for name, data in files.items():
            if data is None:
                out.append(b"D " + _quoted(name) + b"\n")
            else:
                out.append(b"M 100644 inline " + _quoted(name) + b"\ndata %d\n" % len(data) + data + b"\n")
        repos.git("fast-import", "--quiet", "--force", cwd=self.path, input=b"".join(out))
        sha = repos.branch_sha(self.path, branch)
        assert sha is not None
        return sha


def _quoted(name: str) -> bytes:
    """A path as fast-import reads it: C-style quoted when it holds a newline, quote or backslash."""
    raw = name.encode("utf-8", "surrogateescape")
    if not any(c in raw for c in b'\n"\\'):
        return raw
    return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n") + b'"'


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BUMPER_", "GIT_"))}
    return dict(base, NO_COLOR="1", **extra)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return forkserver.run(["history", *args], env=env())


def history(target: Path | str, *args: str, image: str = IMAGE) -> dict:  # type: ignore[type-arg]
    flag = "--repo" if isinstance(target, str) else "--dir"
    proc = run(image, flag, str(target), "--output", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def summary(entries: list[dict]) -> list[tuple[str, list[tuple[str, str | None, str | None]]]]:  # type: ignore[type-arg]
    return [(e["commit"], [(c["file"], c["old"], c["new"]) for c in e["changes"]]) for e in entries]


def ref(tag: str) -> str:
    return f"{IMAGE}:{tag}"


# -- any byte but NUL in a message --------------------------------------------------------------


@pytest.mark.parametrize("byte", [b"\x1e", b"\x1f", b"\x1e\x1f", b"\xff", b"\r"])
def test_a_message_with_separator_bytes_is_listed_exactly(tmp_path: Path, byte: bytes) -> None:
    repo = Repo(tmp_path / "r.git")
    first = repo.commit({"app.yaml": deployment("v1")}, b"add app")
    second = repo.commit({"app.yaml": deployment("v2")}, b"bump" + byte + b"app\n\nbody" + byte + b"\n")
    third = repo.commit({"app.yaml": deployment("v3")}, byte + b"\n" + byte)

    entries = history(repo.path)["history"]

    assert summary(entries) == [
        (third, [("app.yaml", ref("v2"), ref("v3"))]),
        (second, [("app.yaml", ref("v1"), ref("v2"))]),
        (first, [("app.yaml", None, ref("v1"))]),
    ]
    assert entries[1]["subject"] == ("bump" + byte.decode("utf-8", "replace") + "app").removesuffix("\r")
    assert entries[1]["author"] == AUTHOR.decode()


def test_an_encoding_header_a_signature_and_a_nul_are_read_from_the_commit_object(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r.git")
    first = repo.commit({"app.yaml": deployment("v1")}, b"add")
    repo.commit({"app.yaml": deployment("v2")}, b"placeholder")
    tree = repos.git("rev-parse", "main^{tree}", cwd=repo.path).decode().strip()
    signature = b"gpgsig -----BEGIN PGP SIGNATURE-----\n \n Zm9v\x1e\x1f\n -----END PGP SIGNATURE-----\n"
    raw = b"tree %s\nparent %s\n" % (tree.encode(), first.encode())
    raw += b"author Jos\xe9 <jose@example.org> 1700000000 +0100\n"
    raw += b"committer Jos\xe9 <jose@example.org> 1700000000 +0100\nencoding ISO-8859-1\n" + signature
    raw += b"\nCaf\xe9 \x1e bump (#5)\n\nBumper-Build: https://ci.example/run/5\n"
    sha = repos.git("hash-object", "-t", "commit", "-w", "--stdin", cwd=repo.path, input=raw).decode().strip()
    repos.git("update-ref", "refs/heads/main", sha, cwd=repo.path)

    # `git commit` refuses a NUL in a message, `git hash-object` does not: it is content too
    blob = repos.git("hash-object", "-w", "--stdin", cwd=repo.path, input=deployment("v3")).decode().strip()
    listing = f"100644 blob {blob}\tapp.yaml\n".encode()
    tree = repos.git("mktree", cwd=repo.path, input=listing).decode().strip()
    raw = b"tree %s\nparent %s\n" % (tree.encode(), sha.encode())
    raw += b"author A <a@x> 1700000000 +0000\ncommitter A <a@x> 1700000000 +0000\nencoding base64\n"
    raw += b"\nnul\0here (#6)\n"  # and an encoding that is no text encoding: read as UTF-8
    nul = repos.git("hash-object", "-t", "commit", "-w", "--stdin", cwd=repo.path, input=raw).decode().strip()
    repos.git("update-ref", "refs/heads/main", nul, cwd=repo.path)

    newest, signed = history(repo.path)["history"][:2]

    assert signed["commit"] == sha and signed["date"] == "2023-11-14T23:13:20+01:00"
    assert (signed["author"], signed["subject"]) == ("José <jose@example.org>", "Café \x1e bump (#5)")
    assert (signed["pull_request"], signed["build"]) == ("#5", "https://ci.example/run/5")
    assert (newest["commit"], newest["subject"], newest["pull_request"]) == (nul, "nul\0here (#6)", "#6")


def test_text_output_shows_control_bytes_and_non_utf8_names_escaped(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r.git")
    name = "apps/\x1b[2Jcaf\udce9\n.yaml"  # a screen-clearing escape, a Latin-1 byte, a newline
    sha = repo.commit({name: deployment("v1")}, b"add", author=b"Eve \x1b]0;owned\x07 <eve@x>")

    proc = run(IMAGE, "--dir", str(repo.path), "-v")

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        f"2023-11-14 {sha[:12]} Eve \\x1b]0;owned\\x07 <eve@x>: "
        f"apps/\\x1b[2Jcaf\\xe9\\x0a.yaml: (none) -> {ref('v1')}\n"
    )
    assert "bumper: followed apps/\\x1b[2Jcaf\\xe9\\x0a.yaml\n" in proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr
    assert history(repo.path)["history"][0]["changes"][0]["file"] == name


# Lines that look like git's own output, like trailers, like pull-request subjects, or like a
# reference of the image: none of them may add, hide or shift anything.
TRICKY = [
    b"\x1e",
    b"\x1f",
    b"\r\n",
    b"\n",
    b"\r",
    b"\n\n",
    b"\xff\xfe",
    b"\xc3",
    b"\xed\xa0\x80",
    b"Bumper-Build: https://ci.example/run/7\n",
    b"Bumper-Build: https://ci.example/run/8\r\n",
    b"Bumper-Image: ghcr.io/acme/app:v0 -> ghcr.io/acme/app:v9\n",
    b"Merge pull request #9 from acme/x\n",
    b"See merge request acme/m!4\n",
    b" (#12)",
    b"commit " + b"0" * 40 + b"\n",
    b":100644 100644 " + b"1" * 40 + b" " + b"2" * 40 + b" M\tapp.yaml\n",
    b"\x1e" + b"3" * 40 + b"\x1f\x1f2026-01-01T00:00:00+00:00\x1fX <x@y>\x1f",
    b"\ntree " + b"4" * 40 + b"\nparent " + b"5" * 40 + b"\n",
    b"image: ghcr.io/acme/app:v6.6.6\n",
    b"author Eve <eve@x> 1 +0000\n",
]
MESSAGE = st.lists(
    st.one_of(st.binary(max_size=24).map(lambda b: b.replace(b"\0", b"")), st.sampled_from(TRICKY)),
    max_size=8,
).map(b"".join)
TZ = st.sampled_from(["+0000", "+0530", "-0800", "+1400"])
_BUILD = re.compile(r"^Bumper-Build: (https?://\S+)\s*$", re.MULTILINE)


def expected_fields(message: bytes) -> tuple[str, str | None, str | None]:
    """Subject, pull request and build as documented: the first line; `Merge pull request #N` or
    a trailing `(#N)` in it, or a `See merge request …!N` line; a `Bumper-Build:` line."""
    text = message.decode("utf-8", "replace")
    subject = text.split("\n", 1)[0].removesuffix("\r")
    pr = None
    if m := re.match(r"Merge pull request #(\d+) from ", subject):
        pr = "#" + m.group(1)
    elif m := re.search(r"\(#(\d+)\)\s*\Z", subject):
        pr = "#" + m.group(1)
    elif m := re.search(r"^See merge request (?:\S+)?!(\d+)\s*$", text, re.MULTILINE):
        pr = "!" + m.group(1)
    build = _BUILD.search(text)
    return subject, pr, build.group(1) if build else None


# An author name git itself would write back unchanged: no <, >, LF or NUL, no space at the ends.
NAME = st.lists(
    st.sampled_from([b"a", b"Z", b" ", b"\x1e", b"\x1f", b"\xff", b"\xc3\xa9", b"%an", b"\r"]), max_size=6
).map(lambda middle: b"N" + b"".join(middle) + b"N")
BUMP = st.tuples(MESSAGE, TZ, NAME, st.one_of(st.none(), MESSAGE))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bumps=st.lists(BUMP, min_size=1, max_size=4))
def test_fuzz_every_bump_commit_is_listed_with_its_fields(
    tmp_path_factory: pytest.TempPathFactory, bumps: list[tuple[bytes, str, bytes, bytes | None]]
) -> None:
    """Each bump, and after it maybe a commit that edits the file but not the reference (which
    must not be listed), with any message bytes and author name."""
    repo = Repo(tmp_path_factory.mktemp("fuzz") / "r.git")
    repo.commit({"other.yaml": b"a: 1\n"}, b"start")
    shas = []
    for n, (message, tz, name, noise) in enumerate(bumps, 1):
        shas.append(repo.commit({"app.yaml": deployment(f"v{n}")}, message, tz=tz, author=name + b" <n@x>"))
        if noise is not None:
            repo.commit({"app.yaml": deployment(f"v{n}") + b"# note\n"}, noise)

    entries = history(repo.path)["history"]

    olds = [None, *(ref(f"v{n}") for n in range(1, len(bumps)))]
    wanted = [(sha, [("app.yaml", old, ref(f"v{n}"))]) for n, (sha, old) in enumerate(zip(shas, olds), 1)]
    assert summary(entries) == wanted[::-1]
    for entry, sha, (message, *_) in zip(entries, shas[::-1], bumps[::-1]):
        git_says = repos.git("log", "-1", "--format=%cI%x00%an <%ae>", sha, cwd=repo.path)
        assert [entry["date"], entry["author"]] == git_says.decode("utf-8", "replace").strip().split("\0")
        assert (entry["subject"], entry["pull_request"], entry["build"]) == expected_fields(message)
        assert entry["merge_commit"] is None


# -- shallow clones -------------------------------------------------------------------------------


def three_bumps(tmp_path: Path) -> tuple[Repo, list[str]]:
    repo = Repo(tmp_path / "r.git")
    shas = [repo.commit({"app.yaml": deployment(f"v{n}")}, f"app v{n}".encode()) for n in (1, 2, 3)]
    return repo, shas


def test_a_shallow_clone_says_so_and_never_reports_its_boundary_as_an_addition(tmp_path: Path) -> None:
    repo, shas = three_bumps(tmp_path)
    clone = tmp_path / "ci-checkout"
    repos.git("clone", "--quiet", "--depth", "2", f"file://{repo.path}", clone)

    proc = run(IMAGE, "--dir", str(clone))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [proc.stdout.splitlines()[0]]
    assert f"app.yaml: {ref('v2')} -> {ref('v3')}" in proc.stdout and shas[2][:12] in proc.stdout
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "shallow" in warnings[0] and shas[1][:12] in warnings[0], proc.stderr
    assert "git fetch --unshallow" in warnings[0]

    data = history(clone)
    assert data["shallow"] is True
    assert summary(data["history"]) == [(shas[2], [("app.yaml", ref("v2"), ref("v3"))])]
    assert history(repo.path)["shallow"] is False


def test_a_depth_one_clone_lists_nothing_rather_than_an_invented_addition(tmp_path: Path) -> None:
    repo, _ = three_bumps(tmp_path)
    clone = tmp_path / "ci-checkout"
    repos.git("clone", "--quiet", "--depth", "1", f"file://{repo.path}", clone)
    data = history(clone)
    assert (data["shallow"], data["history"]) == (True, [])


def test_repo_clones_the_whole_history(tmp_path: Path) -> None:
    repo, shas = three_bumps(tmp_path)
    full = history(f"file://{repo.path}")
    assert full["shallow"] is False and [e["commit"] for e in full["history"]] == shas[::-1]
    assert full["history"][-1]["changes"] == [{"file": "app.yaml", "old": None, "new": ref("v1")}]


# -- renamed files --------------------------------------------------------------------------------


def test_a_renamed_manifest_keeps_its_earlier_bumps(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r.git")
    add = repo.commit({"app.yaml": deployment("v1")}, b"add")
    bump = repo.commit({"app.yaml": deployment("v2")}, b"bump v2")
    repo.commit({"app.yaml": None, "apps/web/deploy.yaml": deployment("v2")}, b"git mv")
    moved_and_bumped = repo.commit(
        {"apps/web/deploy.yaml": None, "clusters/prod/web.yaml": deployment("v3") + b"# prod\n"},
        b"move to prod, v3",
    )
    last = repo.commit({"clusters/prod/web.yaml": deployment("v4") + b"# prod\n"}, b"bump v4")

    proc = run(IMAGE, "--dir", str(repo.path), "--output", "json", "-v")
    assert proc.returncode == 0, proc.stderr
    assert summary(json.loads(proc.stdout)["history"]) == [
        (last, [("clusters/prod/web.yaml", ref("v3"), ref("v4"))]),
        (moved_and_bumped, [("clusters/prod/web.yaml", ref("v2"), ref("v3"))]),
        (bump, [("app.yaml", ref("v1"), ref("v2"))]),
        (add, [("app.yaml", None, ref("v1"))]),
    ]
    assert "renamed from apps/web/deploy.yaml" in proc.stderr and "renamed from app.yaml" in proc.stderr
    # --repo: a blobless clone, whose rename detection fetches the blobs it compares
    remote = history(f"file://{repo.path}")["history"]
    assert summary(remote) == summary(json.loads(proc.stdout)["history"])


def test_a_rename_with_a_path_filter_follows_the_file_outside_the_filter(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r.git")
    add = repo.commit({"old/app.yaml": deployment("v1"), "other.yaml": deployment("v1")}, b"add")
    repo.commit({"old/app.yaml": None, "apps/app.yaml": deployment("v1")}, b"git mv")
    bump = repo.commit({"apps/app.yaml": deployment("v2")}, b"bump")
    entries = history(repo.path, "--path", "apps/**")["history"]
    assert summary(entries) == [
        (bump, [("apps/app.yaml", ref("v1"), ref("v2"))]),
        (add, [("old/app.yaml", None, ref("v1"))]),
    ]


def test_a_folder_moved_at_once_keeps_each_file_history_whatever_the_names(tmp_path: Path) -> None:
    odd = "we b\x1e\x1f\t:100644 é.yaml"
    repo = Repo(tmp_path / "r.git")
    add = repo.commit(
        {f"apps/{odd}": deployment("v1"), "apps/api.yaml": deployment("v1") + b"# api\n"}, b"add"
    )
    bump = repo.commit({f"apps/{odd}": deployment("v2")}, b"bump web")
    repo.commit(
        {
            f"apps/{odd}": None,
            "apps/api.yaml": None,
            f"svc/{odd}": deployment("v2"),
            "svc/api.yaml": deployment("v1") + b"# api\n",
        },
        b"git mv apps svc",
    )
    entries = history(repo.path)["history"]
    assert summary(entries) == [
        (bump, [(f"apps/{odd}", ref("v1"), ref("v2"))]),
        (add, [("apps/api.yaml", None, ref("v1")), (f"apps/{odd}", None, ref("v1"))]),
    ]


# -- IMAGE:TAG and IMAGE@DIGEST -----------------------------------------------------------------


def test_a_tag_in_image_lists_only_the_changes_to_or_from_it(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r.git")
    add = repo.commit({"a.yaml": deployment("v1"), "b.yaml": deployment("v1")}, b"add")
    to_v2 = repo.commit({"a.yaml": deployment("v2"), "b.yaml": deployment("v2")}, b"v2")
    repo.commit({"a.yaml": deployment("v3")}, b"a v3")
    pinned = f"v3@{DIGEST}"
    to_pinned = repo.commit({"b.yaml": deployment(pinned)}, b"b v3 pinned")

    data = history(repo.path, image=f"{IMAGE}:v2")
    assert summary(data["history"]) == [
        (to_pinned, [("b.yaml", ref("v2"), ref(pinned))]),
        (repo_sha(repo, "HEAD~1"), [("a.yaml", ref("v2"), ref("v3"))]),
        (to_v2, [("a.yaml", ref("v1"), ref("v2")), ("b.yaml", ref("v1"), ref("v2"))]),
    ]
    assert (data["image"], data["tag"], data["digest"]) == (IMAGE, "v2", None)
    assert summary(history(repo.path, image=f"{IMAGE}:v1")["history"])[-1][0] == add

    by_digest = history(repo.path, image=f"{IMAGE}@{DIGEST}")
    assert summary(by_digest["history"]) == [(to_pinned, [("b.yaml", ref("v2"), ref(pinned))])]
    assert by_digest["digest"] == DIGEST

    proc = run(f"{IMAGE}:v9", "--dir", str(repo.path))
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == f"bumper: 0 change(s) of {IMAGE}:v9 in 2 file(s)\n"


def repo_sha(repo: Repo, rev: str) -> str:
    return repos.git("rev-parse", rev, cwd=repo.path).decode().strip()


# -- merges ---------------------------------------------------------------------------------------


def test_a_reference_written_while_merging_is_the_merge_s_own_change(tmp_path: Path) -> None:
    """A merge is told as its branch's newest commit (where bumper's trailers are) only when it
    took the references that branch holds. One written while merging (a conflict resolved to a
    third tag, an edit before `git commit` of a `--no-commit` merge) is the merge's own: before,
    the change v2 -> v9 was listed as the branch commit's, which only ever wrote v3, under its
    author and subject (the person who merged was not named)."""
    repo = Repo(tmp_path / "r.git")
    first = repo.commit({"a.yaml": deployment("v1"), "b.yaml": deployment("v1")}, b"add")
    side = repo.commit({"a.yaml": deployment("v2")}, b"a v2", branch="one")
    clean = repo.commit({"a.yaml": deployment("v2")}, b"Merge pull request #5 from acme/one", merge=side)
    side = repo.commit({"a.yaml": deployment("v3")}, b"a v3", branch="two", author=b"Dev <dev@example.org>")
    merger = b"Mallory <m@example.org>"
    evil = repo.commit(
        {"a.yaml": deployment("v9"), "b.yaml": deployment("v2")},
        b"Merge pull request #6 from acme/two",
        merge=side,
        author=merger,
    )

    entries = history(repo.path)["history"]
    assert summary(entries) == [
        (evil, [("a.yaml", ref("v2"), ref("v9")), ("b.yaml", ref("v1"), ref("v2"))]),
        (repo_sha(repo, "one"), [("a.yaml", ref("v1"), ref("v2"))]),
        (first, [("a.yaml", None, ref("v1")), ("b.yaml", None, ref("v1"))]),
    ]
    assert (entries[0]["merge_commit"], entries[0]["author"]) == (evil, merger.decode())
    assert (entries[0]["subject"], entries[0]["pull_request"]) == (
        "Merge pull request #6 from acme/two",
        "#6",
    )
    assert (entries[1]["merge_commit"], entries[1]["subject"], entries[1]["pull_request"]) == (
        clean,
        "a v2",
        "#5",
    )
    remote = history(f"file://{repo.path}")["history"]  # a blobless clone: the sides' blobs fetched
    assert [(e["commit"], e["author"]) for e in remote] == [(e["commit"], e["author"]) for e in entries]


def _with_note(tag: str, note: str) -> bytes:
    return deployment(tag) + f"---\nkind: ConfigMap\ndata:\n  note: {note}\n".encode()


def test_a_merge_is_told_as_the_branch_commit_that_wrote_the_tag(tmp_path: Path) -> None:
    """The merged branch's newest commit touching the file only edited another line after the
    bump (and an octopus merge's other branch touched the file without the tag): before, the
    merge was told as that commit's, its author and subject; now as the commit that wrote v2."""
    repo = Repo(tmp_path / "r.git")
    repo.commit({"a.yaml": _with_note("v1", "a")}, b"add")
    bump = repo.commit(
        {"a.yaml": _with_note("v2", "a")}, b"bump app to v2", branch="one", author=b"Bot <b@x>"
    )
    repo.commit({"a.yaml": _with_note("v2", "b")}, b"note b", branch="one")
    tip = repo_sha(repo, "one")
    repo.commit({"a.yaml": _with_note("v2", "b")}, b"Merge pull request #5 from acme/one", merge=tip)
    main = repo_sha(repo, "main")
    bump3 = repo.commit(
        {"a.yaml": _with_note("v3", "b")}, b"bump app to v3", branch="two", author=b"Bot <b@x>"
    )
    other = repo.commit({"a.yaml": _with_note("v2", "c")}, b"note c", branch="three")
    data = _with_note("v3", "c")
    octopus = b"commit refs/heads/main\nauthor M <m@x> 1800000000 +0000\ncommitter M <m@x> 1800000000 +0000\n"
    octopus += b"data 5\nocto\nfrom %s\nmerge %s\nmerge %s\n" % (
        main.encode(),
        bump3.encode(),
        other.encode(),
    )
    octopus += b"M 100644 inline a.yaml\ndata %d\n" % len(data) + data + b"\n"
    repos.git("fast-import", "--quiet", "--force", cwd=repo.path, input=octopus)

    entries = history(repo.path)["history"]
    assert [(e["commit"], e["author"], e["subject"]) for e in entries[:2]] == [
        (bump3, "Bot <b@x>", "bump app to v3"),
        (bump, "Bot <b@x>", "bump app to v2"),
    ]
    assert entries[1]["pull_request"] == "#5"
    remote = history(f"file://{repo.path}")["history"]  # a blobless clone: the candidates' blobs fetched
    assert [e["commit"] for e in remote] == [e["commit"] for e in entries]


def test_a_file_writing_the_image_with_escaped_slashes_is_followed(tmp_path: Path) -> None:
    """A manifest a JSON encoder wrote (`"ghcr.io\\/acme\\/app:v1"`, PHP's json_encode): YAML reads
    the image there, so its changes are listed (before: the file was never followed, and an
    image referenced only there was exit 3)."""
    repo = Repo(tmp_path / "r.git")

    def pod(tag: str) -> bytes:
        return b'{"kind":"Pod","spec":{"containers":[{"image":"ghcr.io\\/acme\\/app:%s"}]}}\n' % tag.encode()

    add = repo.commit({"pod.yaml": pod("v1")}, b"add")
    bump = repo.commit({"pod.yaml": pod("v2")}, b"v2")
    assert summary(history(repo.path)["history"]) == [
        (bump, [("pod.yaml", ref("v1"), ref("v2"))]),
        (add, [("pod.yaml", None, ref("v1"))]),
    ]


# -- a Flux marker on a tag alone ----------------------------------------------------------------

FLUX_OBJECTS = b"""\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec: {image: ghcr.io/acme/app}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: app, namespace: flux-system}
spec: {imageRepositoryRef: {name: app}, policy: {semver: {range: ">=1.0.0"}}}
"""


def marked_values(tag: str, policy: str = "flux-system:app") -> bytes:
    return f'app:\n  image:\n    tag: {tag} # {{"$imagepolicy": "{policy}:tag"}}\n'.encode()


def test_a_tag_marked_by_a_flux_policy_watching_the_image_is_followed(tmp_path: Path) -> None:
    """bump moves a `tag:` whose `$imagepolicy` marker names a policy watching the image (the
    image is named only in the ImageRepository, another file); history said 'no file
    references' it (exit 3), so the audit log was silent about those bumps."""
    repo = Repo(tmp_path / "r.git")
    add = repo.commit({"flux/app.yaml": FLUX_OBJECTS, "apps/values.yaml": marked_values("v1")}, b"add")
    bump = repo.commit({"apps/values.yaml": marked_values("v2")}, b"bump v2")
    repo.commit({"apps/other.yaml": marked_values("v9", "flux-system:other")}, b"another policy's marker")

    found = history(repo.path, "--path", "apps")  # the Flux objects are read outside --path too
    assert summary(found["history"]) == [
        (bump, [("apps/values.yaml", ref("v1"), ref("v2"))]),
        (add, [("apps/values.yaml", None, ref("v1"))]),
    ]
    assert summary(history(repo.path, image=ref("v2"))["history"]) == [
        (bump, [("apps/values.yaml", ref("v1"), ref("v2"))])
    ]
