"""Rendering the kustomize variants and reading the rest of deploy/: what the deploy tests look at.

The variants are the three kustomizations under deploy/k8s and, built in a temporary directory, the base and the
dev overlay with both opt-in components (overlays/prod includes them already)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
COMPONENTS = ("components/network-policies", "components/monitoring")
NAMESPACE = "zhitong"

# name -> (kustomization directory under deploy/k8s, components added on top of it)
VARIANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "base": ("base", ()),
    "dev": ("overlays/dev", ()),
    "prod": ("overlays/prod", ()),
    "base+components": ("base", COMPONENTS),
    "dev+components": ("overlays/dev", COMPONENTS),
}

# The processes of the Procfile that run on Kubernetes, by Deployment name (the Procfile's `alerts` is the worker).
PROCFILE_NAME = {
    "workflow": "workflow",
    "workflow-relay": "workflow-relay",
    "intake": "intake",
    "intake-relay": "intake-relay",
    "consult": "consult",
    "consult-relay": "consult-relay",
    "rating": "rating",
    "rating-relay": "rating-relay",
    "rating-worker": "rating-worker",
    "alerts-worker": "alerts",
    "alerts-api": "alerts-api",
    "gateway": "gateway",
}
LOCAL_ONLY_PROCESSES = {"welcome"}


def kubectl() -> str | None:
    return shutil.which("kubectl")


@functools.cache
def render(variant: str) -> tuple[dict, ...]:
    """The objects `kubectl kustomize` makes of a variant."""
    directory, components = VARIANTS[variant]
    if not components:
        return _kustomize(K8S / directory)
    with tempfile.TemporaryDirectory(prefix="zhitong-kustomize-") as tmp:
        # kustomize refuses absolute paths to other kustomizations; relative ones may leave the root.
        def rel(path: Path) -> str:
            return os.path.relpath(path, tmp)

        Path(tmp, "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "namespace": NAMESPACE,
                    "resources": [rel(K8S / directory)],
                    "components": [rel(K8S / c) for c in components],
                }
            )
        )
        return _kustomize(Path(tmp))


def _kustomize(directory: Path) -> tuple[dict, ...]:
    done = subprocess.run(
        [kubectl() or "kubectl", "kustomize", str(directory)], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed:\n{done.stderr}")
    return tuple(o for o in yaml.safe_load_all(done.stdout) if o)


def procfile() -> dict[str, list[str]]:
    """Process name -> command words, from the Procfile."""
    commands = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = command.split()
    return commands


def migrated_services() -> list[str]:
    """The services whose databases the Procfile's processes use and that have Alembic migrations, in the order
    of `make migrate`."""
    services = []
    for name, command in procfile().items():
        if name in LOCAL_ONLY_PROCESSES:
            continue
        module = command[command.index("-m") + 1]
        service = command[-1] if module == "kit.relay" else module.split(".")[1]
        if (REPO / "services" / service / "migrations").is_dir() and service not in services:
            services.append(service)
    order = ["workflow", "intake", "consult", "rating", "alerts", "gateway"]
    return sorted(services, key=lambda s: order.index(s) if s in order else len(order))


METRIC_KINDS = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*\"(zhitong_[a-z0-9_]+)\"", re.S)


@functools.cache
def exported_metric_names() -> frozenset[str]:
    """Every series name the suite's code exports (counters with `_total`, histograms with their parts)."""
    names: set[str] = set()
    for path in [*(REPO / "kit").rglob("*.py"), *(REPO / "services").rglob("*.py")]:
        for kind, name in METRIC_KINDS.findall(path.read_text("utf-8")):
            if kind == "Counter":
                names.add(name if name.endswith("_total") else name + "_total")
            elif kind in ("Histogram", "Summary"):
                names.update({name + "_sum", name + "_count"})
                if kind == "Histogram":
                    names.add(name + "_bucket")
            else:
                names.add(name)
    return frozenset(names)


def metric_names_in(promql: str) -> set[str]:
    return set(re.findall(r"\bzhitong_[a-z0-9_]+", promql))
