# Sourced by .ci/run (and by tests/repo/ci-lanes.test.ts): step timing, and lanes of steps side by side.
# Bash 5.1+ (wait -n -p).
# --- step timing ------------------------------------------------------------------------------------------------
step_names=()
step_secs=()
failed_steps=()
current_step=""
step_started=$SECONDS
on_exit_cmds=()

end_step() {
  if [[ -n $current_step ]]; then
    step_names+=("$current_step")
    step_secs+=($((SECONDS - step_started)))
    current_step=""
  fi
}
step() {
  end_step
  current_step="$*"
  step_started=$SECONDS
  printf '\n=== %s ===\n' "$*"
}
mmss() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
print_times() {
  local rc=$1 i f mark
  [[ $rc -ne 0 && -n $current_step ]] && failed_steps+=("$current_step")
  end_step
  printf '\n=== step times (lanes side by side: their steps overlap, the total is wall time) ===\n'
  for i in "${!step_names[@]}"; do
    mark=""
    for f in "${failed_steps[@]}"; do [[ $f == "${step_names[i]}" ]] && mark="   <- FAILED"; done
    printf '%8s  %s%s\n' "$(mmss "${step_secs[i]}")" "${step_names[i]}" "$mark"
  done
  printf '%8s  %s%s\n' "$(mmss "$SECONDS")" "total" "$([[ $rc -ne 0 ]] && echo " (exit $rc)")"
}
on_exit() {
  local rc=$? c
  for c in "${on_exit_cmds[@]}"; do eval "$c" || true; done
  print_times "$rc"
  exit "$rc"
}
trap on_exit EXIT

# --- lanes: independent steps side by side -----------------------------------------------------------------------
# `lane <name> <title> <command> [<title> <command> …]` runs its steps one after another in the background, stopping
# at the first that fails, its output in a file of its own. `join_lanes` prints each lane's output whole as the lane
# ends (never interleaved), adds its steps to the step times ("[name] title"), and fails the run, naming the steps
# that failed, once every lane has ended. On 2 cores, lanes pay where the steps wait (servers starting, polls,
# PostgreSQL round trips) rather than compute.
lane_dir="$(mktemp -d)"
on_exit_cmds+=("rm -rf '$lane_dir'")
declare -A lane_pid=()
lane() {
  local name=$1
  shift
  (
    set +e
    while (($# >= 2)); do
      printf '\n=== [%s] %s ===\n' "$name" "$1"
      t0=$SECONDS
      (set -e; eval "$2")
      rc=$?
      printf '%s\t%s\t%s\n' "$((SECONDS - t0))" "$rc" "$1" >>"$lane_dir/$name.times"
      ((rc == 0)) || exit "$rc"
      shift 2
    done
  ) >"$lane_dir/$name.log" 2>&1 &
  lane_pid[$name]=$!
  local titles=() i
  for ((i = 1; i <= $#; i += 2)); do titles+=("${!i}"); done
  printf '(lane %s started: %s)\n' "$name" "$(IFS='|'; echo "${titles[*]}" | sed 's/|/; then /g')"
}
join_lanes() {
  end_step
  local pid name rc failed=0 secs code title
  while ((${#lane_pid[@]})); do
    rc=0
    wait -n -p pid "${lane_pid[@]}" || rc=$?
    for name in "${!lane_pid[@]}"; do [[ ${lane_pid[$name]} == "$pid" ]] && break; done
    unset "lane_pid[$name]"
    cat "$lane_dir/$name.log"
    printf '(lane %s ended: exit %s)\n' "$name" "$rc"
    while IFS=$'\t' read -r secs code title; do
      step_names+=("[$name] $title")
      step_secs+=("$secs")
      if ((code != 0)); then failed_steps+=("[$name] $title"); fi
    done <"$lane_dir/$name.times"
    ((rc == 0)) || failed=1
  done
  if ((failed)); then
    printf '\nCI: failed in a lane: %s\n' "$(printf '%s; ' "${failed_steps[@]}")" >&2
    return 1
  fi
}
