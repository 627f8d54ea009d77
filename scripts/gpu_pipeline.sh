#!/usr/bin/env bash
# Render, train and export paper-size amsynth models on one GPU machine within a time bound.
#
#   scripts/gpu_pipeline.sh --out runs/gpu [--minutes 10] [--synth amsynth_v2] [--count N]
#                           [--workers N] [--presets "ast-cnf-mlp ast-cnf-param2tok ast-regression"]
#   scripts/gpu_pipeline.sh --tiny --out /tmp/pf-tiny     # the same steps at test size, on CPU
#
# 1. renders --count random patches of the spec on all CPU cores (`patchflow dataset render`,
#    resumable; the render gets at most 35% of the budget),
# 2. trains every preset at once on the GPU (`patchflow train --size paper --device auto`), each
#    stopped by `--time-limit-min` so that the whole run ends inside --minutes,
# 3. exports every run at once (`patchflow export`, CNFs with --fused) into OUT/bundles/<preset>/.
# OUT/pipeline.log records each command and when it started; OUT/logs/ holds each step's output.
# Default count: 5000 renders per worker (about 12 ms per render and core on amsynth).
# Exit status: 0 when every bundle was written; 1 otherwise (the failing step's log is named).
# Needs the machine set up by scripts/setup.sh (amsynth, patchflow; a CUDA build of torch).
set -euo pipefail

out=""
minutes=""
synth=""
count=""
workers=""
size="paper"
steps=""
device="auto"
presets="ast-cnf-mlp ast-cnf-param2tok ast-regression"
tiny=0

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --minutes) minutes="$2"; shift 2 ;;
    --synth) synth="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --presets) presets="$2"; shift 2 ;;
    --tiny) tiny=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu_pipeline: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ -n "$out" ]] || { echo "gpu_pipeline: --out DIR is required" >&2; exit 2; }

cores=$(nproc)
if [[ $tiny -eq 1 ]]; then
  size="tiny"; device="cpu"; steps=4
  count=${count:-32}; workers=${workers:-1}; minutes=${minutes:-3}
fi
workers=${workers:-$cores}
count=${count:-$((workers * 5000))}
minutes=${minutes:-10}
if [[ -z "$synth" ]]; then
  # spec v2 once it is registered as a synth, else spec v1
  if python -c 'import sys; from patchflow.synths.registry import SYNTHS; sys.exit("amsynth_v2" not in SYNTHS)' 2>/dev/null; then
    synth=amsynth_v2
  else
    synth=amsynth
  fi
fi
read -r -a preset_list <<< "$presets"
threads=$(( cores / ${#preset_list[@]} )); (( threads >= 1 )) || threads=1
budget_s=$(python -c "print(int(float('$minutes') * 60))")
start_s=$SECONDS

mkdir -p "$out/logs" "$out/runs" "$out/bundles"
log="$out/pipeline.log"
note() { echo "[$(( SECONDS - start_s ))s] $*" | tee -a "$log"; }
left_s() { echo $(( budget_s - (SECONDS - start_s) )); }

# Run the commands in jobs_cmds at once (one per preset), logging to $out/logs/<step>-<preset>.log.
run_all() {
  local step="$1" failed=0 i
  local pids=()
  for i in "${!preset_list[@]}"; do
    note "${jobs_cmds[$i]}"
    bash -c "${jobs_cmds[$i]}" > "$out/logs/$step-${preset_list[$i]}.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      note "$step ${preset_list[$i]} failed: $out/logs/$step-${preset_list[$i]}.log"
      failed=1
    fi
  done
  return $failed
}

note "gpu_pipeline: synth=$synth count=$count workers=$workers size=$size device=$device presets=${preset_list[*]} budget=${budget_s}s"

# 1. data -------------------------------------------------------------------------------------
render_s=$(( budget_s * 35 / 100 )); (( render_s >= 30 )) || render_s=30
data="$out/data.h5"
chunk=$(( count / (workers * 4) )); (( chunk >= 16 )) || chunk=16
cmd=(patchflow dataset render --synth "$synth" --count "$count" --workers "$workers" --seed 1
     --chunk-size "$chunk" --out "$data")
note "${cmd[*]}"
if ! timeout "$render_s" "${cmd[@]}" > "$out/logs/render.log" 2>&1; then
  note "render failed or ran past ${render_s}s (rerun the same command to resume): $out/logs/render.log"
  exit 1
fi
note "rendered $data"

# 2. training: every preset at once, each stopping itself before the export margin ------------
export_margin_s=$(( tiny == 1 ? 20 : 150 ))
train_s=$(( $(left_s) - export_margin_s ))
(( train_s >= 10 )) || { note "no time left to train ($(left_s)s left)"; exit 1; }
train_min=$(python -c "print(round($train_s / 60 - 0.25 * ($tiny == 0), 2))")
jobs_cmds=()
for preset in "${preset_list[@]}"; do
  c="patchflow train --preset $preset --size $size --data '$data' --out '$out/runs/$preset'"
  c+=" --device $device --threads $threads --time-limit-min $train_min --no-progress --no-tensorboard"
  [[ -n "$steps" ]] && c+=" --steps $steps --val-every $steps"
  # amsynth specs have a note parameter: the model is given the note (docs/note-conditioning.md)
  [[ "$synth" == amsynth* ]] && c+=" --note-conditioning"
  jobs_cmds+=("$c")
done
run_all train || exit 1
note "trained ${preset_list[*]}"

# 3. export: every run at once --------------------------------------------------------------
jobs_cmds=()
for preset in "${preset_list[@]}"; do
  c="patchflow export --run '$out/runs/$preset' --out '$out/bundles/$preset'"
  [[ "$preset" == *cnf* ]] && c+=" --fused"
  jobs_cmds+=("$c")
done
run_all export || exit 1
note "bundles in $out/bundles: $(ls "$out/bundles" | tr '\n' ' ')(total $(( SECONDS - start_s ))s of ${budget_s}s)"
