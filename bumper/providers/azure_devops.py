"""Azure Repos provider (Azure DevOps REST 7.1) over `requests`: Microsoft's `azure-devops` client
is a 5 MB generated package on the deprecated msrest, last released for API 7.1 in 2023."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from bumper.errors import ConfigError, ProviderError
from bumper.providers import answers, api, failures, host_rules, rest

API_VERSION = "7.1"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DUPLICATE = "TF401179"  # "An active pull request for the source and target branch already exists."
# The Git Repositories security namespace, and its bits a bot branch and its PR need:
# GenericContribute (push), CreateBranch and PullRequestContribute.
PAGE = 50  # PRs asked for per request ($top)
PULL_PAGES = 20  # pages of a branch's PRs read at most ($skip), 1,000 PRs
GIT_NAMESPACE = "2e9eb7ed-3c0a-47d4-87c1-0ffdd275fd87"
PUSH_AND_OPEN = 4 | 16 | 16384


# What its PR JSON holds; every answer about PRs is checked against it (answers.py).
PULLS = answers.PullShape(
    r"/_apis/git/repositories/[^/]+/pullrequests",
    "pullRequestId",
    "status",
    "sourceRefName",
    "targetRefName",
    page="value",
    fork="forkSource",
)


class AzureDevOpsProvider:
    """Opens and updates pull requests on Azure Repos (dev.azure.com, *.visualstudio.com, and
    Azure DevOps Server 2022.1 or later).

    Labels, reviewers and draft go with the create; auto-complete is one PATCH after it. Azure
    has no assignees: asked for, they are one warning. Cost: find 2 (the list cuts descriptions
    at 400 characters, so the PR is read by id); open 1 (+1 per reviewer named by name,
    +1 auto-complete); update 1.
    """

    name = "azure-devops"
    # "A description for a pull request must not be longer than 4000 characters"; titles 400.
    # .NET counts UTF-16 code units: an emoji is two.
    text_limits = api.TextLimits(title=400, body=4_000, utf16=True)

    def __init__(self, settings: api.ProviderSettings) -> None:
        where = settings.location or host_rules.azure_location(settings.repo_url, settings.api_url, {})
        if not settings.token:
            raise ConfigError(
                "no Azure DevOps token: set BUMPER_TOKEN or AZURE_DEVOPS_TOKEN (a personal access "
                "token), or SYSTEM_ACCESSTOKEN in Azure Pipelines"
            )
        self.collection = where.url.rstrip("/")
        self.project, self.repo_name = where.path.split("/")
        self._auth = host_rules.azure_auth(settings.token, settings.env)
        self._settings = settings
        self._repo = f"/{self.project}/_apis/git/repositories/{self.repo_name}"
        self._rest = rest.RestClient(self.collection, self._auth, settings, _reason, pulls=PULLS)
        self._errors = failures.ApiFailures(_STYLE, where.path, self.collection, settings).translating
        self._identities: rest.RestClient | None = None

    # -- Provider protocol ----------------------------------------------------------------------

    def find_pull_request(self, head_branch: str, base_branch: str) -> api.PullRequest | None:
        """The active PR from `head_branch` into `base_branch`, else one from it into another
        target (a person retargeted it), or None (a GET, and one more by id for the whole
        description)."""
        with self._errors(f"looking for the pull request from {head_branch!r}"):
            found = self._list(head_branch, None, "active")
            found = answers.ranked(
                PULLS, answers.from_head(PULLS, found, head_branch, base_branch), base_branch
            )
            if not found:
                return None
            full = self._call("GET", f"/pullrequests/{found[0]['pullRequestId']}")
        return replace(self._convert(full), also=answers.others(PULLS, found))

    def open_pull_request(self, spec: api.PullRequestSpec) -> api.PullRequest:
        """Create the PR with labels, reviewers and draft in one call, then set auto-complete.

        A 409 TF401179 (a retried create, a race) becomes an update of the active PR, adding
        the labels and reviewers it lacks.
        """
        warnings: list[str] = []
        if spec.assignees:
            warnings.append(
                f"Azure DevOps has no pull request assignees; not assigned: {', '.join(spec.assignees)}"
            )
        reviewers = self._reviewer_ids(spec.reviewers, warnings)
        data: dict[str, Any] = {
            "sourceRefName": f"refs/heads/{spec.head_branch}",
            "targetRefName": f"refs/heads/{spec.base_branch}",
            "title": spec.title,
            "description": spec.body,
            "isDraft": spec.draft,
        }
        if spec.labels:
            data["labels"] = [{"name": label} for label in spec.labels]
        if reviewers:
            data["reviewers"] = [{"id": rid} for rid in reviewers]
        created: dict[str, Any] | None = None
        with self._errors(f"opening a pull request from {spec.head_branch!r}"):
            try:
                created = self._call("POST", "/pullrequests", body=data)
            except rest.HttpError as exc:
                if exc.status == 400 and reviewers:  # an id the organization does not know
                    warnings.append(f"Azure DevOps refused the reviewers ({exc.reason}); not added")
                    del data["reviewers"]
                    reviewers = []
                    created = self._call("POST", "/pullrequests", body=data)
                elif exc.status != 409 or _DUPLICATE not in exc.reason:
                    raise
        if created is None:
            created = self._update_existing(spec, reviewers)
        if spec.automerge:
            self._autocomplete(created, warnings)
        return self._convert(created, tuple(warnings))

    def update_pull_request(self, pr: api.PullRequest, title: str, body: str) -> api.PullRequest:
        """Set title and description with one PATCH; draft, labels and reviewers stay."""
        with self._errors(f"updating pull request !{pr.number}"):
            updated = self._call(
                "PATCH", f"/pullrequests/{pr.number}", body={"title": title, "description": body}
            )
        return self._convert(updated)

    def closed_head_shas(self, head_branch: str, base_branch: str) -> list[str]:
        """The last source commits of the completed and abandoned PRs from `head_branch` into any
        target (one GET per 50 of the branch's PRs, at most PULL_PAGES)."""
        with self._errors(f"looking for closed pull requests from {head_branch!r}"):
            found = self._list(head_branch, None, "all")
        return [
            str((pr.get("lastMergeSourceCommit") or {}).get("commitId") or "")
            for pr in found
            if pr.get("status") in ("completed", "abandoned")
        ]

    def pull_request_state(self, number: int) -> api.PullRequestState:
        """One GET of the PR: active, completed (merged: `lastMergeCommit`) or abandoned."""
        with self._errors(f"reading pull request !{number}"):
            pr = self._call("GET", f"/pullrequests/{number}") or {}
        status = str(pr.get("status") or "")
        base = str(pr.get("targetRefName") or "").removeprefix("refs/heads/")
        if status == "completed":
            sha = (pr.get("lastMergeCommit") or {}).get("commitId")
            return api.PullRequestState("merged", str(sha) if sha else None, base)
        return api.PullRequestState("closed" if status == "abandoned" else "open", None, base)

    def comment_once(self, pr: api.PullRequest, key: str, text: str) -> bool:
        """GET the PR's threads, POST a thread with `text` unless a comment holds `key`."""
        path = f"/pullRequests/{pr.number}/threads"
        with self._errors(f"commenting on pull request !{pr.number}"):
            threads = self._call("GET", path)
            for thread in (threads or {}).get("value") or []:
                if any(key in str(c.get("content") or "") for c in thread.get("comments") or []):
                    return False
            comment = {"parentCommentId": 0, "content": text, "commentType": "text"}
            self._call("POST", path, body={"comments": [comment], "status": "active"})
        return True

    def put_comment(self, pr: api.PullRequest, key: str, text: str, keep: api.KeepNote | None = None) -> bool:
        """GET the PR's threads, then one PATCH of bumper's note (the first comment of its
        thread) when it says something else, or one POST of a thread when there is none
        (api.KeepsOneComment)."""
        path = f"/pullRequests/{pr.number}/threads"
        with self._errors(f"commenting on pull request !{pr.number}"):
            threads = self._call("GET", path)
            notes = [
                (int(thread["id"]), int(c["id"]), str(c.get("content") or ""))
                for thread in (threads or {}).get("value") or []
                for c in thread.get("comments") or []
                if not c.get("isDeleted") and api.is_note(str(c.get("content") or ""), key)
            ]
            comment = {"parentCommentId": 0, "content": text, "commentType": "text"}
            return api.put_note(
                notes[-1][2] if notes else None,
                text,
                keep,
                edit=lambda: self._call(
                    "PATCH", f"{path}/{notes[-1][0]}/comments/{notes[-1][1]}", body={"content": text}
                ),
                add=lambda: self._call("POST", path, body={"comments": [comment], "status": "active"}),
                refused=rest.status_of,
            )

    # -- ChecksAccess ---------------------------------------------------------------------------

    def check_access(self) -> None:
        """Two GETs: the repository (its id and its project's), then Permissions - Has
        Permissions for the token's identity on `repoV2/PROJECT/REPO` in the Git Repositories
        namespace: Contribute, Create branch and Contribute to pull requests (`{"count": 1,
        "value": [false]}`, or the bare list the spec names). `false` fails; a
        refusal to answer (a 4xx: a token whose scopes do not let it ask) says nothing and
        passes; a host that fails to answer (5xx after the retries, no answer, not the API's)
        fails the run before anything is pushed."""
        with self._errors("checking what the token may do"):
            repo = self._call("GET", "") or {}
        project = (repo.get("project") or {}).get("id") if isinstance(repo, dict) else None
        if not (isinstance(repo, dict) and repo.get("id") and project):
            return
        path = f"/_apis/permissions/{GIT_NAMESPACE}/{PUSH_AND_OPEN}"
        params = {"tokens": f"repoV2/{project}/{repo['id']}", "alwaysAllowAdministrators": "true"}
        with self._errors("asking what the token may do"):
            try:
                answer = self._rest.request("GET", path, params={**params, "api-version": API_VERSION})
            except rest.HttpError as exc:
                if 400 <= exc.status < 500 and exc.status != 429:  # refused to say (401/403, 404, 400)
                    return
                raise  # a host failing (5xx, after retries) has not said the token may: nothing pushed
        if isinstance(answer, dict):  # `{count, value}`: how Azure DevOps answers every list
            answer = answer.get("value")
        if isinstance(answer, list) and False in answer:
            raise ProviderError(
                f"Azure DevOps API ({self.project}/{self.repo_name}): the token's identity may not "
                "contribute to the repository, create a branch or contribute to pull requests, so "
                "it can neither push a branch nor open a pull request; give it Contribute, Create "
                "branch and Contribute to pull requests (Project settings > Repositories > Security)",
                kind="auth",
            )

    # -- helpers --------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, params: dict[str, str] | None = None, body: Any = None) -> Any:
        query = {**(params or {}), "api-version": API_VERSION}
        return self._rest.request(method, self._repo + path, params=query, body=body)

    def _list(self, head: str, base: str | None, status: str) -> list[dict[str, Any]]:
        """The PRs in `status` from this repository's `head` into `base` (None: any target)."""
        params = {"searchCriteria.sourceRefName": f"refs/heads/{head}", "searchCriteria.status": status}
        if base is not None:
            params["searchCriteria.targetRefName"] = f"refs/heads/{base}"
        found: list[dict[str, Any]] = []
        for page in range(PULL_PAGES):  # every page: the API documents no order of the list
            batch = answers.items(PULLS, self._call("GET", "/pullrequests", params={**params, **_page(page)}))
            found += batch
            if len(batch) < PAGE:
                break
        if base is None:
            return answers.from_head(PULLS, found, head, "")
        return answers.from_branches(PULLS, found, head, base)

    def _update_existing(self, spec: api.PullRequestSpec, reviewers: list[str]) -> dict[str, Any]:
        """The active PR gets the title, description, and the labels and reviewers it lacks."""
        with self._errors(f"looking for the pull request from {spec.head_branch!r}"):
            found = self._list(spec.head_branch, spec.base_branch, "active")
        if not found:
            raise failures.vanished_duplicate("Azure DevOps", "pull request", spec.head_branch)
        number = int(found[0]["pullRequestId"])
        have_labels = {str(t.get("name") or "").lower() for t in found[0].get("labels") or []}
        have_reviewers = {str(r.get("id") or "").lower() for r in found[0].get("reviewers") or []}
        with self._errors(f"updating pull request !{number}"):
            for label in spec.labels:
                if label.lower() not in have_labels:
                    self._call("POST", f"/pullRequests/{number}/labels", body={"name": label})
            for rid in reviewers:
                if rid.lower() not in have_reviewers:
                    self._call("PUT", f"/pullRequests/{number}/reviewers/{rid}", body={"vote": 0})
            body = {"title": spec.title, "description": spec.body}
            updated: dict[str, Any] = self._call("PATCH", f"/pullrequests/{number}", body=body)
        return updated

    def _autocomplete(self, pr: dict[str, Any], warnings: list[str]) -> None:
        """Complete the PR once its policies pass, as the token's identity (the PR's creator);
        a refusal (a draft, a policy) is a warning, the PR stands."""
        creator = (pr.get("createdBy") or {}).get("id")
        number = int(pr["pullRequestId"])
        data = {"autoCompleteSetBy": {"id": creator}, "completionOptions": {"deleteSourceBranch": True}}
        with failures.warn_instead(warnings, " (auto-complete not set)", fatal=failures.AUTH_OR_RATE):
            with self._errors(f"setting auto-complete on pull request !{number}"):
                updated = self._call("PATCH", f"/pullrequests/{number}", body=data)
            pr.update(updated or {})

    def _reviewer_ids(self, names: tuple[str, ...], warnings: list[str]) -> list[str]:
        """Reviewer identity ids: a GUID as given, a name or email looked up in the
        organization's identities (one GET each); an unknown one is a warning."""
        ids: list[str] = []
        for name in (n.lstrip("@") for n in names):
            rid = name if _GUID.match(name) else self._identity(name)
            if rid is None:
                warnings.append(f"Azure DevOps has no identity {name!r}; not added as reviewer")
            elif rid not in ids:
                ids.append(rid)
        return ids

    def _identity(self, name: str) -> str | None:
        if self._identities is None:
            self._identities = rest.RestClient(
                _identities_url(self.collection), self._auth, self._settings, _reason
            )
        params = {
            "searchFilter": "General",
            "filterValue": name,
            "queryMembership": "None",
            "api-version": API_VERSION,
        }
        with self._errors(f"looking up reviewer {name!r}"):
            data = self._identities.request("GET", "/_apis/identities", params=params)
            found = [
                row for row in (data or {}).get("value") or [] if isinstance(row, dict) and row.get("id")
            ]
        return str(found[0]["id"]) if len(found) == 1 else None

    def _convert(self, data: dict[str, Any], warnings: tuple[str, ...] = ()) -> api.PullRequest:
        number = int(data["pullRequestId"])
        return api.PullRequest(
            number=number,
            url=f"{self.collection}/{self.project}/_git/{self.repo_name}/pullrequest/{number}",
            title=str(data.get("title") or ""),
            body=str(data.get("description") or ""),
            head_branch=str(data.get("sourceRefName") or "").removeprefix("refs/heads/"),
            base_branch=str(data.get("targetRefName") or "").removeprefix("refs/heads/"),
            draft=bool(data.get("isDraft")),
            warnings=warnings,
            open=data.get("status") in (None, "active"),
        )


def _page(index: int) -> dict[str, str]:
    """`$top` and, past the first page, `$skip` of page `index` of a list."""
    return {"$top": str(PAGE), **({"$skip": str(index * PAGE)} if index else {})}


def _identities_url(collection: str) -> str:
    """Identities live on the organization's vssps host in Azure DevOps Services
    (vssps.dev.azure.com/ORG, ORG.vssps.visualstudio.com), on the collection on a server."""
    parts = urlsplit(collection)
    host = parts.hostname or ""
    if host == "dev.azure.com":
        return f"https://vssps.dev.azure.com{parts.path}"
    if host.endswith(".visualstudio.com") and ".vssps." not in host:
        return f"https://{host.removesuffix('.visualstudio.com')}.vssps.visualstudio.com"
    return collection


def _reason(data: Any) -> str | None:
    """Azure DevOps' `{"message": "TF401179: ...", "typeKey": ...}`."""
    return str(data["message"]) if isinstance(data, dict) and data.get("message") else None


_HINTS = {
    "auth": "; check the token (a personal access token with Code read & write, or "
    "SYSTEM_ACCESSTOKEN with the build service allowed to contribute to pull requests)"
}
_STYLE = failures.FailureStyle(
    "Azure DevOps", "repository", rest.HttpError, rest.describe, _HINTS, rest.RETRIES
)
