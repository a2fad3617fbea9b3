"""Rendering the chart with `helm template` and replaying Helm's install order on the result.

Helm (pkg/action/hooks.go, pkg/releaseutil/kind_sorter.go) installs a release as: the
pre-install hooks one by one, sorted by weight then name, each created and (Jobs) waited for;
then the hooks with `hook-succeeded` in their delete policy are deleted; then every other object
of the release, by kind. A hook that references an object of the release itself (its
ServiceAccount, ConfigMap, Secret) therefore cannot start on a first install.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from tests.paths import ROOT

CHART = ROOT / "helm" / "sfm-graphql"
KUBE_VERSION = "1.30.0"
POD_KINDS = {"Pod", "Deployment", "Job", "CronJob", "StatefulSet", "DaemonSet", "ReplicaSet"}


@cache
def helm() -> str:
    """tools/helm.sh prints the pinned helm, building it with `go install` the first time."""
    done = subprocess.run(
        [str(ROOT / "tools" / "helm.sh")], capture_output=True, text=True, check=True, timeout=900
    )
    return done.stdout.strip()


class RenderError(Exception):
    pass


def render(*sets: str, release: str = "sfm") -> list[dict[str, Any]]:
    """The manifests `helm template` produces with these `--set` values."""
    command = [helm(), "template", release, str(CHART), "--kube-version", KUBE_VERSION]
    for value in sets:
        command += ["--set", value]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise RenderError(done.stderr)
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def find(
    docs: list[dict[str, Any]], kind: str, component: str | None = None
) -> list[dict[str, Any]]:
    found = [d for d in docs if d["kind"] == kind]
    if component is not None:
        found = [d for d in found if labels(d).get("app.kubernetes.io/component") == component]
    return found


def labels(doc: dict[str, Any]) -> dict[str, str]:
    result: dict[str, str] = doc["metadata"].get("labels", {})
    return result


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    spec = doc.get("spec", {})
    if doc["kind"] == "Pod":
        return spec
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template = spec.get("template")
    return template["spec"] if template else None


def pod_labels(doc: dict[str, Any]) -> dict[str, str]:
    if doc["kind"] == "Pod":
        return labels(doc)
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    result: dict[str, str] = spec["template"]["metadata"]["labels"]
    return result


def references(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, name) of every object a pod spec needs to start."""
    refs = {("ServiceAccount", spec.get("serviceAccountName") or "default")}
    refs |= {("Secret", s["name"]) for s in spec.get("imagePullSecrets", [])}
    for volume in spec.get("volumes", []):
        refs |= _source_refs([volume, *volume.get("projected", {}).get("sources", [])])
    for container in spec.get("initContainers", []) + spec["containers"]:
        refs |= _env_refs(container)
    return refs


def _source_refs(sources: list[dict[str, Any]]) -> set[tuple[str, str]]:
    refs = set()
    for source in sources:
        if "configMap" in source:
            refs.add(("ConfigMap", source["configMap"]["name"]))
        if "secret" in source:
            secret = source["secret"]
            refs.add(("Secret", secret.get("secretName") or secret["name"]))
    return refs


def _env_refs(container: dict[str, Any]) -> set[tuple[str, str]]:
    refs = set()
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            refs.add(("ConfigMap", source["configMapRef"]["name"]))
        if "secretRef" in source:
            refs.add(("Secret", source["secretRef"]["name"]))
    for env in container.get("env", []):
        value_from = env.get("valueFrom", {})
        if "configMapKeyRef" in value_from:
            refs.add(("ConfigMap", value_from["configMapKeyRef"]["name"]))
        if "secretKeyRef" in value_from:
            refs.add(("Secret", value_from["secretKeyRef"]["name"]))
    return refs


@dataclass(frozen=True)
class Hook:
    doc: dict[str, Any]
    events: frozenset[str]
    weight: int
    delete_policies: frozenset[str]

    @property
    def key(self) -> tuple[str, str]:
        return self.doc["kind"], self.doc["metadata"]["name"]


def hook_of(doc: dict[str, Any]) -> Hook | None:
    annotations = doc["metadata"].get("annotations") or {}
    if "helm.sh/hook" not in annotations:
        return None
    policies = annotations.get("helm.sh/hook-delete-policy", "before-hook-creation")
    return Hook(
        doc,
        frozenset(e.strip() for e in annotations["helm.sh/hook"].split(",")),
        int(annotations.get("helm.sh/hook-weight", "0")),
        frozenset(p.strip() for p in policies.split(",")),
    )


def install_problems(docs: list[dict[str, Any]], external: set[tuple[str, str]]) -> list[str]:
    """What a first `helm install` would find missing, replaying Helm's order.

    `external` are the objects the operator creates before installing (the existing Secret,
    an existing ServiceAccount, image pull secrets); `default` is every namespace's account.
    """
    hooks = [h for d in docs if (h := hook_of(d)) is not None]
    release = [d for d in docs if hook_of(d) is None]
    existing = set(external) | {("ServiceAccount", "default")}
    problems = []
    pre_install = sorted(
        (h for h in hooks if "pre-install" in h.events),
        key=lambda h: (h.weight, h.doc["metadata"]["name"]),
    )
    for hook in pre_install:
        problems += _missing(f"pre-install hook {hook.key}", hook.doc, existing)
        existing.add(hook.key)
    existing -= {h.key for h in pre_install if "hook-succeeded" in h.delete_policies}
    existing |= {(d["kind"], d["metadata"]["name"]) for d in release}
    for doc in release:  # the release's pods start once all of it exists
        problems += _missing(f"{doc['kind']} {doc['metadata']['name']}", doc, existing)
    for hook in hooks:  # post-install hooks and `helm test` run on the installed release
        if hook.events & {"post-install", "test"}:
            problems += _missing(f"{sorted(hook.events)} hook {hook.key}", hook.doc, existing)
    return problems


def _missing(what: str, doc: dict[str, Any], existing: set[tuple[str, str]]) -> list[str]:
    spec = pod_spec(doc) if doc["kind"] in POD_KINDS else None
    refs = references(spec) if spec else set()
    return [f"{what} needs {ref}, not there yet" for ref in sorted(refs - existing)]


def selects(selector: dict[str, str], pod: dict[str, str]) -> bool:
    return all(pod.get(key) == value for key, value in selector.items())
