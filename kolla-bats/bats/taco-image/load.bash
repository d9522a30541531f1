# taco-image: bats-core helpers for testing one container image, shipped with taco/actions kolla-bats.
#
# Load it in a suite with either of
#   bats_load_library taco-image      # kolla-bats puts its folder on BATS_LIB_PATH
#   load "$TACO_BATS_HELPERS"         # the absolute path of this file
#
# The action runs each suite with
#   IMAGE   the image reference under test (e.g. registry:5000/taco/keystone:main-0a1b2c3-57)
#   ENGINE  the container engine command (docker or podman)
# Every helper works with both engines. Containers run with --rm and without network.

_taco_need_image() {
  if [[ -z "${IMAGE:-}" || -z "${ENGINE:-}" ]]; then
    echo "taco-image: IMAGE and ENGINE must be set (kolla-bats sets them)" >&2
    return 1
  fi
}

_taco_fail() {
  printf 'taco-image: %s\n' "$*" >&2
  return 1
}

# image_exec [--user U] [--env NAME=VALUE]... [--workdir DIR] [--] COMMAND [ARG...]
# Runs COMMAND in a new container of $IMAGE with the image's entrypoint bypassed; prints its
# output and returns its exit status.
image_exec() {
  _taco_need_image || return 1
  local -a options=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --user | -u) options+=(--user "$2"); shift 2 ;;
      --env | -e) options+=(--env "$2"); shift 2 ;;
      --workdir | -w) options+=(--workdir "$2"); shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  if [[ $# -eq 0 ]]; then
    _taco_fail "image_exec: no command given"
    return 1
  fi
  local entrypoint="$1"
  shift
  # shellcheck disable=SC2086 # ENGINE may carry options, e.g. "podman --remote"
  $ENGINE run --rm --network none --entrypoint "$entrypoint" "${options[@]}" "$IMAGE" "$@"
}

# run_in_image [options] [--] COMMAND [ARG...]
# image_exec under bats' `run`: sets $status, $output and $lines for assertions.
run_in_image() {
  run image_exec "$@"
}

# image_config FORMAT — `inspect --format FORMAT` of the image (Go template, same for both engines).
image_config() {
  _taco_need_image || return 1
  # shellcheck disable=SC2086
  $ENGINE image inspect --format "$1" "$IMAGE"
}

# assert_user EXPECTED — the image runs its processes as EXPECTED (a user name or a numeric uid).
assert_user() {
  local expected="${1:?assert_user: expected user}"
  local configured actual_name actual_uid
  configured="$(image_config '{{.Config.User}}')" || return 1
  actual_uid="$(image_exec id -u)" || _taco_fail "assert_user: could not run 'id -u' in $IMAGE" || return 1
  actual_name="$(image_exec id -un 2>/dev/null || true)"
  if [[ "$expected" != "$actual_uid" && "$expected" != "$actual_name" ]]; then
    _taco_fail "expected the image to run as user '$expected', but it runs as '${actual_name:-?}' (uid $actual_uid; USER is '${configured:-<unset>}')"
    return 1
  fi
}

# assert_file PATH [MODE [OWNER]] — PATH is a regular file in the image; optionally with the octal
# permission MODE (e.g. 644) and owned by OWNER (a name or uid).
assert_file() {
  local file="${1:?assert_file: expected a path}" mode="${2:-}" owner="${3:-}"
  local info
  if ! image_exec test -f "$file"; then
    _taco_fail "expected a regular file $file in $IMAGE, found none"
    return 1
  fi
  [[ -z "$mode" && -z "$owner" ]] && return 0
  info="$(image_exec stat -c '%a %U %u' "$file")" || return 1
  local actual_mode actual_owner actual_uid
  read -r actual_mode actual_owner actual_uid <<<"$info"
  if [[ -n "$mode" && "$((8#$mode))" != "$((8#$actual_mode))" ]]; then
    _taco_fail "expected $file to have mode $mode, it has $actual_mode"
    return 1
  fi
  if [[ -n "$owner" && "$owner" != "$actual_owner" && "$owner" != "$actual_uid" ]]; then
    _taco_fail "expected $file to be owned by $owner, it is owned by $actual_owner ($actual_uid)"
    return 1
  fi
}

# refute_file PATH — nothing exists at PATH in the image.
refute_file() {
  local file="${1:?refute_file: expected a path}"
  if image_exec test -e "$file"; then
    _taco_fail "expected no $file in $IMAGE, but it exists"
    return 1
  fi
}

# assert_dir PATH — PATH is a directory in the image.
assert_dir() {
  local dir="${1:?assert_dir: expected a path}"
  if ! image_exec test -d "$dir"; then
    _taco_fail "expected a directory $dir in $IMAGE, found none"
    return 1
  fi
}

# assert_command NAME — NAME is an executable on the image's PATH.
assert_command() {
  local name="${1:?assert_command: expected a command name}"
  if ! image_exec sh -c 'command -v "$1" >/dev/null' sh "$name"; then
    _taco_fail "expected command $name on the PATH of $IMAGE, found none"
    return 1
  fi
}

# assert_label NAME [VALUE] — the image has label NAME (with VALUE, if given).
assert_label() {
  local name="${1:?assert_label: expected a label name}" actual
  actual="$(image_config "{{with index .Config.Labels \"$name\"}}={{.}}{{end}}")" || return 1
  if [[ -z "$actual" ]]; then
    _taco_fail "expected label $name on $IMAGE, it has none"
    return 1
  fi
  if [[ $# -ge 2 && "${actual#=}" != "$2" ]]; then
    _taco_fail "expected label $name=$2 on $IMAGE, it is ${actual#=}"
    return 1
  fi
}

# assert_env NAME [VALUE] — the image's configuration sets environment variable NAME (to VALUE).
assert_env() {
  local name="${1:?assert_env: expected a variable name}" line found=""
  while IFS= read -r line; do
    if [[ "$line" == "$name="* ]]; then found="$line"; fi
  done < <(image_config '{{range .Config.Env}}{{println .}}{{end}}')
  if [[ -z "$found" ]]; then
    _taco_fail "expected $IMAGE to set $name in its environment, it does not"
    return 1
  fi
  if [[ $# -ge 2 && "${found#"$name"=}" != "$2" ]]; then
    _taco_fail "expected $name=$2 in $IMAGE, it is ${found#"$name"=}"
    return 1
  fi
}
