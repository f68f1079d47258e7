"""Checks of rendered Kubernetes objects. Each returns the problems it finds as sentences (empty when all is well),
so that a test can show all of them at once and the same check can be shown to catch a broken copy."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

from kit import config
from tests.deploy.manifests import DEPLOY, LOCAL_ONLY_PROCESSES, PROCFILE_NAME, migrated_services, procfile

# The Kubernetes version whose schemas the objects must satisfy (the kubectl on this machine is 1.32).
KUBERNETES_VERSION = "1.32.0"
SCHEMAS = Path(__file__).parent / "schemas"
CUSTOM_RESOURCE_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor.schema.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule.schema.json",
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): "rabbitmqcluster.schema.json",
    ("postgresql.cnpg.io/v1", "Cluster"): "cnpg-cluster.schema.json",
    ("postgresql.cnpg.io/v1", "Database"): "cnpg-database.schema.json",
}
NAME = "app.kubernetes.io/name"
PART_OF = "app.kubernetes.io/part-of"
PORT_NAMES = {"grpc", "http", "http-metrics"}
VAR_DIR = "/var/lib/zhitong"

# What each process must be told, beyond the shared ConfigMap.
REQUIRED_ENV = {
    "workflow": {"WORKFLOW_DATABASE_URL", "ZHITONG_SERVICE_TOKEN"},
    "intake": {"INTAKE_DATABASE_URL", "ZHITONG_SERVICE_TOKEN"},
    "consult": {"CONSULT_DATABASE_URL", "ZHITONG_SERVICE_TOKEN"},
    "rating": {"RATING_DATABASE_URL", "ZHITONG_SERVICE_TOKEN"},
    "alerts-api": {"ALERTS_DATABASE_URL", "ZHITONG_SERVICE_TOKEN"},
    "gateway": {"GATEWAY_DATABASE_URL", "ZHITONG_SERVICE_TOKEN", "ZHITONG_JWT_SECRET"},
    "workflow-relay": {"WORKFLOW_DATABASE_URL", "AMQP_URL"},
    "intake-relay": {"INTAKE_DATABASE_URL", "AMQP_URL"},
    "consult-relay": {"CONSULT_DATABASE_URL", "AMQP_URL"},
    "rating-relay": {"RATING_DATABASE_URL", "AMQP_URL"},
    "alerts-worker": {"ALERTS_DATABASE_URL", "AMQP_URL"},
    "rating-worker": {"RATING_DATABASE_URL", "AMQP_URL"},
    "zhitong-migrate": {
        "WORKFLOW_DATABASE_URL",
        "INTAKE_DATABASE_URL",
        "CONSULT_DATABASE_URL",
        "RATING_DATABASE_URL",
        "ALERTS_DATABASE_URL",
        "GATEWAY_DATABASE_URL",
    },
}


def as_text(problems: list[str]) -> str:
    return "\n".join(problems)


def where(obj: dict) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def of_kind(objects: Iterable[dict], *kinds: str) -> list[dict]:
    return [o for o in objects if o["kind"] in kinds]


def suite_workloads(objects: Iterable[dict]) -> list[dict]:
    """Deployments and Jobs of the suite itself (not the stand-ins for PostgreSQL and RabbitMQ of overlays/dev)."""
    return [
        o
        for o in of_kind(objects, "Deployment", "Job")
        if o["spec"]["template"]["metadata"].get("labels", {}).get(PART_OF) == "zhitong"
    ]


def expected_ports(name: str) -> dict[str, int]:
    """Port name -> number for a Deployment, from the table in kit/config.py that the processes use."""
    process = {"alerts-api": "alerts"}.get(name, name)
    if process in config.DEFAULT_PORTS:
        serving, metrics = config.DEFAULT_PORTS[process]
        return {"http" if name == "gateway" else "grpc": serving, "http-metrics": metrics}
    if process in config.METRICS_ONLY_PORTS:
        return {"http-metrics": config.METRICS_ONLY_PORTS[process]}
    return {}


def selects(selector: dict | None, labels: dict) -> bool:
    """Whether a LabelSelector (matchLabels, matchExpressions) selects these labels; None selects nothing."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


# --- schemas ------------------------------------------------------------------------------------------------------


def schema_problems(objects: Iterable[dict]) -> list[str]:
    """Every built-in object against the Kubernetes OpenAPI schema in strict mode (no unknown fields), every custom
    resource against the fields its operator documents."""
    return [p for obj in objects for p in _object_schema_problems(json.dumps(obj, sort_keys=True))]


