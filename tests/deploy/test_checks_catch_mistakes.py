"""Each deploy check finds the mistake it is there for: a broken copy of a rendered variant must not pass."""

from __future__ import annotations

import copy

import pytest

from tests.deploy import checks
from tests.deploy.manifests import kubectl, render

pytestmark = pytest.mark.skipif(kubectl() is None, reason="kubectl is not installed: cannot render deploy/k8s")


def find(objects: list[dict], kind: str, name: str) -> dict:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def container(objects: list[dict], name: str) -> dict:
    return find(objects, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]


def pod(objects: list[dict], name: str) -> dict:
    return find(objects, "Deployment", name)["spec"]["template"]["spec"]


def remove(objects: list[dict], kind: str, name: str) -> None:
    objects.remove(find(objects, kind, name))


def config_map(objects: list[dict]) -> dict:
    return next(o for o in objects if o["kind"] == "ConfigMap")["data"]


def schema(objects):
    return checks.schema_problems(objects)


def workloads(objects):
    return checks.workload_problems(objects)


def services(objects):
    return checks.service_problems(objects)


def budgets(objects):
    return checks.disruption_problems(objects)


def network(objects):
    return checks.network_problems(objects)


def monitoring(objects):
    return checks.monitoring_problems(objects)


def references(objects):
    return checks.reference_problems(objects, external=set())


def host_path_for_tmp(objects):
    volume = pod(objects, "gateway")["volumes"][0]
    volume.pop("emptyDir")
    volume["hostPath"] = {"path": "/tmp"}


