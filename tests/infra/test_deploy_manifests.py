"""The deployment files in docs/deploy/, checked offline: the Kubernetes manifests against the
API's schemas (kubernetes-validate, strict, from its own venv .venv-k8s: its jsonschema clashes
with Rasa's pin), and both them and the compose file against the product itself: the ports and
health paths the processes really use, every environment name one the settings know, every
secret from a Secret or the environment and never written in the file."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from bot.infra.action_server import OPEN_PATHS
from bot.infra.supervisor import RASA_ENDPOINTS, process_commands
from bot.settings import ROOT, Settings

DEPLOY = ROOT / "docs" / "deploy"
K8S = sorted((DEPLOY / "k8s").glob("*.yaml"))
VALIDATE = ROOT / ".venv-k8s" / "bin" / "kubernetes-validate"
KINDS = ("gateway", "rasa", "actions", "campaign-worker")
SECRETS = {
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_PASSWORD",
    "REMINDERBOT_API_TOKEN",
    "REMINDERBOT_SECRET_KEY",
    "ACTIONS_SECRET",
    "VERIFICATION_KEY",
    "AUDIT_CHECKPOINT_KEY",
    "TWILIO_AUTH_TOKEN",
    "METRICS_TOKEN",
    "POSTGRES_PASSWORD",
}
DEFAULTS = Settings()
SETTINGS_NAMES = {f.field_info.extra["env"] for f in Settings.__fields__.values()}


def rasa_reads() -> set[str]:
    """The ${NAMES} Rasa's endpoints file reads (its comments aside)."""
    lines = [line.split("#")[0] for line in RASA_ENDPOINTS.read_text().splitlines()]
    return set(re.findall(r"\$\{(\w+)\}", "\n".join(lines)))


# Read by Rasa's endpoints file, by Rasa itself, by the OS, or by Kubernetes' own substitution.
OTHER_NAMES = rasa_reads() | {
    "RASA_TELEMETRY_ENABLED",
    "TF_CPP_MIN_LOG_LEVEL",
    "SQLALCHEMY_SILENCE_UBER_WARNING",
    "HOME",
    "POD_NAME",
}


def documents() -> list[dict]:
    return [doc for path in K8S for doc in yaml.safe_load_all(path.read_text()) if doc]


def find(kind: str, name: str) -> dict:
    return next(d for d in documents() if d["kind"] == kind and d["metadata"]["name"] == name)


def container(name: str) -> dict:
    (only,) = find("Deployment", name)["spec"]["template"]["spec"]["containers"]
    return only


def config() -> dict[str, str]:
    return find("ConfigMap", "reminderbot-config")["data"]


def env_of(name: str) -> dict[str, dict | str]:
    """The container's environment: ConfigMap values, then its own entries (value or ref)."""
    env: dict[str, dict | str] = dict(config())
    for entry in container(name).get("env", []):
        env[entry["name"]] = entry.get("value", entry.get("valueFrom"))
    return env