@cache
def _object_schema_problems(text: str) -> tuple[str, ...]:
    # Cached by content: the variants and the spoiled copies share most objects, and validating is slow.
    obj = json.loads(text)
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key in CUSTOM_RESOURCE_SCHEMAS:
        validator = jsonschema.Draft202012Validator(custom_resource_schema(CUSTOM_RESOURCE_SCHEMAS[key]))
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
        return tuple(
            f"{where(obj)}: {'.'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}" for e in errors
        )
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return (f"{where(obj)}: no schema for {key[0]} {key[1]} (add one to tests/deploy/schemas)",)
    except kubernetes_validate.ValidationError as exc:
        return (f"{where(obj)}: {'.'.join(str(p) for p in exc.path) or '(top)'}: {exc.message}",)
    return ()


@cache
def custom_resource_schema(filename: str) -> dict:
    return json.loads((SCHEMAS / filename).read_text())


# --- workloads ----------------------------------------------------------------------------------------------------


def workload_problems(objects: list[dict]) -> list[str]:
    """Hardening, resources, probes, ports, commands and settings of the suite's Deployments and the Job."""
    problems = []
    running = {PROCFILE_NAME.get(o["metadata"]["name"]) for o in of_kind(objects, "Deployment")}
    for process in set(procfile()) - LOCAL_ONLY_PROCESSES - running:
        problems.append(f"Procfile process {process!r} has no Deployment (and no entry in manifests.PROCFILE_NAME)")
    accounts = {o["metadata"]["name"] for o in of_kind(objects, "ServiceAccount")}
    config_keys = {o["metadata"]["name"]: set(o.get("data") or {}) for o in of_kind(objects, "ConfigMap")}
    commands = procfile()
    for obj in suite_workloads(objects):
        at = where(obj)
        name = obj["metadata"]["name"]
        template = obj["spec"]["template"]
        pod = template["spec"]
        if template["metadata"]["labels"].get(NAME) != name:
            problems.append(f"{at}: pod template label {NAME} is not {name!r}")
        if obj["kind"] == "Deployment" and not selects(obj["spec"]["selector"], template["metadata"]["labels"]):
            problems.append(f"{at}: the selector does not select the pod template")
        if pod.get("serviceAccountName") not in accounts:
            problems.append(f"{at}: ServiceAccount {pod.get('serviceAccountName')!r} is not defined")
        if pod.get("automountServiceAccountToken") is not False:
            problems.append(f"{at}: mounts a service account token it does not need")
        pod_security = pod.get("securityContext") or {}
        if pod_security.get("runAsNonRoot") is not True or pod_security.get("runAsUser", 0) == 0:
            problems.append(f"{at}: the pod must run as a non-root user")
        if (pod_security.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{at}: seccompProfile must be RuntimeDefault")
        mounts_by_volume = {}
        for container in pod["containers"]:
            for m in container.get("volumeMounts", []):
                mounts_by_volume.setdefault(m["name"], set()).add(m["mountPath"])
        empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        for path in ("/tmp", VAR_DIR):
            if not any(path in mounts_by_volume.get(v, ()) for v in empty_dirs):
                problems.append(f"{at}: {path} must be an emptyDir (the root filesystem is read-only)")
        for container in pod["containers"]:
            problems += container_problems(obj, container, config_keys, commands)
    return problems


def container_problems(obj: dict, container: dict, config_keys: dict[str, set[str]], commands: dict) -> list[str]:
    at = f"{where(obj)} container {container['name']}"
    name = obj["metadata"]["name"]
    problems = []
    security = container.get("securityContext") or {}
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{at}: allowPrivilegeEscalation must be false")
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{at}: readOnlyRootFilesystem must be true")
    if security.get("privileged"):
        problems.append(f"{at}: must not be privileged")
    if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
        problems.append(f"{at}: must drop all capabilities")
    if (security.get("capabilities") or {}).get("add"):
        problems.append(f"{at}: must not add capabilities")
    resources = container.get("resources") or {}
    for part in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(part) or {}):
                problems.append(f"{at}: no {resource} in resources.{part}")
    image = container.get("image", "")
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if not tag or tag == "latest":
        problems.append(f"{at}: image {image!r} needs a tag other than latest")

    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    if obj["kind"] == "Deployment":
        for port_name in ports:
            if port_name not in PORT_NAMES:
                problems.append(f"{at}: port {port_name!r} is not one of {sorted(PORT_NAMES)}")
        if ports != expected_ports(name):
            problems.append(f"{at}: ports {ports} differ from kit/config.py's {expected_ports(name)}")
        problems += probe_problems(at, container, ports)
        expected = commands.get(PROCFILE_NAME.get(name, ""))
        if container.get("command") != expected:
            problems.append(f"{at}: command {container.get('command')} is not the Procfile's {expected}")
    else:
        migrate = "python -m kit.migrate " + " ".join(migrated_services())
        if migrate not in " ".join(container.get("command", [])):
            problems.append(f"{at}: the Job must run `{migrate}`")

    defined = set()
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            defined |= config_keys.get(source["configMapRef"]["name"], set())
    for var in container.get("env", []):
        for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", var.get("value", "")):
            if ref not in defined:
                problems.append(f"{at}: {var['name']} uses $({ref}), which is not defined before it")
        defined.add(var["name"])
    missing = REQUIRED_ENV.get(name, set()) - defined
    if missing:
        problems.append(f"{at}: settings {sorted(missing)} are missing")
    return problems


