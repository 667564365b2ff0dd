"""Train the plane-group classifier on generated images (GPU, mixed precision).

Resumable across device sessions: the state folder holds fp32 weights split under
16 MB plus ``state.json`` (step, arguments, log). SGD momentum is not stored (it
would not fit the 64 MB that comes back from the device); it rebuilds within
about ten steps after a resume.

    python -m training.symmetry.train --out training/state/run --steps 20000 --max-seconds 540
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from symcat.embed.symmetry.groups import GROUPS
from symcat.embed.symmetry.model import SymmetryNet
from symcat.embed.symmetry.weights import load_split, save_split
from training.symmetry.data import crop, dihedral, mixed_batch, photometric
from training.symmetry.evaluate import EVAL_SETS, evaluate
from training.symmetry.widen import widened_batch

EVAL_SEEDS = {"in_dist": 987_654_321, "atoms": 123_456_789, "atoms_pure": 55_555_555}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="state folder (weights parts, state.json, log)")
    p.add_argument("--resume", help="state folder to resume from (default: --out if it has one)")
    p.add_argument("--arch", default="resnet18")
    p.add_argument("--input", default="fft", choices=("gray", "fft"))
    p.add_argument("--dihedral", action="store_true", help="random flips/transpositions")
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--sources", default="noise,texture")
    p.add_argument("--max-extra", type=float, default=None,
                   help="redraw training patterns this close to a higher group (purity.py)")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=0.2)
    p.add_argument("--wd", type=float, default=5e-5)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--steps", type=int, default=20000, help="length of the cosine schedule")
    p.add_argument("--max-seconds", type=float, default=1e9, help="stop and save after this")
    p.add_argument("--time-schedule", action="store_true",
                   help="cosine over --max-seconds of wall time instead of --steps (ablations)")
    p.add_argument("--eval-n", type=int, default=2048)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--widen", action="store_true",
                   help="v2 data (training.symmetry.widen): 18 classes incl. none, 64-224 px "
                        "inputs at their own size, distortions, scan artefacts")
    p.add_argument("--save-every-s", type=float, default=0,
                   help="also save weights and state.json this often (a killed call loses little)")
    p.add_argument("--half-state", action="store_true",
                   help="save the state's weights as fp16 (half the bytes to carry back and forth)")
    p.add_argument("--init-from", help="weights folder (shipped fp16 parts) to start from; "
                                       "a 17-class head is extended with a fresh none row")
    return p.parse_args(argv)


def lr_at(progress: float, step: int, args: argparse.Namespace) -> float:
    warm = min(1.0, (step + 1) / args.warmup)
    return args.lr * warm * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def save_state(model: SymmetryNet, out: Path, args: argparse.Namespace, step: int,
               log: list, results: dict, train_s: float) -> None:
    """Weights parts, then state.json (written last, so a state.json always has weights)."""
    save_split(model.state_dict(), out, "model",
               dtype=torch.float16 if args.half_state else None)
    state = {"step": step, "args": vars(args), "log": log, "train_seconds_this_call": train_s,
             "eval": results}
    (out / "state.json").write_text(json.dumps(state, indent=1))


def init_from(model: SymmetryNet, folder: Path) -> None:
    """Load shipped weights; rows the checkpoint's head lacks keep their fresh init."""
    state = {k: v.float() for k, v in load_split(folder, "model").items()}
    own = model.state_dict()
    for key in ("head.weight", "head.bias"):
        if state[key].shape != own[key].shape:
            fresh = own[key].clone()
            fresh[: state[key].shape[0]] = state[key]
            state[key] = fresh
    model.load_state_dict(state)


