#!/usr/bin/python3
"""Renders every kustomization under deploy/k8s and checks the wiring the seeds got wrong.

Usage: check_manifests.py REPO_ROOT [LOADLAB_BINARY] [--dump-json DIR]
Checks (each failure is printed with the rendering and object it concerns):
  - Service selectors select a workload's pod template labels, and their targetPort exists;
  - workload selectors match their own template labels;
  - the ServiceMonitor selects Services by labels they carry, its port names exist on them, and
    every job="..." in the alert rules and dashboard is a Service it scrapes;
  - every httpGet probe path is a real route of `loadlab serve` for the container's role (asked
    of a running server when the binary serves; otherwise read from the route table in src/);
  - containers listen on 0.0.0.0 and expose the port their --listen flag names;
  - terminationGracePeriodSeconds > drain timeout (30 s) + preStop sleep;
  - every container sets requests and limits; the target has the seed's 250m/256Mi, 500m/512Mi;
  - secret keys, ConfigMaps and PVCs referenced by pods exist; HPA targets exist and have CPU
    requests; the queue_ratio HPA metric is the one the prometheus-adapter rule serves;
  - the Indexed Job: completions == parallelism == SHARDS, shard and merge file names agree;
  - every metric in the dashboard, rules and adapter rule is registered in src/ (the exporter);
  - dashboard ConfigMap labelled grafana_dashboard="1" holding the dashboard JSON file.
"""
import json
import pathlib
import re
import shlex
import subprocess
import sys

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import deploy_model  # noqa: E402

DRAIN_TIMEOUT_SECONDS = 30  # loadlab serve's default (SPEC 2.4)
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")


class Report:
    def __init__(self):
        self.failures = []
        self.passes = 0

    def check(self, condition, message):
        if condition:
            self.passes += 1
        else:
            self.failures.append(message)
        return condition


def labels_match(selector_labels, labels):
    return all(labels.get(key) == value for key, value in (selector_labels or {}).items())


def expressions_match(expressions, labels):
    for expression in expressions or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def pod_spec(workload):
    return workload["spec"]["template"]["spec"]


def all_containers(workload):
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec.get("containers", [])


def loadlab_args(container):
    """The loadlab argument list of a container, or None when it does not run loadlab."""
    if container.get("image", "").split(":")[0].split("/")[-1] != "loadlab":
        return None
    command = container.get("command", [])
    args = container.get("args", [])
    if command[:2] == ["/bin/sh", "-c"]:
        return shlex.split(" ".join(args).replace("\\\n", " "), comments=True)
    return command[1:] + args if command else args


def flag_value(args, flag):
    for index, arg in enumerate(args):
        if arg == flag and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def seconds(quantity):
    return float(str(quantity).rstrip("s"))


