"""Issue 18: the Kubernetes manifests in deploy/kubernetes/ agree with the code — valid objects for
the Kubernetes API, probes on paths the running bot serves, a termination grace the bot's own
shutdown fits in, and only environment variables the configuration table knows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.config import VARIABLES
from tests.conftest import RunningBot

MANIFESTS = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"
# The oldest release the manifests promise to work on, and the newest the schemas know.
KUBERNETES_VERSIONS = ("1.31.0", kubernetes_validate.latest_version())
DEFAULTS = {variable.name: variable.default for variable in VARIABLES}


def _objects() -> dict[str, dict[str, Any]]:
    """Every object in the folder by kind (one of each kind), the kustomization included."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert document["kind"] not in found, f"second {document['kind']} in {path.name}"
            found[document["kind"]] = {**document, "_file": path.name}
    return found


OBJECTS = _objects()
DEPLOYMENT = OBJECTS["Deployment"]
POD = DEPLOYMENT["spec"]["template"]["spec"]
[BOT] = POD["containers"]


def _env(container: dict[str, Any], name: str) -> str:
    """The container's value for a setting, or the code's default when it sets none."""
    values = {item["name"]: item["value"] for item in container.get("env", [])}
    default = DEFAULTS[name]
    assert default is not None
    return values.get(name, default)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("kind", sorted(set(OBJECTS) - {"Kustomization"}))
def test_each_object_is_valid_for_the_kubernetes_api(kind: str, version: str) -> None:
    resource = {k: v for k, v in OBJECTS[kind].items() if k != "_file"}
    kubernetes_validate.validate(resource, version, strict=True)


def test_the_kustomization_applies_everything_but_the_secret_template() -> None:
    listed = set(OBJECTS["Kustomization"]["resources"])
    files = {
        obj["_file"] for kind, obj in OBJECTS.items() if kind not in ("Kustomization", "Secret")
    }
    assert listed == files
    assert OBJECTS["Secret"]["_file"] == "secret.example.yaml"


def test_the_deployment_runs_several_hardened_replicas_in_http_mode() -> None:
    assert DEPLOYMENT["spec"]["replicas"] >= 2
    assert BOT["args"] == ["run"]
    assert POD["securityContext"]["runAsNonRoot"] is True
    assert BOT["securityContext"]["readOnlyRootFilesystem"] is True
    assert BOT["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"cpu", "memory"} <= set(BOT["resources"]["requests"])
    everywhere = yaml.safe_dump([obj for obj in OBJECTS.values()])
    assert "SLACK_APP_TOKEN" not in everywhere, "an app token would switch to Socket Mode"


def test_probes_use_the_port_the_bot_listens_on() -> None:
    [port] = BOT["ports"]
    assert port["containerPort"] == int(_env(BOT, "PORT"))
    for probe in ("readinessProbe", "livenessProbe"):
        assert BOT[probe]["httpGet"]["port"] == port["name"]
    [service_port] = OBJECTS["Service"]["spec"]["ports"]
    assert service_port["targetPort"] == port["name"]
    annotations = DEPLOYMENT["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == port["containerPort"]


async def test_probe_and_scrape_paths_are_served_by_the_running_bot(bot: RunningBot) -> None:
    readiness = BOT["readinessProbe"]["httpGet"]["path"]
    liveness = BOT["livenessProbe"]["httpGet"]["path"]
    scrape = DEPLOYMENT["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"]
    assert (readiness, liveness) == ("/readyz", "/healthz")
    for path in (readiness, liveness, scrape):
        assert (await bot.http.get(path)).status_code == 200, path


def test_termination_grace_outlasts_the_bots_own_shutdown() -> None:
    shutdown = float(_env(BOT, "SHUTDOWN_GRACE_SECONDS"))
    pre_stop = BOT["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    # BotServer.stop lets answers and background work finish within one shared grace period.
    assert POD["terminationGracePeriodSeconds"] > float(pre_stop[1]) + shutdown


def test_every_variable_named_is_in_the_configuration_table() -> None:
    named = set(OBJECTS["Secret"]["stringData"])
    for kind in ("Deployment", "Job"):
        for container in OBJECTS[kind]["spec"]["template"]["spec"]["containers"]:
            named |= {item["name"] for item in container.get("env", [])}
    assert named, "the manifests name variables"
    assert named <= set(DEFAULTS), named - set(DEFAULTS)
    required = {name for name, default in DEFAULTS.items() if default is None}
    assert required | {"SLACK_SIGNING_SECRET", "DATABASE_URL"} <= set(
        OBJECTS["Secret"]["stringData"]
    )


def test_the_migrate_job_and_the_pods_share_the_secret_and_image() -> None:
    [migrate] = OBJECTS["Job"]["spec"]["template"]["spec"]["containers"]
    assert migrate["args"] == ["migrate"]
    assert migrate["image"] == BOT["image"]
    secret = OBJECTS["Secret"]["metadata"]["name"]
    for container in (migrate, BOT):
        assert container["envFrom"] == [{"secretRef": {"name": secret}}]


def test_service_and_disruption_budget_select_the_bot_pods() -> None:
    pod_labels = DEPLOYMENT["spec"]["template"]["metadata"]["labels"]
    assert DEPLOYMENT["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert OBJECTS["Service"]["spec"]["selector"].items() <= pod_labels.items()
    budget = OBJECTS["PodDisruptionBudget"]["spec"]
    assert budget["selector"]["matchLabels"].items() <= pod_labels.items()
    assert budget["minAvailable"] < DEPLOYMENT["spec"]["replicas"]