def probe_problems(at: str, container: dict, ports: dict[str, int]) -> list[str]:
    problems = []
    readiness, liveness = container.get("readinessProbe"), container.get("livenessProbe")
    if liveness is None:
        problems.append(f"{at}: no livenessProbe")
    if "grpc" in ports:
        if not readiness or (readiness.get("grpc") or {}).get("port") != ports["grpc"]:
            problems.append(f"{at}: readinessProbe must be a grpc: probe of port {ports['grpc']}")
    if "http" in ports:
        if not readiness or (readiness.get("httpGet") or {}).get("path") != "/readyz":
            problems.append(f"{at}: readinessProbe must GET /readyz")
        if not liveness or (liveness.get("httpGet") or {}).get("path") != "/healthz":
            problems.append(f"{at}: livenessProbe must GET /healthz")
    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = container.get(kind) or {}
        for handler in ("httpGet", "tcpSocket", "grpc"):
            port = (probe.get(handler) or {}).get("port")
            if port is not None and port not in ports and port not in ports.values():
                problems.append(f"{at}: {kind} uses port {port!r}, which the container does not have")
    return problems


# --- services -----------------------------------------------------------------------------------------------------


def headless(service: dict) -> bool:
    """A Service without cluster IP: its name resolves to the addresses of its ready pods."""
    return service["spec"].get("clusterIP") == "None"


