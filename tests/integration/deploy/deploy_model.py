"""Shared helpers of the deploy tests: render kustomizations, find metric names and server routes.

Used by check_manifests.py and prometheus_scrape_test.py (Debian's /usr/bin/python3 + PyYAML).
"""
import json
import pathlib
import re
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import yaml

# Series that come from outside loadlab (kube-state-metrics), allowed only where named.
EXTERNAL_METRICS = {"kube_pod_container_status_restarts_total"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def kustomization_dirs(repo: pathlib.Path):
    """Every directory under deploy/k8s with a Kustomization (components are not renderable alone)."""
    found = []
    for path in sorted((repo / "deploy" / "k8s").rglob("kustomization.yaml")):
        document = yaml.safe_load(path.read_text())
        if document.get("kind", "Kustomization") == "Kustomization":
            found.append(path.parent)
    return found


def render(directory: pathlib.Path):
    """`kubectl kustomize DIR` as a list of objects; raises with kubectl's message on failure."""
    result = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True, text=True,
                            timeout=60, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {directory} failed: {result.stderr.strip()}")
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def metric_names_in(expr: str):
    """Metric names referenced in a PromQL expression written as name{...} or label_values(name, l)."""
    names = set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{", expr))
    names |= set(re.findall(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,", expr))
    return names


def family_of(series_name: str, exported_families):
    """http_request_duration_seconds_bucket -> http_request_duration_seconds (if that is a family)."""
    if series_name in exported_families:
        return series_name
    for suffix in HISTOGRAM_SUFFIXES:
        if series_name.endswith(suffix) and series_name[: -len(suffix)] in exported_families:
            return series_name[: -len(suffix)]
    return None


def registered_metric_families(repo: pathlib.Path, candidates):
    """Which candidate family names appear as a string literal in the exporting code (src/ less the
    lab and cli, which only read metrics)."""
    found = set()
    for source in (repo / "src").rglob("*.cpp"):
        if source.parts[-2] in ("lab", "cli"):
            continue
        text = source.read_text(errors="replace")
        for name in candidates:
            if f'"{name}"' in text:
                found.add(name)
    return found


def routes_from_source(repo: pathlib.Path):
    """Paths registered with router.get/post/put/del("...") anywhere in src/."""
    routes = set()
    pattern = re.compile(r'\.(?:get|post|put|del|delete|route|add)\(\s*"(/[^"]*)"')
    for source in list((repo / "src").rglob("*.cpp")) + list((repo / "src").rglob("*.hpp")):
        routes |= set(pattern.findall(source.read_text(errors="replace")))
    return routes


class ServeProcess:
    """A real `loadlab serve` on 127.0.0.1 port 0; the address comes from its first stdout line.
    Output goes to files (a pipe nobody drains would block a chatty server)."""

    def __init__(self, binary, role, extra_args=(), startup_timeout=15.0):
        self.workdir = tempfile.TemporaryDirectory(prefix=f"loadlab-{role}-")
        args = [str(binary), "serve", "--role", role, "--listen", "127.0.0.1:0", *extra_args]
        out_path = pathlib.Path(self.workdir.name) / "stdout.log"
        err_path = pathlib.Path(self.workdir.name) / "stderr.log"
        with open(out_path, "w") as out, open(err_path, "w") as err:
            self.process = subprocess.Popen(args, cwd=self.workdir.name, stdout=out, stderr=err)
        self.base_url = None
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            first_line = out_path.read_text().split("\n", 1)
            if len(first_line) == 2:
                match = re.match(r"listening on (http://\S+)", first_line[0].strip())
                if match:
                    self.base_url = match.group(1).rstrip("/")
                    return
                break
            time.sleep(0.05)
        stderr = err_path.read_text()
        self.stop()
        raise RuntimeError(f"loadlab serve --role {role} did not start: {stderr.strip()[:300]}")

    @property
    def host_port(self):
        return self.base_url.split("://", 1)[1]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.workdir.cleanup()


def http_status(url, timeout=5.0, method="GET", headers=None, data=None):
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def http_json(url, timeout=10.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())
