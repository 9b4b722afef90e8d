#!/usr/bin/python3
"""Checks deploy/Dockerfile against a real build on this (Debian 12) machine, without Docker.

Usage: dockerfile_check.py REPO_ROOT BUILD_DIR
  - the build stage installs every -dev package of scripts/setup.sh the build needs, and builds
    with the release preset;
  - every COPY from the build context exists in the repository and is not excluded by
    deploy/Dockerfile.dockerignore;
  - every `COPY --from=build` source exists after the build (the build stage's build/release is
    mapped to BUILD_DIR, its /src to the repository);
  - the runtime stage installs, for every shared library `ldd loadlab` lists, the Debian package
    that provides it here (dpkg -S), directly or as an apt dependency of what it installs, and
    never a -dev package;
  - the runtime stage runs as a non-root user and its HEALTHCHECK uses the binary (`loadlab probe`),
    which must exist as a subcommand.
"""
import fnmatch
import pathlib
import re
import subprocess
import sys

# Packages of scripts/setup.sh that only tests, benchmarks or tooling need (not the image build).
NOT_FOR_IMAGE_BUILD = {"libgtest-dev", "libgmock-dev", "libbenchmark-dev", "libclang-rt-14-dev"}


def instructions(text):
    """Dockerfile instructions with continuations joined, as (stage_index, KEYWORD, rest)."""
    joined = re.sub(r"\\\n", " ", text)
    stage = -1
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        yield stage, keyword, rest.strip()


def apt_packages(run_line):
    match = re.search(r"apt-get install ([^&;]*)", run_line)
    return [word for word in match.group(1).split() if not word.startswith("-")] if match else []


def setup_dev_packages(repo):
    text = (repo / "scripts" / "setup.sh").read_text()
    block = re.search(r"DEB_PACKAGES=\((.*?)\)", text, re.S).group(1)
    return {p for p in block.split() if p.endswith("-dev")} - NOT_FOR_IMAGE_BUILD


def dockerignore_allows(patterns, path):
    """Docker's rules, last match wins; patterns like `*` and `!src/`."""
    allowed = True
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        body = body.rstrip("/")
        first = path.split("/")[0]
        if fnmatch.fnmatch(path, body) or fnmatch.fnmatch(first, body) or path.startswith(body + "/"):
            allowed = negate
    return allowed


def library_packages(binary):
    """{library path: Debian package providing it here}, from ldd and one `dpkg -S` call."""
    ldd = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    candidates = {}
    for line in ldd.splitlines():
        match = re.search(r"=>\s*(/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if not match:
            continue  # linux-vdso: provided by the kernel
        path = pathlib.Path(match.group(1))
        # Debian 12 is merged-/usr: dpkg may know the file under /lib or /usr/lib, by either name.
        candidates[str(path)] = {str(path), str(path.resolve()),
                                 str(path).replace("/lib/", "/usr/lib/", 1),
                                 str(path.resolve()).replace("/usr/lib/", "/lib/", 1)}
    every_path = sorted({c for group in candidates.values() for c in group})
    owners = {}
    output = subprocess.run(["dpkg", "-S", *every_path], capture_output=True, text=True).stdout
    for line in output.splitlines():
        package, _, path = line.partition(": ")
        owners[path.strip()] = package.split(":")[0].strip()
    return {library: next((owners[c] for c in group if c in owners), None)
            for library, group in candidates.items()}


def dependency_closure(packages):
    """The packages plus everything apt installs with them (Depends and Pre-Depends, as installed
    on this Debian 12 machine; every alternative counts)."""
    closure, frontier = set(), set(packages)
    while frontier:
        closure |= frontier
        output = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}\n", *sorted(frontier)],
                                capture_output=True, text=True).stdout
        found = set()
        for relation in re.split(r"[,|\n]", output):
            name = relation.strip().split(" ")[0].split(":")[0]
            if name:
                found.add(name)
        frontier = found - closure
    return closure


