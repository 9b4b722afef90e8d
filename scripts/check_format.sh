#!/usr/bin/env bash
# Fails, naming the files, when a C++ source under src/, tests/ or bench/ differs from what
# clang-format (the repository's .clang-format) would make of it. Run by CTest as style.clang_format;
# `clang-format -i FILE` fixes a file it names.
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
command -v clang-format >/dev/null || { echo "clang-format is not installed (scripts/setup.sh installs it)" >&2; exit 2; }
mapfile -t files < <(find src tests bench -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) | sort)
unformatted=()
for file in "${files[@]}"; do
  clang-format --dry-run --Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
done
if [ "${#unformatted[@]}" -gt 0 ]; then
  echo "${#unformatted[@]} of ${#files[@]} files are not clang-formatted:" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  exit 1
fi
echo "all ${#files[@]} C++ files are clang-formatted"