def need_validator() -> None:
    """In CI the validator must be there (`make test` installs it); elsewhere the test says so."""
    if not VALIDATE.exists():
        message = "kubernetes-validate is missing: `make .venv-k8s/.installed` (make test does it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_the_manifests_pass_the_kubernetes_schemas_strictly():
    need_validator()
    done = subprocess.run(
        [str(VALIDATE), "--strict", "--no-warn", *map(str, K8S)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    passed = done.stdout.count(" passed for resource ")
    assert passed == len(documents()), done.stdout  # every resource of every file was checked


def test_a_bad_manifest_is_refused_by_the_validator(tmp_path):
    need_validator()
    bad = find("Deployment", "gateway")
    bad["spec"]["replicas"] = "two"
    bad["spec"]["template"]["spec"]["containers"][0]["probes"] = {}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    done = subprocess.run(
        [str(VALIDATE), "--strict", str(path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode != 0


def test_each_process_kind_has_a_deployment_and_its_service_matches():
    ports = {"gateway": DEFAULTS.gateway_port, "rasa": DEFAULTS.rasa_port}
    ports["actions"] = DEFAULTS.actions_port
    for kind in KINDS:
        deployment = find("Deployment", kind)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        if kind not in ports:
            continue  # the worker listens on nothing; nothing calls it
        service = find("Service", kind)
        assert service["spec"]["selector"].items() <= labels.items()
        (port,) = service["spec"]["ports"]
        (declared,) = container(kind)["ports"]
        assert port["targetPort"] == declared["name"]
        # The port the settings give the process is the one it declares and is reached on.
        assert declared["containerPort"] == port["port"] == ports[kind]
    assert int(config()["GATEWAY_PORT"]) == DEFAULTS.gateway_port
    assert urlparse(config()["RASA_URL"]).port == DEFAULTS.rasa_port
    assert urlparse(config()["ACTIONS_URL"]).port == DEFAULTS.actions_port


def test_the_commands_are_the_products_own():
    names = set(process_commands(DEFAULTS))
    for kind in ("gateway", "actions"):
        args = container(kind)["args"]
        assert args[0] == "serve" and args[1] in names
    rasa = container("rasa")
    args = rasa["command"] + rasa["args"]
    ours = process_commands(DEFAULTS)["rasa"]
    # Rasa as the supervisor runs it, listening on the pod's address instead of loopback.
    for option in ("--endpoints", "--credentials", "-p"):
        value = args[args.index(option) + 1]
        assert value == ours[ours.index(option) + 1]
    assert (ROOT / args[args.index("--endpoints") + 1]).exists()
    assert args[args.index("-i") + 1] == "0.0.0.0"  # noqa: S104 - a pod listens on its address
    assert container("campaign-worker")["args"][:2] == ["campaign", "worker"]


def probe_paths(kind: str) -> set[str]:
    c = container(kind)
    return {
        c[probe]["httpGet"]["path"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe")
        if "httpGet" in c.get(probe, {})
    }


def test_probes_ask_the_health_endpoints():
    from bot.gateway.app import create_app

    gateway_paths = {route.path for route in create_app(DEFAULTS).routes}
    assert probe_paths("gateway") == {"/health"} <= gateway_paths
    assert probe_paths("actions") == {"/health"} <= OPEN_PATHS  # open without the secret
    assert probe_paths("rasa") == {"/"}  # what bot/infra/rasa_client.py's healthy() asks
    for kind in ("gateway", "rasa", "actions"):
        assert {"readinessProbe", "livenessProbe"} <= set(container(kind))


def test_the_gateway_scales_and_the_load_balancer_reaches_it():
    hpa = find("HorizontalPodAutoscaler", "gateway")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "gateway",
    }
    assert hpa["spec"]["minReplicas"] >= 2
    assert container("gateway")["resources"]["requests"]["cpu"]  # what utilisation is of
    ingress = find("Ingress", "reminderbot")
    backends = [
        path["backend"]["service"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    service_ports = {p["name"] for p in find("Service", "gateway")["spec"]["ports"]}
    assert backends and all(b["name"] == "gateway" for b in backends)
    assert all(b["port"]["name"] in service_ports for b in backends)


def test_redis_and_postgresql_are_external_services_the_urls_name():
    for name in ("redis", "postgres"):
        assert find("Service", name)["spec"]["type"] == "ExternalName"
    secret = find("Secret", "reminderbot-secrets")["stringData"]
    assert urlparse(secret["DATABASE_URL"]).hostname == "postgres"
    assert urlparse(secret["REDIS_URL"]).hostname == "redis" == config()["REDIS_HOST"]


def test_secrets_only_from_the_secret():
    secret = find("Secret", "reminderbot-secrets")["stringData"]
    assert not SECRETS & set(config())
    assert all(value == "REPLACE_ME" or "REPLACE_ME" in value for value in secret.values())
    for kind in KINDS:
        for entry in container(kind).get("env", []):
            if entry["name"] in SECRETS:
                ref = entry["valueFrom"]["secretKeyRef"]
                assert ref["name"] == "reminderbot-secrets" and ref["key"] in secret
                assert "value" not in entry


def test_every_environment_name_is_one_the_processes_read():
    for kind in KINDS:
        unknown = set(env_of(kind)) - SETTINGS_NAMES - OTHER_NAMES
        assert not unknown, (kind, unknown)
    # Rasa gets every variable its endpoints file reads.
    assert rasa_reads() <= set(env_of("rasa"))


# --- the single-host compose file ----------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_services_ports_and_health_checks():
    services = compose()["services"]
    assert set(services) == {"redis", "postgres", *KINDS}
    gateway = services["gateway"]
    env = gateway["environment"]
    assert gateway["ports"] == [f"127.0.0.1:{DEFAULTS.gateway_port}:{env['GATEWAY_PORT']}"]
    expected = {
        "gateway": (env["GATEWAY_PORT"], "/health"),
        "actions": (env["ACTIONS_PORT"], "/health"),
        "rasa": (env["RASA_PORT"], "/"),
    }
    for name, (port, path) in expected.items():
        test = " ".join(services[name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}{path}'" in test, (name, test)
    for name in ("redis", "postgres"):
        assert services[name]["healthcheck"]["test"]
    assert urlparse(env["RASA_URL"]).port == int(env["RASA_PORT"]) == DEFAULTS.rasa_port
    assert urlparse(env["ACTIONS_URL"]).port == int(env["ACTIONS_PORT"])
    # Nothing starts before what it needs answers its health check.
    for name, needs in {
        "gateway": {"rasa", "actions"},
        "actions": {"postgres", "redis"},
        "rasa": {"redis"},
    }.items():
        depends = services[name]["depends_on"]
        assert set(depends) == needs
        assert {d["condition"] for d in depends.values()} == {"service_healthy"}


def test_compose_secrets_come_from_the_environment_and_names_are_known():
    services = compose()["services"]
    for name, service in services.items():
        env = service.get("environment", {})
        for key, value in env.items():
            if key in SECRETS:
                # ${NAME:?...}: refused when unset; a URL carries its password the same way.
                assert re.search(r"\$\{\w+:[?-]", str(value)), (name, key, value)
            if name in KINDS:
                assert key in SETTINGS_NAMES | OTHER_NAMES, (name, key)
    url = re.sub(r"\$\{[^}]*\}", "x", services["gateway"]["environment"]["DATABASE_URL"])
    assert urlparse(url).hostname == "postgres"
    assert rasa_reads() <= set(services["rasa"]["environment"])


def test_the_readme_says_they_are_not_exercised_here():
    readme = (ROOT / "README.md").read_text()
    assert "docs/deploy/" in readme and "not exercised" in readme
    assert Path(DEPLOY / "README.md").exists()