@torch.no_grad()
def accuracy(model: SymmetryNet, make, n: int, dev, amp: bool, seed: int = 424_242,
             batch: int = 256) -> dict:
    """Accuracy on fixed-seed batches from ``make(n, generator, dev)``: groups only, none
    only (training.symmetry.finetune measures its small-cell views with it too)."""
    model.eval()
    g = torch.Generator(device=dev).manual_seed(seed)
    ok = tot = ok_none = tot_none = 0
    for _ in range(max(1, n // batch)):
        x, y = make(batch, g, dev)
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=amp):
            pred = model(x.contiguous(memory_format=torch.channels_last)).argmax(1)
        none = y == len(GROUPS)
        ok += int((pred == y)[~none].sum())
        tot += int((~none).sum())
        ok_none += int((pred == y)[none].sum())
        tot_none += int(none.sum())
    return {"groups_acc": ok / max(tot, 1), "none_acc": ok_none / max(tot_none, 1),
            "n": tot + tot_none}


def evaluate_widened(model: SymmetryNet, n: int, dev, amp: bool, seed: int = 424_242,
                     batch: int = 256) -> dict:
    """Accuracy on fresh widened batches (fixed seed): groups only, none only."""
    return accuracy(model, widened_batch, n, dev, amp, seed, batch)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(args.seed)
    torch.backends.cudnn.benchmark = True
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    classes = len(GROUPS) + (1 if args.widen else 0)
    model = SymmetryNet(args.arch, args.input, args.dropout, num_classes=classes,
                        resize=not args.widen)
    step, log = 0, []
    resume = Path(args.resume) if args.resume else out
    if (resume / "state.json").exists():
        state = json.loads((resume / "state.json").read_text())
        model.load_state_dict(load_split(resume, "model"))
        step, log = state["step"], state["log"]
        print(f"resumed from {resume} at step {step}", flush=True)
    elif args.init_from:
        init_from(model, Path(args.init_from))
        print(f"initialised from {args.init_from}", flush=True)
    model.to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                          weight_decay=args.wd)
    sources = tuple(args.sources.split(","))
    amp = dev.type == "cuda"
    t0 = time.time()
    seen, tlast = 0, time.time()
    tsave = time.time()
    while step < args.steps and time.time() - t0 < args.max_seconds:
        g = torch.Generator(device=dev).manual_seed(args.seed * 1_000_003 + step)
        elapsed = time.time() - t0
        progress = elapsed / args.max_seconds if args.time_schedule else step / args.steps
        for group in opt.param_groups:
            group["lr"] = lr_at(progress, step, args)
        with torch.no_grad():
            if args.widen:
                x, y = widened_batch(args.batch, g, dev)
            else:
                x, y = mixed_batch(args.batch, sources, g, dev, max_extra=args.max_extra)
                x = crop(photometric(x, g), g)
                if args.dihedral:
                    x = dihedral(x, g)
        model.train()
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=amp):
            logits = model(x.contiguous(memory_format=torch.channels_last))
            loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        seen += args.batch
        if step % args.log_every == 0:
            acc = (logits.argmax(1) == y).float().mean().item()
            rate = seen / (time.time() - tlast)
            entry = {"step": step, "loss": round(loss.item(), 4), "acc": round(acc, 4),
                     "lr": round(opt.param_groups[0]["lr"], 5), "img_s": round(rate),
                     "elapsed_s": round(time.time() - t0)}
            log.append(entry)
            print(json.dumps(entry), flush=True)
            seen, tlast = 0, time.time()
        if args.save_every_s and time.time() - tsave > args.save_every_s:
            save_state(model, out, args, step, log, {}, time.time() - t0)
            tsave = time.time()
    train_s = time.time() - t0
    save_split(model.state_dict(), out, "model",
               dtype=torch.float16 if args.half_state else None)
    results: dict = {}
    if args.eval_n and args.widen:
        results["widened"] = evaluate_widened(model, args.eval_n, dev, amp)
        print(f"eval widened: {results['widened']}", flush=True)
    elif args.eval_n:
        for name, (srcs, extra) in EVAL_SETS.items():
            r = evaluate(model, args.eval_n, srcs, EVAL_SEEDS[name], dev, amp=amp,
                         max_extra=extra)
            results[name] = r
            print(f"eval {name}: {r['accuracy']:.4f} (n={r['n']})", flush=True)
    state = {"step": step, "args": vars(args), "log": log, "train_seconds_this_call": train_s,
             "eval": results,
             "device": torch.cuda.get_device_name() if amp else "cpu",
             "torch": torch.__version__}
    (out / "state.json").write_text(json.dumps(state, indent=1))
    return state


if __name__ == "__main__":
    main()
