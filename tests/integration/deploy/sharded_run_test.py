#!/usr/bin/python3
"""The Indexed Job's command lines, run locally as N processes and merged, match one run.

Usage: sharded_run_test.py REPO_ROOT LOADLAB_BINARY
The shard and merge scripts are taken verbatim from the rendered loadgen Jobs; only the paths
(/scenarios/steady.yaml, /results) are pointed at a temporary directory and the scenario at a
short one: shared-iterations over /api/slow?delay=0.05 (a 50 ms timer, so latency is dominated by
a fixed wait and two runs are comparable). Checks: every shard wrote its file; the merged
request count equals the single run's exactly (shared iterations are split exactly); merged
p50/p90/p95 are within 10/20/25 % of the single run's (two runs differ by scheduling noise far
above the histogram's 0.1 % precision); merged count is the sum of the shard counts; merged min
and max are the shards' extremes.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import deploy_model  # noqa: E402

SHARDS = 4
ITERATIONS = 400
SCENARIO = f"""
scenarios:
  sharded:
    executor: shared-iterations
    vus: 8
    iterations: {ITERATIONS}
    maxDuration: 60s
    requests:
      - name: slow50
        url: /api/slow?delay=0.05
thresholds:
  http_req_failed: ["rate<0.01"]
"""


def job_script(objects, kind_filter):
    job = next(o for o in objects if o["kind"] == "Job" and kind_filter(o))
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    return container["args"][0], env, job


def summary_metric(result, name):
    return result["summary"][name] if "summary" in result else result["metrics"][name]


def main():
    repo = pathlib.Path(sys.argv[1]).resolve()
    binary = pathlib.Path(sys.argv[2]).resolve()
    failures, passes = [], 0

    def report(name, ok, detail=""):
        nonlocal passes
        if ok:
            passes += 1
            print(f"ok   {name}")
        else:
            failures.append(name)
            print(f"FAIL {name}: {detail}")
        return ok

    shard_script, shard_env, shard_job = job_script(deploy_model.render(repo / "deploy/k8s/loadgen/shards"),
                                                   lambda j: j["spec"].get("completionMode") == "Indexed")
    merge_script, merge_env, _ = job_script(deploy_model.render(repo / "deploy/k8s/loadgen/merge"),
                                            lambda j: True)
    report("job N agrees", int(shard_env["SHARDS"]) == shard_job["spec"]["completions"] == int(merge_env["SHARDS"]))

    work = pathlib.Path(tempfile.mkdtemp(prefix="loadlab-shards-"))
    bin_dir = work / "bin"
    bin_dir.mkdir()
    (bin_dir / "loadlab").symlink_to(binary)
    scenario = work / "scenario.yaml"
    scenario.write_text(SCENARIO)
    results = work / "results"
    results.mkdir()

    def localise(script):
        return script.replace("/scenarios/steady.yaml", str(scenario)).replace("/results", str(results))

    target = deploy_model.ServeProcess(binary, "target", ["--db", f"sqlite:{work / 'db.sqlite'}"])
    try:
        base_env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", BASE_URL=target.base_url,
                        SHARDS=str(SHARDS))
        single = subprocess.run(["loadlab", "run", str(scenario), "--quiet", "--out",
                                 f"json={work / 'single.json'}"], env=base_env, capture_output=True,
                                text=True, timeout=120)
        report("single run", single.returncode == 0, single.stderr[-500:])

        processes = [subprocess.Popen(["/bin/sh", "-c", localise(shard_script)],
                                      env=dict(base_env, JOB_COMPLETION_INDEX=str(index)),
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                     for index in range(SHARDS)]
        for index, process in enumerate(processes):
            output, _ = process.communicate(timeout=120)
            report(f"shard {index + 1}/{SHARDS} (JOB_COMPLETION_INDEX={index})", process.returncode == 0, output[-500:])
        merge = subprocess.run(["/bin/sh", "-c", localise(merge_script)], env=base_env,
                               capture_output=True, text=True, timeout=60)
        report("merge job script", merge.returncode == 0, merge.stdout[-300:] + merge.stderr[-500:])
    finally:
        target.stop()

    try:
        one = json.loads((work / "single.json").read_text())
        merged = json.loads((results / "merged.json").read_text())
        shards = [json.loads((results / f"shard-{i}.json").read_text()) for i in range(SHARDS)]
    except (OSError, ValueError) as error:
        report("result files readable", False, error)
        print(f"{passes} passed, {len(failures)} failed")
        shutil.rmtree(work, ignore_errors=True)
        return 1

    one_reqs = summary_metric(one, "http_reqs")["count"]
    merged_reqs = summary_metric(merged, "http_reqs")["count"]
    shard_reqs = [summary_metric(s, "http_reqs")["count"] for s in shards]
    report(f"request count: merged {merged_reqs} == single {one_reqs} == {ITERATIONS}",
           merged_reqs == one_reqs == ITERATIONS, (merged_reqs, one_reqs))
    report(f"merged count is the sum of the shards {shard_reqs}", sum(shard_reqs) == merged_reqs)
    one_duration = summary_metric(one, "http_req_duration")
    merged_duration = summary_metric(merged, "http_req_duration")
    # Two runs on a shared machine differ by scheduling noise far above the histogram's 0.1 %:
    # the 50 ms timer keeps the median tight, the tail gets more room.
    for key, tolerance in (("med", 0.10), ("p(90)", 0.20), ("p(95)", 0.25)):
        a, b = one_duration[key], merged_duration[key]
        report(f"http_req_duration {key}: single {a:.3f} ms, merged {b:.3f} ms (within {tolerance:.0%})",
               abs(a - b) <= tolerance * max(a, b), (a, b))
    for key in ("min", "max"):
        low = min(summary_metric(s, "http_req_duration")[key] for s in shards)
        high = max(summary_metric(s, "http_req_duration")[key] for s in shards)
        expected = low if key == "min" else high
        report(f"merged {key} is the extreme of the shards' ({expected:.3f} ms)",
               abs(merged_duration[key] - expected) <= 0.001 * expected + 1e-3, merged_duration[key])
    shutil.rmtree(work, ignore_errors=True)
    print(f"{passes} passed, {len(failures)} failed")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