def service_problems(objects: list[dict]) -> list[str]:
    """Each Service selects pods with the ports it forwards to; each suite Deployment has one Service with a cluster
    IP and, when it serves gRPC, one headless Service; the gRPC addresses in the ConfigMap are `dns:///` targets of
    the headless Services, so that the clients' round_robin sees every replica."""
    problems = []
    deployments = of_kind(objects, "Deployment")
    services = of_kind(objects, "Service")
    for svc in services:
        at = where(svc)
        selected = [
            d
            for d in deployments
            if selects({"matchLabels": svc["spec"].get("selector")}, d["spec"]["template"]["metadata"]["labels"])
        ]
        if not svc["spec"].get("selector") or not selected:
            problems.append(f"{at}: selects no pods")
            continue
        if headless(svc) and svc["spec"].get("publishNotReadyAddresses"):
            problems.append(f"{at}: headless and publishes pods that are not ready, which clients would then call")
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for d in selected:
                container_ports = [p for c in d["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])]
                matching = [p for p in container_ports if target in (p.get("name"), p["containerPort"])]
                if not matching:
                    problems.append(f"{at}: port {port.get('name')} targets {target!r}, which {where(d)} lacks")
                elif headless(svc) and matching[0]["containerPort"] != port["port"]:
                    # Nothing translates ports in front of a headless Service: clients connect to the pods.
                    problems.append(
                        f"{at}: headless, so port {port.get('name')} must be the container port "
                        f"{matching[0]['containerPort']} of {where(d)}, not {port['port']}"
                    )
            if svc["metadata"].get("labels", {}).get(PART_OF) == "zhitong" and port.get("name") not in PORT_NAMES:
                problems.append(f"{at}: port name {port.get('name')!r} is not one of {sorted(PORT_NAMES)}")
    for d in suite_workloads(objects):
        if d["kind"] != "Deployment":
            continue
        labels = d["spec"]["template"]["metadata"]["labels"]
        mine = [s for s in services if selects({"matchLabels": s["spec"].get("selector")}, labels)]
        balanced = [s for s in mine if not headless(s)]
        if len(balanced) != 1:
            problems.append(f"{where(d)}: selected by {len(balanced)} Services with a cluster IP, expected one")
        port_names = {p.get("name") for c in d["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
        endpoints = [s for s in mine if headless(s)]
        if "grpc" in port_names and len(endpoints) != 1:
            problems.append(
                f"{where(d)}: serves gRPC, so one headless Service must list its pods for the clients' round_robin, "
                f"found {len(endpoints)}"
            )
    addresses = {
        k: v
        for o in of_kind(objects, "ConfigMap")
        for k, v in (o.get("data") or {}).items()
        if k.endswith("_GRPC_ADDR")
    }
    by_name = {s["metadata"]["name"]: s for s in services}
    for key, address in addresses.items():
        if not address.startswith("dns:///"):
            problems.append(f"ConfigMap: {key}={address} must be a dns:/// target of a headless Service")
            continue
        host, _, port = address.removeprefix("dns:///").rpartition(":")
        name, _, domain = host.partition(".")
        svc = by_name.get(name)
        if (
            svc is None
            or not port.isdigit()
            or not any(p["port"] == int(port) and p.get("name") == "grpc" for p in svc["spec"]["ports"])
            or (domain and domain.split(".")[:2] != [svc["metadata"].get("namespace"), "svc"])
        ):
            problems.append(f"ConfigMap: {key}={address} is no gRPC port of a Service")
        elif not headless(svc):
            problems.append(
                f"ConfigMap: {key}={address} names a Service with a cluster IP, which balances connections and not "
                "calls: name a headless Service"
            )
    return problems


# --- replicas and disruption budgets ------------------------------------------------------------------------------


def disruption_problems(objects: list[dict]) -> list[str]:
    """A PodDisruptionBudget exactly when a Deployment runs more than one replica (its HPA's minimum, if it has
    one); HPAs own the replica count of what they scale."""
    problems = []
    budgets = of_kind(objects, "PodDisruptionBudget")
    autoscalers = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(objects, "HorizontalPodAutoscaler")}
    deployments = {d["metadata"]["name"]: d for d in of_kind(objects, "Deployment")}
    for target in autoscalers:
        if target not in deployments:
            problems.append(f"HorizontalPodAutoscaler/{target}: scales a Deployment that does not exist")
    for pdb in budgets:
        if not any(
            selects(pdb["spec"].get("selector"), d["spec"]["template"]["metadata"]["labels"])
            for d in deployments.values()
        ):
            problems.append(f"{where(pdb)}: selects no pods")
    for name, d in deployments.items():
        hpa = autoscalers.get(name)
        if hpa and "replicas" in d["spec"]:
            problems.append(f"{where(d)}: sets replicas although {where(hpa)} scales it")
        replicas = hpa["spec"].get("minReplicas", 1) if hpa else d["spec"].get("replicas", 1)
        mine = [p for p in budgets if selects(p["spec"].get("selector"), d["spec"]["template"]["metadata"]["labels"])]
        if replicas > 1 and len(mine) != 1:
            problems.append(f"{where(d)}: {replicas} replicas need one PodDisruptionBudget, found {len(mine)}")
        if replicas <= 1 and mine:
            problems.append(f"{where(d)}: one replica, but {where(mine[0])} would block node drains")
    return problems


# --- references ---------------------------------------------------------------------------------------------------


def reference_problems(objects: list[dict], external: set[str]) -> list[str]:
    """Secrets, ConfigMaps and volume claims that pods use exist in the render, unless optional or in `external`
    (made outside it: by the installer or by an operator)."""
    have = {(o["kind"], o["metadata"]["name"]) for o in objects}
    problems = []

    def need(obj: dict, kind: str, name: str, optional: bool | None) -> None:
        if not optional and (kind, name) not in have and name not in external:
            problems.append(f"{where(obj)}: {kind} {name!r} does not exist")

    for obj in of_kind(objects, "Deployment", "Job"):
        pod = obj["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    if key in source:
                        need(obj, kind, source[key]["name"], source[key].get("optional"))
            for var in container.get("env", []):
                ref = var.get("valueFrom") or {}
                for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    if key in ref:
                        need(obj, kind, ref[key]["name"], ref[key].get("optional"))
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                need(obj, "ConfigMap", volume["configMap"]["name"], volume["configMap"].get("optional"))
            if "secret" in volume:
                need(obj, "Secret", volume["secret"]["secretName"], volume["secret"].get("optional"))
            if "persistentVolumeClaim" in volume:
                need(obj, "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"], False)
    for ingress in of_kind(objects, "Ingress"):
        for rule in ingress["spec"].get("rules", []):
            for path in rule["http"]["paths"]:
                need(ingress, "Service", path["backend"]["service"]["name"], False)
    return problems


def database_names(objects: list[dict]) -> set[str]:
    """The databases the suite's pods connect to (from their URLs)."""
    names = set()
    for obj in suite_workloads(objects):
        for container in obj["spec"]["template"]["spec"]["containers"]:
            for var in container.get("env", []):
                if var["name"].endswith("_DATABASE_URL"):
                    names.add(var["value"].rsplit("/", 1)[1])
    return names


# --- network policies ---------------------------------------------------------------------------------------------

# Pods outside the render that the suite talks to or that talk to it: (namespace, labels, [(port, protocol)]).
OUTSIDE_PODS = {
    "ingress-nginx": ("ingress-nginx", {NAME: "ingress-nginx"}, []),
    "prometheus": ("monitoring", {NAME: "prometheus"}, []),
    "kube-dns": ("kube-system", {"k8s-app": "kube-dns"}, [(53, "UDP"), (53, "TCP")]),
    "zhitong-postgres": ("zhitong", {"cnpg.io/cluster": "zhitong-postgres"}, [(5432, "TCP"), (8000, "TCP")]),
    "zhitong-rabbitmq": ("zhitong", {NAME: "zhitong-rabbitmq"}, [(5672, "TCP"), (15672, "TCP"), (15692, "TCP")]),
}
INTERNET = ipaddress.ip_address("203.0.113.10")
SUITE_PROCESSES = (
    "gateway",
    "workflow",
    "intake",
    "consult",
    "rating",
    "alerts-api",
    "workflow-relay",
    "intake-relay",
    "consult-relay",
    "rating-relay",
    "alerts-worker",
    "rating-worker",
)


def architecture_calls() -> set[tuple[str, str, int, str]]:
    """(from, to, port, protocol): the calls ARCHITECTURE.md draws, and nothing else."""
    calls = {("ingress-nginx", "gateway", 8080, "TCP")}
    calls |= {("gateway", "workflow", 50051, "TCP"), ("gateway", "intake", 50052, "TCP")}
    calls |= {("gateway", "consult", 50053, "TCP"), ("gateway", "rating", 50054, "TCP")}
    calls.add(("gateway", "alerts-api", 50055, "TCP"))
    calls |= {("intake", "workflow", 50051, "TCP"), ("consult", "workflow", 50051, "TCP")}
    for process in (
        "workflow-relay",
        "intake-relay",
        "consult-relay",
        "rating-relay",
        "alerts-worker",
        "rating-worker",
    ):
        calls.add((process, "zhitong-rabbitmq", 5672, "TCP"))
    for process in (*SUITE_PROCESSES, "zhitong-migrate"):
        calls.add((process, "zhitong-postgres", 5432, "TCP"))
        calls |= {(process, "kube-dns", 53, "UDP"), (process, "kube-dns", 53, "TCP")}
    for process in SUITE_PROCESSES:
        calls.add(("prometheus", process, expected_ports(process)["http-metrics"], "TCP"))
    calls.add(("alerts-worker", "internet", 443, "TCP"))
    return calls


def reachable(objects: list[dict]) -> set[tuple[str, str, int, str]]:
    """Every (from, to, port, protocol) that the NetworkPolicies let through where one end is a suite pod."""
    pods = []  # (name, namespace, labels, ports as [(number, protocol, name)])
    for obj in of_kind(objects, "Deployment", "Job"):
        labels = obj["spec"]["template"]["metadata"]["labels"]
        ports = [
            (p["containerPort"], p.get("protocol", "TCP"), p.get("name"))
            for c in obj["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        ]
        pods.append((labels.get(NAME, obj["metadata"]["name"]), obj["metadata"].get("namespace"), labels, ports))
    for name, (namespace, labels, ports) in OUTSIDE_PODS.items():
        pods.append((name, namespace, labels, [(n, proto, None) for n, proto in ports]))
    internet = ("internet", None, {}, [(443, "TCP", None), (80, "TCP", None)])
    pods.append(internet)
    policies = of_kind(objects, "NetworkPolicy")
    suite = {name for name, _, labels, _ in pods if labels.get(PART_OF) == "zhitong"}

    def selected(policy: dict, pod) -> bool:
        return pod[1] == policy["metadata"].get("namespace") and selects(policy["spec"]["podSelector"], pod[2])

    def peer_matches(policy: dict, peer: dict, pod) -> bool:
        if "ipBlock" in peer:
            block = peer["ipBlock"]
            # Pods' own addresses may fall in the block too: take that as allowed (the cautious reading).
            if pod[0] != "internet":
                return ipaddress.ip_network(block["cidr"]).prefixlen == 0
            return INTERNET in ipaddress.ip_network(block["cidr"]) and not any(
                INTERNET in ipaddress.ip_network(e) for e in block.get("except", [])
            )
        if pod[1] is None:
            return False
        if "namespaceSelector" in peer:
            if not selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": pod[1]}):
                return False
        elif pod[1] != policy["metadata"].get("namespace"):
            return False
        return selects(peer.get("podSelector", {}), pod[2])

    def port_matches(rule: dict, port) -> bool:
        if not rule.get("ports"):
            return True
        return any(
            p.get("protocol", "TCP") == port[1] and p.get("port") in (None, port[0], port[2]) for p in rule["ports"]
        )

    def allowed(direction: str, pod, other, port) -> bool:
        key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
        governing = [p for p in policies if direction in p["spec"].get("policyTypes", ["Ingress"]) and selected(p, pod)]
        if not governing:
            return True
        return any(
            (not rule.get(peers_key) or any(peer_matches(p, peer, other) for peer in rule[peers_key]))
            and port_matches(rule, port)
            for p in governing
            for rule in p["spec"].get(key) or []
        )

    result = set()
    for src in pods:
        for dst in pods:
            if src is dst or not ({src[0], dst[0]} & suite):
                continue
            for port in dst[3]:
                if allowed("Egress", src, dst, port) and allowed("Ingress", dst, src, port):
                    result.add((src[0], dst[0], port[0], port[1]))
    return result


def network_problems(objects: list[dict]) -> list[str]:
    got, want = reachable(objects), architecture_calls()
    problems = [f"allowed but not in the architecture: {c[0]} -> {c[1]}:{c[2]}/{c[3]}" for c in sorted(got - want)]
    problems += [f"in the architecture but blocked: {c[0]} -> {c[1]}:{c[2]}/{c[3]}" for c in sorted(want - got)]
    return problems


# --- monitoring ---------------------------------------------------------------------------------------------------


def monitoring_problems(objects: list[dict]) -> list[str]:
    """One ServiceMonitor per suite Service with a metrics port, each selecting exactly that Service's port; the
    PrometheusRule holds the same groups as deploy/prometheus/rules/zhitong.rules.yml."""
    problems = []
    services = of_kind(objects, "Service")
    monitored = set()
    for sm in of_kind(objects, "ServiceMonitor"):
        mine = [s for s in services if selects(sm["spec"]["selector"], s["metadata"].get("labels", {}))]
        if len(mine) != 1:
            problems.append(f"{where(sm)}: selects {len(mine)} Services, expected one")
            continue
        port_names = {p.get("name") for p in mine[0]["spec"]["ports"]}
        for endpoint in sm["spec"]["endpoints"]:
            if endpoint.get("port") not in port_names:
                problems.append(f"{where(sm)}: {where(mine[0])} has no port {endpoint.get('port')!r}")
        monitored.add(mine[0]["metadata"]["name"])
    for s in services:
        if any(p.get("name") == "http-metrics" for p in s["spec"]["ports"]) and s["metadata"]["name"] not in monitored:
            problems.append(f"{where(s)}: no ServiceMonitor scrapes it")
    local = yaml.safe_load((DEPLOY / "prometheus" / "rules" / "zhitong.rules.yml").read_text())
    for rule in of_kind(objects, "PrometheusRule"):
        if rule["spec"].get("groups") != local["groups"]:
            problems.append(f"{where(rule)}: its groups differ from deploy/prometheus/rules/zhitong.rules.yml")
    return problems
