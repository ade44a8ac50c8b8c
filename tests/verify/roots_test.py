"""Which kustomization roots a change reaches (bumper.verify.roots), on in-memory trees."""

from __future__ import annotations

from bumper.verify.roots import Graph
from bumper.verify.tree import Tree


def graph(files: dict[str, str]) -> Graph:
    data = {path: text.encode() for path, text in files.items()}
    return Graph(Tree(frozenset(data), lambda paths: {p: data[p] for p in paths}))


def test_included_roots_count_transitively_and_cycles_end() -> None:
    g = graph(
        {
            "base/kustomization.yaml": "resources: [deploy.yaml]\n",
            "base/deploy.yaml": "",
            "mid/kustomization.yaml": "resources: [../base, ../top]\n",
            "top/kustomization.yaml": "resources: [../mid]\n",  # a cycle kustomize refuses
            "other/kustomization.yaml": "resources: [svc.yaml]\n",
            "other/svc.yaml": "",
        }
    )
    assert g.affected({"base/deploy.yaml"}) == ["base", "mid", "top"]
    assert g.affected({"other/svc.yaml"}) == ["other"]
    assert g.affected({"base/kustomization.yaml"}) == ["base", "mid", "top"]


def test_every_field_naming_a_file_counts() -> None:
    g = graph(
        {
            "app/kustomization.yaml": """\
components: [../comp]
patches:
  - path: patches/image.yaml
patchesStrategicMerge: [smp.yaml]
patchesJson6902:
  - path: json.yaml
configMapGenerator:
  - name: a
    files: [conf/app.yaml, key=conf/renamed.yaml]
    envs: [app.env]
replacements:
  - path: repl.yaml
helmCharts:
  - name: web
    valuesFile: values.yaml
""",
            **{
                f"app/{p}": ""
                for p in (
                    "patches/image.yaml",
                    "smp.yaml",
                    "json.yaml",
                    "conf/app.yaml",
                    "conf/renamed.yaml",
                    "app.env",
                    "repl.yaml",
                    "values.yaml",
                    "charts/web/Chart.yaml",
                    "charts/web/templates/d.yaml",
                    "unnamed.yaml",
                )
            },
            "comp/Kustomization": "kind: Component\npatches: [{path: p.yaml}]\n",
            "comp/p.yaml": "",
        }
    )
    closure = g.closure("app")
    for name in ("patches/image.yaml", "smp.yaml", "json.yaml", "conf/app.yaml", "conf/renamed.yaml"):
        assert f"app/{name}" in closure
    for name in (
        "app.env",
        "repl.yaml",
        "values.yaml",
        "charts/web/Chart.yaml",
        "charts/web/templates/d.yaml",
    ):
        assert f"app/{name}" in closure
    assert "comp/p.yaml" in closure and "comp/Kustomization" in closure
    assert "app/unnamed.yaml" not in closure  # a file no field names is not read by the build


def test_remote_outside_and_unparseable_names_are_left_out() -> None:
    g = graph(
        {
            "o/kustomization.yml": "resources:\n  - https://github.com/acme/x//b?ref=v1\n  - ../../etc/x\n",
            "bad/kustomization.yaml": "resources: [\n",
            "bad/deploy.yaml": "",
        }
    )
    assert g.closure("o") == {"o/kustomization.yml"}
    assert g.affected({"bad/deploy.yaml"}) == []  # kustomize cannot read it either
    assert g.affected({"bad/kustomization.yaml"}) == ["bad"]  # rendering says why