def check_rendering(name, objects, context, report):
    by_kind = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    workloads = [obj for kind in WORKLOAD_KINDS for obj in by_kind.get(kind, [])]
    where = f"[{name}]"
    for obj in objects:
        if obj["kind"] != "Namespace":
            report.check(obj["metadata"].get("namespace") == "loadlab",
                         f"{where} {obj['kind']}/{obj['metadata']['name']}: not in namespace loadlab "
                         f"(would land in kubectl's current namespace)")

    for workload in by_kind.get("Deployment", []) + by_kind.get("StatefulSet", []):
        selector = workload["spec"]["selector"].get("matchLabels", {})
        template_labels = workload["spec"]["template"]["metadata"].get("labels", {})
        report.check(labels_match(selector, template_labels),
                     f"{where} {workload['kind']}/{workload['metadata']['name']}: selector {selector} "
                     f"does not match its template labels {template_labels}")

    services = by_kind.get("Service", [])
    for service in services:
        selector = service["spec"].get("selector", {})
        selected = [w for w in workloads
                    if labels_match(selector, w["spec"]["template"]["metadata"].get("labels", {}))
                    and w["kind"] != "Job"]
        if not report.check(selector and selected,
                            f"{where} Service/{service['metadata']['name']}: selector {selector} selects no pods"):
            continue
        ports = [p for w in selected for c in pod_spec(w)["containers"] for p in c.get("ports", [])]
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            report.check(any(p.get("name") == target or p["containerPort"] == target for p in ports),
                         f"{where} Service/{service['metadata']['name']}: targetPort {target} is no container port")
        if service["spec"].get("clusterIP") == "None":
            report.check(any(w["kind"] == "StatefulSet" and w["spec"]["serviceName"] == service["metadata"]["name"]
                             for w in selected),
                         f"{where} headless Service/{service['metadata']['name']} is not a StatefulSet's serviceName")

    for workload in workloads:
        wname = f"{where} {workload['kind']}/{workload['metadata']['name']}"
        spec = pod_spec(workload)
        pre_stop_seconds = 0
        for container in all_containers(workload):
            cname = f"{wname} container {container['name']}"
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    report.check(resource in resources.get(part, {}), f"{cname}: no {part}.{resource}")
            args = loadlab_args(container)
            if args is not None and args[:1] == ["serve"]:
                role = flag_value(args, "--role") or "target"
                listen = flag_value(args, "--listen") or ""
                host, _, port = listen.rpartition(":")
                report.check(host == "0.0.0.0",
                             f"{cname}: --listen {listen!r} is unreachable from outside the pod (use 0.0.0.0)")
                container_ports = {p["containerPort"]: p.get("name") for p in container.get("ports", [])}
                report.check(port.isdigit() and int(port) in container_ports,
                             f"{cname}: --listen port {port} is not a containerPort {list(container_ports)}")
                env_names = {e["name"] for e in container.get("env", [])}
                report.check("LOADLAB_ADMIN_TOKEN" in env_names,
                             f"{cname}: listens beyond loopback without LOADLAB_ADMIN_TOKEN")
                for probe_kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                    probe = container.get(probe_kind)
                    if not report.check(probe is not None, f"{cname}: no {probe_kind}"):
                        continue
                    http_get = probe.get("httpGet")
                    if not report.check(http_get is not None, f"{cname}: {probe_kind} is not an httpGet probe"):
                        continue
                    probe_port = http_get["port"]
                    report.check(probe_port in container_ports.values() or probe_port in container_ports,
                                 f"{cname}: {probe_kind} port {probe_port} is not a container port")
                    report.check(http_get["path"] in context["routes"](role),
                                 f"{cname}: {probe_kind} path {http_get['path']} is not a route of "
                                 f"`loadlab serve --role {role}` ({context['route_source']})")
                report.check(container["livenessProbe"]["httpGet"]["path"] == "/liveness"
                             and container["readinessProbe"]["httpGet"]["path"] == "/readiness",
                             f"{cname}: liveness must be /liveness and readiness /readiness (overload "
                             f"may fail readiness, never liveness)")
                pre_stop = container.get("lifecycle", {}).get("preStop", {})
                command = pre_stop.get("exec", {}).get("command", [])
                if report.check(command[:1] == ["sleep"] and len(command) == 2,
                                f"{cname}: preStop must pause with an exec sleep the image has"):
                    pre_stop_seconds = max(pre_stop_seconds, seconds(command[1]))
                drain = flag_value(args, "--drain-timeout")
                drain_seconds = seconds(drain) if drain else DRAIN_TIMEOUT_SECONDS
                grace = spec.get("terminationGracePeriodSeconds", 30)
                report.check(grace > drain_seconds + pre_stop_seconds,
                             f"{cname}: terminationGracePeriodSeconds {grace} <= drain {drain_seconds} + "
                             f"preStop {pre_stop_seconds}")
                if role == "target":
                    report.check(resources.get("requests") == {"cpu": "250m", "memory": "256Mi"}
                                 and resources.get("limits") == {"cpu": "500m", "memory": "512Mi"},
                                 f"{cname}: resources {resources} are not the seeds' 250m/256Mi, 500m/512Mi")
                    report.check(any(e["name"] == "LOADLAB_DB" and e.get("value", "").startswith("postgresql://")
                                     for e in container.get("env", [])) or
                                 (flag_value(args, "--db") or "").startswith("postgresql://"),
                                 f"{cname}: the target's --db does not point at PostgreSQL")
                    memory_ref = next((e["valueFrom"].get("resourceFieldRef") for e in container.get("env", [])
                                       if e["name"] == "LOADLAB_MEMORY_LIMIT" and "valueFrom" in e), None)
                    report.check(memory_ref == {"containerName": container["name"], "resource": "limits.memory"},
                                 f"{cname}: LOADLAB_MEMORY_LIMIT must come from its own limits.memory")
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    secrets = [s for s in by_kind.get("Secret", []) if s["metadata"]["name"] == ref["name"]]
                    keys = set(secrets[0].get("stringData", {})) | set(secrets[0].get("data", {})) if secrets else set()
                    report.check(ref["key"] in keys, f"{cname}: secret {ref['name']} has no key {ref['key']}")
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                report.check(any(c["metadata"]["name"] == volume["configMap"]["name"]
                                 for c in context["all_objects"] if c["kind"] == "ConfigMap"),
                             f"{wname}: ConfigMap {volume['configMap']['name']} does not exist")
            if "persistentVolumeClaim" in volume:
                claim = volume["persistentVolumeClaim"]["claimName"]
                report.check(any(c["metadata"]["name"] == claim
                                 for c in context["all_objects"] if c["kind"] == "PersistentVolumeClaim"),
                             f"{wname}: PVC {claim} does not exist")
        if workload["kind"] == "StatefulSet":
            report.check(workload["spec"].get("volumeClaimTemplates"),
                         f"{wname}: a database StatefulSet needs a volumeClaimTemplate")

    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        hname = f"{where} HPA/{hpa['metadata']['name']}"
        ref = hpa["spec"]["scaleTargetRef"]
        targets = [w for w in workloads if w["kind"] == ref["kind"] and w["metadata"]["name"] == ref["name"]]
        if not report.check(targets, f"{hname}: scale target {ref['kind']}/{ref['name']} does not exist"):
            continue
        for metric in hpa["spec"]["metrics"]:
            if metric["type"] == "Resource" and metric["resource"]["name"] == "cpu":
                report.check(all("cpu" in c.get("resources", {}).get("requests", {})
                                 for c in pod_spec(targets[0])["containers"]),
                             f"{hname}: CPU utilisation needs CPU requests (seed 002's 'missing request for cpu')")
                report.check(metric["resource"]["target"].get("averageUtilization") == 70,
                             f"{hname}: CPU target is not 70 %")
            elif metric["type"] == "Pods":
                report.check(metric["pods"]["metric"]["name"] in context["adapter_metrics"],
                             f"{hname}: Pods metric {metric['pods']['metric']['name']} is not served by the "
                             f"prometheus-adapter rule ({sorted(context['adapter_metrics'])})")
            else:
                report.check(False, f"{hname}: unexpected metric type {metric['type']}")
        behavior = hpa["spec"].get("behavior", {})
        report.check(behavior.get("scaleDown", {}).get("stabilizationWindowSeconds") == 300
                     and behavior.get("scaleUp", {}).get("selectPolicy") == "Max",
                     f"{hname}: scale-up/down behaviour differs from the seed's")

    for monitor in by_kind.get("ServiceMonitor", []):
        mname = f"{where} ServiceMonitor/{monitor['metadata']['name']}"
        selector = monitor["spec"]["selector"]
        namespaces = monitor["spec"].get("namespaceSelector", {}).get("matchNames",
                                                                        [monitor["metadata"].get("namespace")])
        matched = [s for s in services if s["metadata"].get("namespace") in namespaces
                   and labels_match(selector.get("matchLabels"), s["metadata"].get("labels", {}))
                   and expressions_match(selector.get("matchExpressions"), s["metadata"].get("labels", {}))]
        if not report.check(matched, f"{mname}: selector {selector} matches no Service's labels"):
            continue
        for endpoint in monitor["spec"]["endpoints"]:
            for service in matched:
                report.check(any(p.get("name") == endpoint.get("port") for p in service["spec"]["ports"]),
                             f"{mname}: port {endpoint.get('port')!r} is not a named port of "
                             f"Service/{service['metadata']['name']}")
            report.check(endpoint.get("path", "/metrics") in context["routes"]("target"),
                         f"{mname}: path {endpoint.get('path')} is not a route")
        scraped_jobs = {s["metadata"]["name"] for s in matched}
        for job in sorted(context["jobs_used"]):
            report.check(job in scraped_jobs,
                         f"{mname}: rules/dashboard filter on job={job!r}, which it does not scrape ({scraped_jobs})")

    for config_map in by_kind.get("ConfigMap", []):
        if "loadlab.json" in config_map.get("data", {}):
            report.check(config_map["metadata"].get("labels", {}).get("grafana_dashboard") == "1",
                         f"{where} ConfigMap/{config_map['metadata']['name']}: no grafana_dashboard=\"1\" label")
            report.check(json.loads(config_map["data"]["loadlab.json"]) == context["dashboard"],
                         f"{where} dashboard ConfigMap does not hold the dashboard JSON file")

    for job in by_kind.get("Job", []):
        jname = f"{where} Job/{job['metadata']['name']}"
        container = pod_spec(job)["containers"][0]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        script = " ".join(container.get("args", []))
        report.check(pod_spec(job).get("restartPolicy") == "Never", f"{jname}: restartPolicy must be Never")
        if job["spec"].get("completionMode") == "Indexed":
            spec = job["spec"]
            report.check(spec["completions"] == spec["parallelism"] == int(env.get("SHARDS", -1)),
                         f"{jname}: completions {spec['completions']}, parallelism {spec['parallelism']} and "
                         f"SHARDS {env.get('SHARDS')} must be equal")
            report.check('--shard "$((JOB_COMPLETION_INDEX+1))/${SHARDS}"' in script
                         and '--out "json=/results/shard-${JOB_COMPLETION_INDEX}.json"' in script,
                         f"{jname}: shard i/N and the result file must come from JOB_COMPLETION_INDEX")
            mounted = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            scenario = re.search(r"loadlab run (\S+)", script).group(1)
            volume = next(v for v in pod_spec(job)["volumes"] if v["name"] == mounted.get(str(pathlib.PurePath(scenario).parent)))
            config = next(c for c in context["all_objects"]
                          if c["kind"] == "ConfigMap" and c["metadata"]["name"] == volume["configMap"]["name"])
            report.check(pathlib.PurePath(scenario).name in config["data"],
                         f"{jname}: scenario {scenario} is not a key of ConfigMap {config['metadata']['name']}")
            context["shard_counts"].append(int(env.get("SHARDS", -1)))
        elif "loadlab merge" in script:
            report.check("/results/shard-*.json" in script and "-o /results/merged.json" in script,
                         f"{jname}: merge must read /results/shard-*.json and write /results/merged.json")
            context["merge_counts"].append(int(env.get("SHARDS", -1)))