def main():
    repo = pathlib.Path(sys.argv[1]).resolve()
    build_dir = pathlib.Path(sys.argv[2]).resolve()
    dockerfile = (repo / "deploy" / "Dockerfile").read_text()
    ignore = [line.strip() for line in (repo / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    failures, passes = [], 0

    def check(condition, message):
        nonlocal passes
        if condition:
            passes += 1
        else:
            failures.append(message)

    stages = {}
    parsed = list(instructions(dockerfile))
    for stage, keyword, rest in parsed:
        if keyword == "FROM":
            words = rest.split()
            stages[stage] = {"image": words[0], "name": words[2] if len(words) > 2 else str(stage),
                             "packages": [], "copies": [], "user": None, "healthcheck": None, "runs": []}
        elif keyword == "RUN":
            stages[stage]["packages"] += apt_packages(rest)
            stages[stage]["runs"].append(rest)
        elif keyword == "COPY":
            stages[stage]["copies"].append(rest)
        elif keyword == "USER":
            stages[stage]["user"] = rest
        elif keyword == "HEALTHCHECK":
            stages[stage]["healthcheck"] = rest
    build = next((s for s in stages.values() if s["name"] == "build"), None)
    runtime = stages[max(stages)]
    check(build is not None, "no stage named build")
    check(build["image"] in ("debian:12", "debian:bookworm"), f"build stage is {build['image']}, not Debian 12")
    check(runtime["image"] in ("debian:12-slim", "debian:bookworm-slim"),
          f"runtime stage is {runtime['image']}, not Debian 12 slim")
    missing_dev = setup_dev_packages(repo) - set(build["packages"])
    check(not missing_dev, f"build stage lacks -dev packages of scripts/setup.sh: {sorted(missing_dev)}")
    check(any("--preset release" in run for run in build["runs"]), "build stage does not use the release preset")

    # Where files of other stages come from on this machine: the build stage's release tree is
    # BUILD_DIR, its /src is the repository; the uplot stage's node_modules is the repository's
    # (installed by scripts/setup.sh from the same package-lock.json).
    stage_paths = [("/src/build/release/", build_dir), ("/src/", repo), ("/assets/node_modules/", repo / "node_modules")]
    build_destinations = []
    for stage in stages.values():
        for copy in stage["copies"]:
            words = [w for w in copy.split() if not w.startswith("--")]
            sources, destination, from_stage = words[:-1], words[-1], re.search(r"--from=(\S+)", copy)
            if stage is build:
                build_destinations += [destination] if from_stage or len(sources) == 1 else sources
            for source in sources:
                if from_stage:
                    prefix, local = next(((p, l) for p, l in stage_paths if source.startswith(p)), (None, None))
                    produced = local / source[len(prefix):] if prefix else None
                    check(produced is not None and produced.exists(),
                          f"COPY --from={from_stage.group(1)} {source}: {produced} does not exist after the build")
                else:
                    check((repo / source).exists(), f"COPY {source}: not in the repository")
                    tracked = subprocess.run(["git", "-C", str(repo), "ls-files", "--", source.rstrip("/")],
                                             capture_output=True, text=True).stdout.strip()
                    check(tracked != "", f"COPY {source}: nothing tracked by git there (a fresh clone lacks it)")
                    check(dockerignore_allows(ignore, source.rstrip("/")),
                          f"COPY {source}: excluded by deploy/Dockerfile.dockerignore")
    # Everything the CMake configuration reads from the source tree must be in the build stage.
    provided = [d.strip("./") for d in build_destinations]
    cmake_files = [repo / "CMakeLists.txt"] + list((repo / "cmake").rglob("*.cmake")) + \
        list((repo / "src").rglob("CMakeLists.txt")) + list((repo / "src").rglob("*.cmake"))
    for cmake_file in cmake_files:
        for used in set(re.findall(r"\$\{(?:PROJECT_SOURCE_DIR|CMAKE_SOURCE_DIR)\}/([A-Za-z0-9_./-]+)",
                                   cmake_file.read_text())):
            check(any(used == p or used.startswith(p.rstrip("/") + "/") or p.startswith(used.rstrip("/") + "/")
                      for p in provided if p),
                  f"{cmake_file.relative_to(repo)} reads {used}, which the build stage does not copy ({provided})")
    for excluded in ("build", "build-deploy", "node_modules", ".git"):
        check(not dockerignore_allows(ignore, excluded), f"{excluded}/ is sent to the Docker daemon")

    binary = build_dir / "src" / "cli" / "loadlab"
    libraries = library_packages(binary)
    # A sanitizer build (asan/tsan presets) links the sanitizer runtimes; the image is built with
    # the release preset, which does not.
    sanitizer_runtimes = {lib: pkg for lib, pkg in libraries.items() if re.search(r"lib(a|ub|t|l)san\.so", lib)}
    for library in sanitizer_runtimes:
        print(f"note: {library} is a sanitizer runtime of this build, not of the release image")
        del libraries[library]
    runtime_packages = set(runtime["packages"])
    installed_with_them = dependency_closure(runtime_packages)
    for library, package in sorted(libraries.items()):
        check(package is not None, f"{library}: no Debian package provides it (dpkg -S)")
        if package:
            check(package in installed_with_them,
                  f"{library} is provided by {package}, which the runtime stage does not install "
                  f"(neither directly nor as a dependency)")
    for package in runtime_packages:
        check(not package.endswith("-dev"), f"runtime stage installs the -dev package {package}")
        check(package in set(libraries.values()),
              f"runtime stage installs {package}, which provides no library the binary links to")
    print("ldd -> packages: " + ", ".join(sorted({p for p in libraries.values() if p})))

    check(runtime["user"] is not None and runtime["user"].split(":")[0] not in ("root", "0"),
          f"runtime stage runs as {runtime['user'] or 'root (no USER)'}")
    check(runtime["healthcheck"] is not None and "loadlab probe" in runtime["healthcheck"],
          "HEALTHCHECK does not use `loadlab probe` (the image has no curl/wget)")
    probe_help = subprocess.run([str(binary), "probe", "--help"], capture_output=True, text=True)
    check(probe_help.returncode == 0, "`loadlab probe` is not a subcommand of the built binary")

    for failure in failures:
        print(f"FAIL {failure}")
    print(f"{passes} passed, {len(failures)} failed")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
