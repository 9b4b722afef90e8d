#!/usr/bin/python3
"""Writes the PrometheusRule of deploy/k8s/components/monitoring from rules/loadlab-alerts.yaml.

The rule file is the one promtool checks and unit-tests; the operator's PrometheusRule must carry
exactly the same groups, so it is generated, and `--check` (run by CTest) fails when it is stale.
"""
import pathlib
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
RULES = HERE / "rules" / "loadlab-alerts.yaml"
OUTPUT = HERE.parent / "k8s" / "components" / "monitoring" / "prometheusrule.yaml"
HEADER = (
    "# GENERATED from deploy/monitoring/rules/loadlab-alerts.yaml by\n"
    "# deploy/monitoring/render_prometheusrule.py: edit the rule file, then rerun the script.\n"
)


class _BlockStyleDumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, text):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockStyleDumper.add_representer(str, _str_representer)


def render() -> str:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "loadlab-alerts",
            # kube-prometheus-stack selects rules by its release label unless told otherwise.
            "labels": {"app.kubernetes.io/name": "loadlab", "release": "kube-prometheus-stack"},
        },
        "spec": {"groups": groups},
    }
    return HEADER + yaml.dump(rule, Dumper=_BlockStyleDumper, sort_keys=False, width=200)


def main() -> int:
    text = render()
    if sys.argv[1:] == ["--check"]:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run {pathlib.Path(__file__).name}", file=sys.stderr)
            return 1
        print("prometheusrule.yaml matches the rule file")
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