def main():
    repo = pathlib.Path(sys.argv[1]).resolve()
    binary = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else None
    dump_dir = pathlib.Path(sys.argv[sys.argv.index("--dump-json") + 1]) if "--dump-json" in sys.argv else None
    report = Report()

    rules = yaml.safe_load((repo / "deploy/monitoring/rules/loadlab-alerts.yaml").read_text())
    dashboard = json.loads((repo / "deploy/k8s/components/monitoring/dashboards/loadlab.json").read_text())
    adapter = yaml.safe_load((repo / "deploy/monitoring/prometheus-adapter/values.yaml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [v["definition"] for v in dashboard["templating"]["list"] if "definition" in v]
    adapter_metrics = set()
    for rule in adapter["rules"]["custom"]:
        exprs.append(rule["seriesQuery"])
        adapter_metrics.add(rule["name"]["as"])

    # Every metric used must be registered by the exporter (src/); only named externals are allowed.
    used = set()
    for expr in exprs:
        used |= deploy_model.metric_names_in(expr)
    candidates = {name for series in used for name in
                  [series] + [series[: -len(s)] for s in deploy_model.HISTOGRAM_SUFFIXES if series.endswith(s)]}
    registered = deploy_model.registered_metric_families(repo, candidates)
    for series in sorted(used - deploy_model.EXTERNAL_METRICS):
        report.check(deploy_model.family_of(series, registered) is not None,
                     f"metric {series} is used by a rule, panel or adapter rule but registered nowhere in src/")
    print(f"metrics used: {len(used)} ({len(used & deploy_model.EXTERNAL_METRICS)} from kube-state-metrics)")

    panel_ids = [p["id"] for p in dashboard["panels"]]
    report.check(len(panel_ids) == len(set(panel_ids)), "dashboard panel ids are not unique")
    for panel in dashboard["panels"]:
        report.check(panel.get("targets") and all(t.get("expr") and t.get("refId") for t in panel["targets"]),
                     f"dashboard panel {panel.get('title')!r} has a target without expr/refId")

    jobs_used = set()
    for expr in exprs:
        jobs_used |= set(re.findall(r'job="([a-z0-9-]+)"', expr))
        for alternatives in re.findall(r'job=~"([a-z0-9|-]+)"', expr):
            jobs_used |= set(alternatives.split("|"))
    local = yaml.safe_load((repo / "deploy/local/prometheus.yml").read_text())
    local_jobs = {c["job_name"] for c in local["scrape_configs"]}
    report.check(jobs_used <= local_jobs, f"deploy/local/prometheus.yml lacks jobs {jobs_used - local_jobs}")

    route_source = "source"
    live_routes = {}
    if binary and binary.exists():
        for role in ("target", "downstream"):
            try:
                server = deploy_model.ServeProcess(binary, role)
            except RuntimeError as error:
                print(f"note: {error}; probe paths are checked against the route table in src/")
                live_routes = {}
                break
            try:
                live_routes[role] = server
                probes = ["/liveness", "/readiness", "/health", "/healthz", "/metrics", "/startup"]
                live_routes[role] = {path for path in probes
                                     if deploy_model.http_status(server.base_url + path) not in (404, 405)}
            finally:
                server.stop()
    if live_routes:
        route_source = "asked a running loadlab serve"
    source_routes = deploy_model.routes_from_source(repo)
    print(f"probe paths checked against: {route_source}")

    context = {
        "routes": (lambda role: live_routes[role]) if live_routes else (lambda role: source_routes),
        "route_source": route_source,
        "adapter_metrics": adapter_metrics,
        "dashboard": dashboard,
        "jobs_used": jobs_used,
        "shard_counts": [],
        "merge_counts": [],
    }
    renderings = {}
    for directory in deploy_model.kustomization_dirs(repo):
        name = str(directory.relative_to(repo / "deploy" / "k8s"))
        try:
            renderings[name] = deploy_model.render(directory)
            report.check(True, "")
        except RuntimeError as error:
            report.check(False, str(error))
    context["all_objects"] = [obj for objects in renderings.values() for obj in objects]
    for expected in ("base", "overlays/minikube", "overlays/kind", "overlays/kind-queue-ratio",
                     "loadgen/shards", "loadgen/merge"):
        report.check(expected in renderings, f"kustomization {expected} missing or not rendered")
    for name, objects in renderings.items():
        print(f"rendered {name}: {len(objects)} objects")
        check_rendering(name, objects, context, report)
        if dump_dir:
            dump_dir.mkdir(parents=True, exist_ok=True)
            (dump_dir / (name.replace("/", "_") + ".json")).write_text(json.dumps(objects))
    report.check(context["shard_counts"] and len(set(context["shard_counts"] + context["merge_counts"])) == 1,
                 f"shard job N {context['shard_counts']} and merge job SHARDS {context['merge_counts']} differ")
    report.check(any(o["kind"] == "ServiceMonitor" for o in renderings.get("overlays/kind", [])),
                 "the kind overlay has no ServiceMonitor")
    queue_hpa = [o for o in renderings.get("overlays/kind-queue-ratio", []) if o["kind"] == "HorizontalPodAutoscaler"]
    report.check(queue_hpa and queue_hpa[0]["spec"]["metrics"][0].get("pods", {}).get("target") ==
                 {"type": "AverageValue", "averageValue": "1"},
                 "kind-queue-ratio HPA is not the Pods metric queue_ratio with target 1")
    minikube_policies = {c.get("imagePullPolicy") for o in renderings.get("overlays/minikube", [])
                         if o["kind"] == "Deployment" for c in pod_spec(o)["containers"]}
    report.check(minikube_policies == {"Never"}, f"minikube images must not be pulled: {minikube_policies}")

    # The scenarios the Indexed Job runs must load (`loadlab run FILE --print-config` parses only).
    if binary and binary.exists():
        for scenario in sorted((repo / "deploy/k8s/loadgen").rglob("scenarios/*.yaml")):
            loaded = subprocess.run([str(binary), "run", str(scenario), "--print-config"],
                                    capture_output=True, text=True, timeout=30)
            report.check(loaded.returncode == 0,
                         f"{scenario.relative_to(repo)} does not load: {loaded.stderr.strip()[:300]}")

    for failure in report.failures:
        print(f"FAIL {failure}")
    print(f"{report.passes} passed, {len(report.failures)} failed")
    return 0 if not report.failures else 1


if __name__ == "__main__":
    sys.exit(main())
