"""The kustomize variants under deploy/k8s render, validate against the Kubernetes schemas (strict) and the
operators' documented fields, and hold to the rules of STYLE.md and ARCHITECTURE.md."""

from __future__ import annotations

import base64

import pytest

from tests.deploy import checks
from tests.deploy.manifests import VARIANTS, kubectl, render

pytestmark = pytest.mark.skipif(kubectl() is None, reason="kubectl is not installed: cannot render deploy/k8s")

WITH_POLICIES = [v for v in VARIANTS if v == "prod" or v.endswith("+components")]
# Secrets that an overlay expects to exist beside it: the installer's, and the ones the operators make.
EXTERNAL = {
    "base": {"zhitong-app", "zhitong-postgres-app", "zhitong-rabbitmq-default-user"},
    "base+components": {"zhitong-app", "zhitong-postgres-app", "zhitong-rabbitmq-default-user"},
    "dev": set(),
    "dev+components": set(),
    "prod": {"zhitong-app", "zhitong-tls"},
}


@pytest.fixture(params=list(VARIANTS))
def variant(request) -> str:
    return request.param


def test_objects_match_their_schemas(variant):
    problems = checks.schema_problems(render(variant))
    assert not problems, checks.as_text(problems)


def test_workloads_are_hardened_probed_and_configured(variant):
    objects = list(render(variant))
    assert len(checks.suite_workloads(objects)) == 13, "twelve processes and the migration Job"
    problems = checks.workload_problems(objects)
    assert not problems, checks.as_text(problems)


def test_services_reach_the_pods(variant):
    problems = checks.service_problems(list(render(variant)))
    assert not problems, checks.as_text(problems)


def test_disruption_budgets_follow_replicas(variant):
    problems = checks.disruption_problems(list(render(variant)))
    assert not problems, checks.as_text(problems)


def test_references_resolve(variant):
    objects = list(render(variant))
    external = set(EXTERNAL[variant])
    kinds = {o["kind"]: o["metadata"]["name"] for o in objects if o["kind"] in ("Cluster", "RabbitmqCluster")}
    if kinds.get("Cluster") == "zhitong-postgres":
        external.add("zhitong-postgres-app")
    if kinds.get("RabbitmqCluster") == "zhitong-rabbitmq":
        external.add("zhitong-rabbitmq-default-user")
    problems = checks.reference_problems(objects, external)
    assert not problems, checks.as_text(problems)


@pytest.mark.parametrize("variant", WITH_POLICIES)
def test_network_policies_allow_only_the_calls_of_the_architecture(variant):
    problems = checks.network_problems(list(render(variant)))
    assert not problems, checks.as_text(problems)


@pytest.mark.parametrize("variant", WITH_POLICIES)
def test_every_metrics_port_is_monitored(variant):
    objects = list(render(variant))
    assert checks.of_kind(objects, "PrometheusRule"), "the monitoring component brings the alert rules"
    problems = checks.monitoring_problems(objects)
    assert not problems, checks.as_text(problems)


def test_dev_runs_one_of_each_with_its_own_database_and_broker():
    objects = list(render("dev"))
    deployments = {d["metadata"]["name"]: d for d in checks.of_kind(objects, "Deployment")}
    assert {n: d["spec"].get("replicas") for n, d in deployments.items()} == dict.fromkeys(deployments, 1)
    assert {"zhitong-postgres", "zhitong-rabbitmq"} <= set(deployments)
    services = {s["metadata"]["name"] for s in checks.of_kind(objects, "Service")}
    assert {"zhitong-postgres-rw", "zhitong-rabbitmq"} <= services, "the names the operators would give"
    # Every database the suite connects to is made by the PostgreSQL pod.
    postgres = deployments["zhitong-postgres"]["spec"]["template"]["spec"]["containers"][0]
    made = {v["value"] for v in postgres["env"] if v["name"] == "POSTGRES_DB"}
    for cm in checks.of_kind(objects, "ConfigMap"):
        for text in (cm.get("data") or {}).values():
            made |= {line.split()[2].rstrip(";") for line in text.splitlines() if line.startswith("CREATE DATABASE")}
    assert checks.database_names(objects) <= made
    # The broker reads its user from default_user.conf, the suite from username and password: the same user.
    (broker_user,) = (
        s for s in checks.of_kind(objects, "Secret") if s["metadata"]["name"].startswith("zhitong-rabbitmq")
    )
    data = {k: base64.b64decode(v).decode() for k, v in broker_user["data"].items()}
    assert f"default_user = {data['username']}" in data["default_user.conf"].splitlines()
    assert f"default_pass = {data['password']}" in data["default_user.conf"].splitlines()


def test_prod_runs_operators_clusters_autoscaling_and_tls():
    objects = list(render("prod"))
    (rabbitmq,) = checks.of_kind(objects, "RabbitmqCluster")
    assert rabbitmq["spec"]["replicas"] >= 3 and rabbitmq["spec"]["replicas"] % 2 == 1, "a quorum needs 3, 5, ..."
    assert "default_queue_type = quorum" in rabbitmq["spec"]["rabbitmq"]["additionalConfig"]
    (cluster,) = checks.of_kind(objects, "Cluster")
    assert cluster["spec"]["instances"] >= 2
    databases = {cluster["spec"]["bootstrap"]["initdb"]["database"]}
    for db in checks.of_kind(objects, "Database"):
        assert db["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
        assert db["spec"]["owner"] == cluster["spec"]["bootstrap"]["initdb"]["owner"]
        databases.add(db["spec"]["name"])
    assert checks.database_names(objects) <= databases
    scaled = {h["spec"]["scaleTargetRef"]["name"] for h in checks.of_kind(objects, "HorizontalPodAutoscaler")}
    assert scaled == {"gateway", "workflow"}
    (ingress,) = checks.of_kind(objects, "Ingress")
    hosts = {h for rule in ingress["spec"]["rules"] for h in [rule["host"]]}
    assert hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}, "every host is served over TLS"
    materials = next(
        o for o in checks.of_kind(objects, "PersistentVolumeClaim") if o["metadata"]["name"] == "intake-materials"
    )
    assert materials["spec"]["accessModes"] == ["ReadWriteMany"], "several intake replicas share the files"
    images = {c["image"] for o in checks.suite_workloads(objects) for c in o["spec"]["template"]["spec"]["containers"]}
    assert len(images) == 1, "one image for every process"
