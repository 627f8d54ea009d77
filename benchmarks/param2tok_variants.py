"""Why PARAM2TOK did not learn on amsynth (issue 16 item 4): variant runs and their curves.

Three subcommands; every run writes ``RUN/metrics.csv`` (``step,tag,value``)::

    # the real task: a preset with overrides, trained on an HDF5 dataset (short CPU runs)
    python benchmarks/param2tok_variants.py train --data amsynth_v2_60k.h5 \
        --out runs/p2t/noise0.1 --steps 300 --warmup 50 --set p2t_init_noise=0.1
    # an encoder-free proxy: the conditioning is a fixed random linear map of x1, so only the
    # vector field is tested (about 20x cheaper than the AST runs)
    python benchmarks/param2tok_variants.py proxy --out runs/p2t/proxy/base --set lr=3e-4
    # the figure and a table of the training flow-matching loss at fixed steps
    python benchmarks/param2tok_variants.py plot --runs runs/p2t --proxy runs/p2t/proxy \
        --out docs/results/param2tok_amsynth_curves.png

``--set`` takes ``FieldConfig`` attributes (``p2t_init_noise``, ``p2t_assign_init``,
``p2t_penalty``, ``num_tokens``) and ``lr``; ``train --preset ast-cnf-mlp`` gives the MLP field
reference. The proxy also logs how far the PARAM2TOK start has broken its symmetry: the mean
pairwise cosine similarity of the rows of ``Z`` (``p2t/z_cos``) and of ``A`` (``p2t/a_cos``),
both 1 at the paper's symmetric start.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import math
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

STEPS_REPORTED = (100, 200, 300)
PROXY_PARAMS = 70  # as amsynth spec v2's parameter columns
LOSS_TAG = "train/flow_mse"


def _parse_sets(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set wants key=value, got {pair!r}")
        out[key] = value
    return out


def _field_config(preset: str, sets: dict[str, str]) -> Any:
    from patchflow.train.config import preset_config

    fc = preset_config(preset, "small").model.vector_field
    for key, value in sets.items():
        if key == "lr":
            continue
        if not hasattr(fc, key):
            raise SystemExit(f"FieldConfig has no attribute {key!r}")
        fc = dataclasses.replace(fc, **{key: type(getattr(fc, key))(value)})
    return fc


def cmd_train(args: argparse.Namespace) -> None:
    """A preset (small size, note conditioning) with field overrides, lr and warmup."""
    import torch

    from patchflow.train.config import preset_config
    from patchflow.train.loop import train

    torch.set_num_threads(1)
    sets = _parse_sets(args.set)
    config = preset_config(args.preset, "small")
    model = dataclasses.replace(
        config.model, vector_field=_field_config(args.preset, sets), note_conditioning=True
    )
    optim = dataclasses.replace(
        config.optim, lr=float(sets.get("lr", config.optim.lr)), warmup_steps=args.warmup
    )
    val = dataclasses.replace(config.val, every=args.steps)
    config = dataclasses.replace(
        config, model=model, optim=optim, val=val, steps=args.steps, num_threads=1
    )
    train(config, data=args.data, run_dir=args.out, progress=False, tensorboard=False)


def _mean_cos(rows: Any) -> float:
    import torch

    unit = torch.nn.functional.normalize(rows, dim=1)
    sim = unit @ unit.t()
    n = sim.shape[0]
    return float((sim.sum() - sim.diagonal().sum()) / (n * (n - 1)))


def cmd_proxy(args: argparse.Namespace) -> None:
    """Rectified flow on uniform x1 in [-1, 1]^70 with conditioning = a fixed linear map of x1."""
    import torch

    from patchflow.nn.dit import DiT
    from patchflow.nn.mlp_field import MLPField
    from patchflow.nn.tokenizers import Param2Tok

    torch.set_num_threads(1)
    sets = _parse_sets(args.set)
    n, d_cond, batch = PROXY_PARAMS, 128, 64
    torch.manual_seed(0)
    fc = _field_config(args.preset, sets)
    if fc.kind == "mlp":
        field: Any = MLPField(fc, n, d_cond)
    else:
        tokenizer = Param2Tok(n, fc.num_tokens, fc.d_model, fc.p2t_init_noise, fc.p2t_assign_init)
        with torch.no_grad():  # extra noise on Z (and Z' = Z^T) or A alone
            if args.z_noise:
                tokenizer.z_in.add_(args.z_noise * torch.randn_like(tokenizer.z_in))
                tokenizer.z_out.copy_(tokenizer.z_in.t())
            if args.a_noise:
                tokenizer.assign.add_(args.a_noise * torch.randn_like(tokenizer.assign))
        field = DiT(fc, tokenizer, d_cond)
    penalty = fc.p2t_penalty if fc.kind == "dit" else 0.0
    proj = torch.randn(n, fc.depth * d_cond) / math.sqrt(n)
    opt = torch.optim.Adam(field.parameters(), lr=float(sets.get("lr", 3e-4)))
    gen = torch.Generator().manual_seed(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[int, str, float]] = []
    total, t0 = 0.0, time.monotonic()
    for step in range(1, args.steps + 1):
        x1 = torch.rand(batch, n, generator=gen) * 2 - 1  # (B, n)
        cond = (x1 @ proj).view(batch, fc.depth, d_cond)  # (B, L, C)
        x0 = torch.randn(batch, n, generator=gen)  # (B, n)
        t = torch.rand(batch, generator=gen)  # (B,)
        xt = t[:, None] * x1 + (1 - t[:, None]) * x0  # (B, n)
        mse = ((field(xt, t, cond) - (x1 - x0)) ** 2).mean()
        loss = mse + penalty * field.penalty()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(field.parameters(), 0.5)
        opt.step()
        total += mse.item()
        if step % args.log_every == 0:
            rows.append((step, LOSS_TAG, total / args.log_every))
            if fc.kind == "dit":
                tok = field.tokenizer
                rows.append((step, "p2t/z_cos", _mean_cos(tok.z_in.detach())))
                rows.append((step, "p2t/a_cos", _mean_cos(tok.assign.detach())))
            print(f"{out.name} step {step}: flow_mse {total / args.log_every:.4f} "
                  f"({time.monotonic() - t0:.0f} s)", flush=True)  # fmt: skip
            total = 0.0
    with (out / "metrics.csv").open("w", newline="") as f:
        csv.writer(f).writerows([("step", "tag", "value"), *rows])


def read_curve(run: Path, tag: str = LOSS_TAG) -> list[tuple[int, float]]:
    """``(step, value)`` rows of ``tag`` in ``run/metrics.csv``."""
    with (run / "metrics.csv").open(newline="") as f:
        return [(int(r["step"]), float(r["value"])) for r in csv.DictReader(f) if r["tag"] == tag]


def _at(curve: list[tuple[int, float]], step: int) -> float | None:
    """Mean of the logged values in the window ending at ``step`` (within 20 steps)."""
    near = [v for s, v in curve if step - 20 < s <= step]
    return sum(near) / len(near) if near else None


def _runs(folder: Path | None) -> dict[str, Path]:
    if folder is None or not folder.is_dir():
        return {}
    found = {p.parent.name: p.parent for p in sorted(folder.glob("*/metrics.csv"))}
    return dict(sorted(found.items()))


def cmd_plot(args: argparse.Namespace) -> None:
    """Loss vs step for every run folder; prints a markdown table of the loss at fixed steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(args.title, _runs(args.runs))]
    if args.proxy:
        panels.append(("encoder-free proxy (70 params)", _runs(args.proxy)))
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.5), squeeze=False)
    by_step: dict[str, dict[str, dict[int, float | None]]] = defaultdict(dict)
    for ax, (title, runs) in zip(axes[0], panels, strict=True):
        for name, run in runs.items():
            curve = read_curve(run)
            if not curve:
                continue
            ax.plot([s for s, _ in curve], [v for _, v in curve], label=name)
            by_step[title][name] = {s: _at(curve, s) for s in STEPS_REPORTED}
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.set_ylabel("training flow-matching MSE")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    for title, table in by_step.items():
        print(f"\n{title}\n")
        print("| variant | " + " | ".join(f"step {s}" for s in STEPS_REPORTED) + " |")
        print("|---|" + "---|" * len(STEPS_REPORTED))
        for name, values in table.items():
            cells = ["–" if values[s] is None else f"{values[s]:.3f}" for s in STEPS_REPORTED]
            print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="a preset with overrides on an HDF5 dataset")
    tr.add_argument("--data", required=True)
    tr.add_argument("--out", required=True)
    tr.add_argument("--preset", default="ast-cnf-param2tok")
    tr.add_argument("--steps", type=int, default=300)
    tr.add_argument("--warmup", type=int, default=50)
    tr.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    px = sub.add_parser("proxy", help="the encoder-free proxy task")
    px.add_argument("--out", required=True)
    px.add_argument("--preset", default="ast-cnf-param2tok")
    px.add_argument("--steps", type=int, default=300)
    px.add_argument("--log-every", type=int, default=25)
    px.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    px.add_argument("--z-noise", type=float, default=0.0, help="extra init noise on Z only")
    px.add_argument("--a-noise", type=float, default=0.0, help="extra init noise on A only")
    pl = sub.add_parser("plot", help="curves and the table")
    pl.add_argument("--runs", type=Path, required=True, help="folder of amsynth run folders")
    pl.add_argument("--proxy", type=Path, default=None, help="folder of proxy run folders")
    pl.add_argument("--title", default="amsynth v2 (AST, real data)")
    pl.add_argument("--out", default="docs/results/param2tok_amsynth_curves.png")
    args = parser.parse_args()
    {"train": cmd_train, "proxy": cmd_proxy, "plot": cmd_plot}[args.cmd](args)


if __name__ == "__main__":
    main()