MISTAKES = {
    # hardening, probes, resources, commands, settings
    "no readiness probe": (
        "base",
        workloads,
        "readinessProbe",
        lambda o: container(o, "workflow").pop("readinessProbe"),
    ),
    "readiness on /healthz": (
        "base",
        workloads,
        "/readyz",
        lambda o: container(o, "gateway")["readinessProbe"]["httpGet"].update(path="/healthz"),
    ),
    "no liveness probe": (
        "base",
        workloads,
        "livenessProbe",
        lambda o: container(o, "intake-relay").pop("livenessProbe"),
    ),
    "writable root filesystem": (
        "base",
        workloads,
        "readOnlyRootFilesystem",
        lambda o: container(o, "intake")["securityContext"].update(readOnlyRootFilesystem=False),
    ),
    "capabilities kept": (
        "base",
        workloads,
        "drop all capabilities",
        lambda o: container(o, "alerts-api")["securityContext"]["capabilities"].update(drop=[]),
    ),
    "root user": (
        "base",
        workloads,
        "non-root",
        lambda o: pod(o, "workflow-relay")["securityContext"].update(runAsUser=0),
    ),
    "no memory limit": (
        "base",
        workloads,
        "memory in resources.limits",
        lambda o: container(o, "alerts-api")["resources"]["limits"].pop("memory"),
    ),
    "no emptyDir for /tmp": ("base", workloads, "/tmp must be an emptyDir", host_path_for_tmp),
    "latest image": ("base", workloads, "latest", lambda o: container(o, "workflow").update(image="zhitong:latest")),
    "command not the Procfile's": (
        "base",
        workloads,
        "Procfile",
        lambda o: container(o, "intake").update(command=["python", "-m", "services.intake"]),
    ),
    "wrong metrics port": (
        "base",
        workloads,
        "kit/config.py",
        lambda o: container(o, "workflow")["ports"][1].update(containerPort=9201),
    ),
    "bad port name": (
        "base",
        workloads,
        "is not one of",
        lambda o: container(o, "workflow")["ports"][1].update(name="metrics"),
    ),
    "undefined variable in a URL": (
        "base",
        workloads,
        "$(ZHITONG_DB_HOSTNAME)",
        lambda o: container(o, "workflow")["env"][2].update(
            value="postgresql+psycopg://u:p@$(ZHITONG_DB_HOSTNAME):5432/zhitong_workflow"
        ),
    ),
    "missing setting": (
        "base",
        workloads,
        "ZHITONG_JWT_SECRET",
        lambda o: container(o, "gateway").update(
            env=[v for v in container(o, "gateway")["env"] if v["name"] != "ZHITONG_JWT_SECRET"]
        ),
    ),
    "a process without Deployment": (
        "base",
        workloads,
        "'alerts-api' has no Deployment",
        lambda o: remove(o, "Deployment", "alerts-api"),
    ),
    "migrations of a service forgotten": (
        "base",
        workloads,
        "kit.migrate workflow intake consult rating alerts gateway",
        lambda o: find(o, "Job", "zhitong-migrate")["spec"]["template"]["spec"]["containers"][0].update(
            command=["python", "-m", "kit.migrate", "workflow", "intake", "alerts", "gateway"]
        ),
    ),
    # services
    "Service selector with a bad label": (
        "base",
        services,
        "selects no pods",
        lambda o: find(o, "Service", "workflow")["spec"].update(selector={"app.kubernetes.io/name": "work-flow"}),
    ),
    "Service port to nowhere": (
        "base",
        services,
        "targets",
        lambda o: find(o, "Service", "intake")["spec"]["ports"][0].update(targetPort="grcp"),
    ),
    "gRPC address of no Service": (
        "base",
        services,
        "WORKFLOW_GRPC_ADDR",
        lambda o: config_map(o).update(WORKFLOW_GRPC_ADDR="dns:///workflow-grpc:50052"),
    ),
    "gRPC address in another namespace": (
        "base",
        services,
        "is no gRPC port of a Service",
        lambda o: config_map(o).update(WORKFLOW_GRPC_ADDR="dns:///workflow-grpc.other.svc.cluster.local:50051"),
    ),
    "gRPC address of the Service with a cluster IP": (
        "base",
        services,
        "balances connections and not calls",
        lambda o: config_map(o).update(INTAKE_GRPC_ADDR="dns:///intake:50052"),
    ),
    "gRPC address without the dns scheme": (
        "base",
        services,
        "must be a dns:/// target",
        lambda o: config_map(o).update(CONSULT_GRPC_ADDR="consult-grpc:50053"),
    ),
    "gRPC service without headless Service": (
        "base",
        services,
        "Deployment/rating: serves gRPC, so one headless Service",
        lambda o: remove(o, "Service", "rating-grpc"),
    ),
    "headless Service given a cluster IP": (
        "base",
        services,
        "Deployment/consult: selected by 2 Services with a cluster IP",
        lambda o: find(o, "Service", "consult-grpc")["spec"].pop("clusterIP"),
    ),
    "headless Service on another port than the pods'": (
        "base",
        services,
        "must be the container port 50055",
        lambda o: find(o, "Service", "alerts-api-grpc")["spec"]["ports"][0].update(port=8055),
    ),
    "headless Service listing pods that are not ready": (
        "base",
        services,
        "not ready",
        lambda o: find(o, "Service", "workflow-grpc")["spec"].update(publishNotReadyAddresses=True),
    ),
    # disruption budgets
    "budget with a bad label": (
        "base",
        budgets,
        "selects no pods",
        lambda o: find(o, "PodDisruptionBudget", "gateway")["spec"]["selector"].update(
            matchLabels={"app.kubernetes.io/name": "gatway"}
        ),
    ),
    "two replicas without a budget": (
        "base",
        budgets,
        "need one PodDisruptionBudget",
        lambda o: remove(o, "PodDisruptionBudget", "workflow"),
    ),
    "replicas beside an autoscaler": (
        "prod",
        budgets,
        "sets replicas",
        lambda o: find(o, "Deployment", "gateway")["spec"].update(replicas=3),
    ),
    # schemas, built-in and custom
    "misspelled field": (
        "base",
        schema,
        "readinesProbe",
        lambda o: container(o, "workflow").update(readinesProbe={"grpc": {"port": 50051}}),
    ),
    "string for a number": (
        "base",
        schema,
        "containerPort",
        lambda o: container(o, "workflow")["ports"][0].update(containerPort="50051"),
    ),
    "ServiceMonitor field": (
        "prod",
        schema,
        "intervall",
        lambda o: find(o, "ServiceMonitor", "workflow")["spec"]["endpoints"][0].update(intervall="15s"),
    ),
    "RabbitmqCluster field": (
        "prod",
        schema,
        "replica",
        lambda o: find(o, "RabbitmqCluster", "zhitong-rabbitmq")["spec"].update(replica=3),
    ),
    "quorum config too long": (
        "prod",
        schema,
        "too long",
        lambda o: find(o, "RabbitmqCluster", "zhitong-rabbitmq")["spec"]["rabbitmq"].update(
            additionalConfig="x" * 2001
        ),
    ),
    "number as a PostgreSQL parameter": (
        "prod",
        schema,
        "max_connections",
        lambda o: find(o, "Cluster", "zhitong-postgres")["spec"]["postgresql"]["parameters"].update(
            max_connections=400
        ),
    ),
    "Database without owner": (
        "prod",
        schema,
        "owner",
        lambda o: find(o, "Database", "zhitong-intake")["spec"].pop("owner"),
    ),
    "rule both alert and record": (
        "prod",
        schema,
        "groups",
        lambda o: find(o, "PrometheusRule", "zhitong")["spec"]["groups"][0]["rules"][0].update(record="zhitong:up"),
    ),
    "custom resource without schema": (
        "prod",
        schema,
        "no schema",
        lambda o: o.append({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}}),
    ),
    # network policies
    "workflow open to every pod": (
        "prod",
        network,
        "allowed but not in the architecture",
        lambda o: find(o, "NetworkPolicy", "workflow")["spec"]["ingress"][0].pop("from"),
    ),
    "intake cut off from workflow": (
        "prod",
        network,
        "intake -> workflow:50051",
        lambda o: find(o, "NetworkPolicy", "intake")["spec"].pop("egress"),
    ),
    "consult cut off from workflow": (
        "prod",
        network,
        "consult -> workflow:50051",
        lambda o: find(o, "NetworkPolicy", "workflow")["spec"]["ingress"][0]["from"].pop(),
    ),
    "no default deny": (
        "prod",
        network,
        "allowed but not in the architecture",
        lambda o: [remove(o, "NetworkPolicy", n) for n in ("default-deny", "allow-dns", "allow-prometheus")],
    ),
    # monitoring
    "ServiceMonitor with a bad label": (
        "prod",
        monitoring,
        "selects 0 Services",
        lambda o: find(o, "ServiceMonitor", "intake")["spec"]["selector"].update(
            matchLabels={"app.kubernetes.io/name": "intak"}
        ),
    ),
    "headless Service labelled as the one to scrape": (
        "prod",
        monitoring,
        "selects 2 Services",
        lambda o: find(o, "Service", "workflow-grpc")["metadata"]["labels"].update(
            {"app.kubernetes.io/name": "workflow"}
        ),
    ),
    "ServiceMonitor on a missing port": (
        "prod",
        monitoring,
        "no port",
        lambda o: find(o, "ServiceMonitor", "gateway")["spec"]["endpoints"][0].update(port="metrics"),
    ),
    "rules that drifted": (
        "prod",
        monitoring,
        "differ",
        lambda o: find(o, "PrometheusRule", "zhitong")["spec"]["groups"][0]["rules"][0].update(**{"for": "10m"}),
    ),
    # references
    "missing Secret": (
        "dev",
        references,
        "zhitong-secret",
        lambda o: container(o, "gateway")["env"][-1]["valueFrom"]["secretKeyRef"].update(name="zhitong-secret"),
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_check_finds(mistake):
    variant, check, words, spoil = MISTAKES[mistake]
    objects = copy.deepcopy(list(render(variant)))
    assert not check(objects), "the unspoiled render passes"
    spoil(objects)
    problems = check(objects)
    assert problems, f"{check.__name__} missed: {mistake}"
    assert any(words in p for p in problems), f"{words!r} not in {problems}"
