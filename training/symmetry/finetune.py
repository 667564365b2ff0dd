"""Fine-tune symcat_symmetry.v2's network on small-cell views, shipped as a small delta.

v2's weight files (22 MB, fp16) are immutable and the tracked tree must stay well under
the device tool's 64 MiB, so a fine-tuned version cannot ship a second full copy. Only
the stem, layer1-3, every BatchNorm (weights, biases, running statistics) and the head
are trained; layer4's convolutions (8.4 M of the 11.2 M parameters) stay v2's. The
changed tensors are saved as ``delta.partNN.safetensors`` (fp16, about 5.6 MB), which the
runtime lays over v2's files (``config.json`` ``"delta"``; ``weights.overlay``).

Each step mixes ``--small-frac`` of the batch of small-cell views
(``small_views.small_cell_batch``: what v4's native and lattice views show of cells of
3-14 px) with v2's own widened batches (``widen.widened_batch``), so that what v2 reads
well is not forgotten. Resumable: the state folder holds the delta and ``state.json``
(step, arguments, log); a resume rebuilds v2 + delta (SGD momentum is not kept).

``--init`` starts a new version from a shipped one's delta (symcat_symmetry.v6 from v5's
``weights_v5``) with a fresh schedule at step 0: v5's cosine was cut at step 4,000 with
lr still 0.0013, and a resume would continue v5's state, not start a finished schedule.
The exported delta is still over v2's files (whole tensors, not differences from v5).

    python -m training.symmetry.finetune --out training/state/v5 --max-seconds 360 \
        --device cuda
    python -m training.symmetry.finetune --export training/state/v5 \
        catalog/embed/symmetry/weights_v5
    python -m training.symmetry.finetune --out training/state/v6 \
        --init catalog/embed/symmetry/weights_v5 --lr 0.004 --max-seconds 280 \
        --time-schedule --steps 100000 --device cuda
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from symcat.embed import packed
from symcat.embed.symmetry.extract import WEIGHTS_V2_DIR
from symcat.embed.symmetry.model import SymmetryNet
from symcat.embed.symmetry.weights import load_split, overlay, save_split, sha256
from training.symmetry.small_views import small_cell_batch
from training.symmetry.train import accuracy, lr_at
from training.symmetry.widen import ALL_FAMILIES, FAMILIES, widened_batch

TRAINED = ("backbone.conv1.", "backbone.bn1.", "backbone.layer1.", "backbone.layer2.",
           "backbone.layer3.", "head.")
DELTA = "delta"
EVAL_SEED = 424_242


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", help="state folder (delta parts, state.json)")
    p.add_argument("--resume", help="state folder to resume from (default: --out if it has one)")
    p.add_argument("--base", default=str(WEIGHTS_V2_DIR), help="shipped weights to start from")
    p.add_argument("--init", help="a shipped weights folder with a delta over --base (e.g. "
                                  "weights_v5): start from it at step 0, fresh schedule")
    p.add_argument("--small-frac", type=float, default=0.4,
                   help="share of each batch that is small-cell views")
    p.add_argument("--families", default=",".join(FAMILIES),
                   help="motif families of both halves, comma-separated, of "
                        f"{', '.join(ALL_FAMILIES)} (v7 adds lines, v15 waves)")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--wd", type=float, default=5e-5)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--steps", type=int, default=4000, help="length of the cosine schedule")
    p.add_argument("--max-seconds", type=float, default=1e9, help="stop and save after this")
    p.add_argument("--time-schedule", action="store_true",
                   help="cosine over --max-seconds of this call's wall time, not --steps "
                        "(it still stops at --steps, whichever comes first)")
    p.add_argument("--save-every-s", type=float, default=120.0)
    p.add_argument("--eval-n", type=int, default=4096)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--bn", choices=("frozen", "batch"), default="frozen",
                   help="BatchNorm statistics while training: v2's running ones (frozen), or "
                        "each forward's batch (the first run: its running statistics became a "
                        "mix of the small-cell and widened forwards that fits neither)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--export", nargs=2, metavar=("STATE", "WEIGHTS"),
                   help="copy a state's delta into a weights folder and record its sha256s")
    return p.parse_args(argv)


def is_trained(key: str) -> bool:
    """Parameters the fine-tune changes; BatchNorm parameters and statistics everywhere."""
    return key.startswith(TRAINED) or ".bn" in key or ".downsample.1." in key


def build(base: Path | str, resume: Path | None = None, init: Path | None = None
          ) -> tuple[SymmetryNet, int, list]:
    """v2's network from ``base``, with a saved delta laid over it when resuming, or else
    a shipped version's delta (``init``, its config's ``"delta"``) at step 0."""
    cfg = json.loads((Path(base) / "config.json").read_text())
    model = SymmetryNet(cfg["arch"], cfg["input_mode"], cfg["dropout"],
                        num_classes=len(cfg["groups"]), resize=bool(cfg.get("resize", True)))
    state = load_split(base, "model")
    step, log = 0, []
    if init is not None and not (resume is not None and (resume / "state.json").exists()):
        shipped = json.loads((init / "config.json").read_text())["delta"]
        state = overlay(state, load_split(init, shipped["name"], shipped["files"]))
        print(f"starting from {init}'s delta", flush=True)
    elif resume is not None and (resume / "state.json").exists():
        state = overlay(state, load_split(resume, DELTA))
        saved = json.loads((resume / "state.json").read_text())
        step, log = saved["step"], saved["log"]
        print(f"resumed from {resume} at step {step}", flush=True)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model, step, log


def train_mode(model: SymmetryNet, bn: str) -> None:
    """Dropout on; BatchNorm on its running statistics when ``bn`` is "frozen"."""
    model.train()
    if bn == "frozen":
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()


def delta_of(model: SymmetryNet) -> dict[str, torch.Tensor]:
    return {k: v for k, v in model.state_dict().items() if is_trained(k)}


def save_state(model: SymmetryNet, out: Path, args: argparse.Namespace, step: int,
               log: list, results: dict) -> None:
    """Delta parts, then state.json (written last, so a state.json always has its delta)."""
    save_split(delta_of(model), out, DELTA, dtype=torch.float16)
    state = {"step": step, "args": vars(args), "log": log, "eval": results}
    (out / "state.json").write_text(json.dumps(state, indent=1))


def evaluate(model: SymmetryNet, n: int, dev, amp: bool) -> dict:
    """Both halves of the training data, on fixed-seed batches (rounded for state.json)."""
    return {name: {k: round(v, 4) if k != "n" else v
                   for k, v in accuracy(model, make, n, dev, amp, EVAL_SEED).items()}
            for name, make in (("widened", widened_batch), ("small_cells", small_cell_batch))}


def train(args: argparse.Namespace) -> dict:
    dev = torch.device(args.device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    resume = Path(args.resume) if args.resume else out
    model, step, log = build(args.base, resume, Path(args.init) if args.init else None)
    for key, p in model.named_parameters():
        p.requires_grad_(is_trained(key))
    trained = [p for p in model.parameters() if p.requires_grad]
    print(f"training {sum(p.numel() for p in trained):,} of "
          f"{sum(p.numel() for p in model.parameters()):,} parameters", flush=True)
    model.to(dev).to(memory_format=torch.channels_last)
    amp = dev.type == "cuda"
    results: dict = {}
    if args.eval_n and step == 0:
        results["base"] = evaluate(model, args.eval_n, dev, amp)
        print(f"eval base: {results['base']}", flush=True)
    opt = torch.optim.SGD(trained, lr=args.lr, momentum=0.9, nesterov=True,
                          weight_decay=args.wd)
    families = tuple(f.strip() for f in args.families.split(",") if f.strip())
    unknown = sorted(set(families) - set(ALL_FAMILIES))
    if unknown or not families:
        raise SystemExit(f"--families {args.families!r}: expected some of "
                         f"{', '.join(ALL_FAMILIES)}")
    n_small = int(round(args.batch * args.small_frac))
    t0 = tsave = tlast = time.time()
    seen = 0
    while step < args.steps and time.time() - t0 < args.max_seconds:
        g = torch.Generator(device=dev).manual_seed(args.seed * 1_000_003 + step)
        progress = (time.time() - t0) / args.max_seconds if args.time_schedule \
            else step / args.steps
        lr = lr_at(progress, step, args)
        for group in opt.param_groups:
            group["lr"] = lr
        with torch.no_grad():
            batches = ([small_cell_batch(n_small, g, dev, families=families)]
                       if n_small else [])
            if args.batch - n_small:
                batches.append(widened_batch(args.batch - n_small, g, dev, families=families))
        train_mode(model, args.bn)
        loss = torch.zeros((), device=dev)
        hits = 0
        for x, y in batches:
            with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=amp):
                logits = model(x.contiguous(memory_format=torch.channels_last))
                loss = loss + F.cross_entropy(logits, y, reduction="sum") / args.batch
            hits += int((logits.argmax(1) == y).sum())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        seen += args.batch
        if step % args.log_every == 0:
            entry = {"step": step, "loss": round(loss.item(), 4),
                     "acc": round(hits / args.batch, 4), "lr": round(lr, 5),
                     "img_s": round(seen / (time.time() - tlast)),
                     "elapsed_s": round(time.time() - t0)}
            log.append(entry)
            print(json.dumps(entry), flush=True)
            seen, tlast = 0, time.time()
        if args.save_every_s and time.time() - tsave > args.save_every_s:
            save_state(model, out, args, step, log, {})
            tsave = time.time()
    train_s = time.time() - t0
    if args.eval_n:
        results["tuned"] = evaluate(model, args.eval_n, dev, amp)
        print(f"eval tuned: {results['tuned']}", flush=True)
    results["train_seconds_this_call"] = round(train_s)
    results["device"] = torch.cuda.get_device_name() if amp else "cpu"
    results["torch"] = torch.__version__
    save_state(model, out, args, step, log, results)
    return results


def export(state: Path, weights: Path) -> dict:
    """Copy the delta parts into ``weights`` and name them with sha256s in its config."""
    packed.remove(weights, f"{DELTA}.part*.safetensors")
    files = {}
    for part in sorted(state.glob(f"{DELTA}.part*.safetensors")):
        (weights / part.name).write_bytes(part.read_bytes())
        files[part.name] = sha256(weights / part.name)
        packed.pack(weights / part.name)  # shipped packed; the sha256 is the plain file's
    if not files:
        raise SystemExit(f"no {DELTA}.part*.safetensors in {state}")
    saved = json.loads((state / "state.json").read_text())
    cfg_path = weights / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["delta"] = {"name": DELTA, "files": files}
    cfg["finetune"] = {"steps": saved["step"], "args": saved["args"],
                       "eval": saved.get("eval", {})}
    cfg_path.write_text(json.dumps(cfg, indent=1))
    return cfg


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.export:
        cfg = export(Path(args.export[0]), Path(args.export[1]))
        print(json.dumps(cfg["delta"], indent=1))
        return
    if not args.out:
        raise SystemExit("--out is required for training")
    train(args)


if __name__ == "__main__":
    main()
