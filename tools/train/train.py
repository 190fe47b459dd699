"""Trains RTFM-tiny (docs/model.md) on posed frames from `rtfm dataset`.

Objective: flow matching with x-prediction (the network predicts the clean frame; the sampler
derives the velocity). Context: K frames chosen like the platform's retrieval, with a share of
exact revisits. Resumable: state lives in RUN/ckpt.pt (model, optimiser, step, minutes, RNG);
every evaluation appends to RUN/curve.csv and exports RUN/rtfm-tiny-64.safetensors + card.

Run through train.sh, which installs Debian's PyTorch first.
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rtfm import safetensors_io  # noqa: E402
from rtfm.data import PosedScenes  # noqa: E402
from rtfm.model import ModelConfig, RtfmTiny, model_card, parameter_dict, plucker_rays  # noqa: E402


def psnr(a, b):
    """a, b in model space [-1, 1] -> PSNR in dB on [0, 1] images, per sample."""
    a = ((a + 1) / 2).clamp(0, 1)
    b = ((b + 1) / 2).clamp(0, 1)
    mse = ((a - b) ** 2).flatten(1).mean(1).clamp_min(1e-10)
    return -10 * torch.log10(mse)


def init_weights(model):
    """DiT-style: Xavier-uniform linears, adaLN modulations and the output head start at zero."""
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    for blk in model.blocks:
        torch.nn.init.zeros_(blk.ada.weight)
        torch.nn.init.zeros_(blk.ada.bias)
    torch.nn.init.zeros_(model.final["ada"].weight)
    torch.nn.init.zeros_(model.final["ada"].bias)
    torch.nn.init.zeros_(model.final["linear"].weight)
    torch.nn.init.zeros_(model.final["linear"].bias)


def context_kv(model, data, ctx_idx):
    """Encodes (B, K) context frames -> per layer (k, v) of (B, K*T, D)."""
    b, k = ctx_idx.shape[:2]
    flat = ctx_idx.reshape(b * k, 2)
    pos, rot = data.poses(flat)
    rays = plucker_rays(pos, rot, data.intrinsics, data.size, data.size)
    kv = model.encode(data.images(flat), rays)
    return [(kk.reshape(b, -1, kk.shape[-1]), vv.reshape(b, -1, vv.shape[-1])) for kk, vv in kv]


def training_times(b, steps, generator):
    """Half on the sampler's own grid (t = s/steps), half uniform."""
    grid = torch.randint(steps, (b,), generator=generator).float() / steps
    uniform = torch.rand(b, generator=generator) * 0.98
    return torch.where(torch.rand(b, generator=generator) < 0.5, grid, uniform)


@torch.no_grad()
def evaluate(model, val, c, count=16, seed=7):
    """Reconstruction PSNR (no revisit), revisit PSNR (target in context), nearest-frame baseline."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, share in (("recon", 0.0), ("revisit", 1.0)):
        tgt, ctx = val.sample(count, c.contextFrames, share, g, pool=c.contextFrames)
        kv = context_kv(model, val, ctx)
        pos, rot = val.poses(tgt)
        rays = plucker_rays(pos, rot, val.intrinsics, val.size, val.size)
        noise = torch.randn(count, val.size, val.size, 3, generator=g)
        x = model.render(rays, kv, noise)
        truth = val.images(tgt)
        out[name] = psnr(x, truth).mean().item()
        if name == "recon":
            # Baseline: the nearest context frame (first in retrieval order among the picks).
            scores = torch.stack([val.score(int(s), int(j))[ctx[i, :, 1]] for i, (s, j) in enumerate(tgt)])
            nearest = ctx[torch.arange(count), scores.argmin(1)]
            out["nearest"] = psnr(val.images(nearest), truth).mean().item()
    model.train()
    return out


def adopt_weights(model, tensors, c):
    """Loads a run's weights into model (config c), giving them what c adds: zero embedding columns
    for new ray features, and small random `attn.ray_q`/`ray_k` (zero biases), so the model starts
    close to the trained one and the bilinear ray term still gets a gradient. True if anything was added."""
    widened = widen_embedding(tensors, c)
    own = model.state_dict()
    missing = [n for n in own if n not in tensors]
    if any(".attn.ray_" not in n for n in missing):
        sys.exit(f"train.py: the run's weights lack {[n for n in missing if '.attn.ray_' not in n][:3]}: not a run of this model")
    for n in missing:
        if n.endswith(".weight"):
            bound = 0.1 * math.sqrt(6.0 / (own[n].shape[0] + own[n].shape[1]))  # 0.1 x Xavier-uniform
            tensors[n] = (torch.rand(own[n].shape) * 2 - 1) * bound
        else:
            tensors[n] = torch.zeros(own[n].shape)
    model.load_state_dict(tensors)
    return widened or bool(missing)


def widen_embedding(tensors, c):
    """Gives weights trained with fewer token inputs the extra embedding columns of config c, as
    zeros: the widened model computes exactly what the old one did until training moves them."""
    w = tensors["embed.weight"]
    if w.shape[1] == c.token_inputs:
        return False
    if w.shape[1] > c.token_inputs:
        sys.exit(f"train.py: the run's embedding takes {w.shape[1]} inputs, more than the {c.token_inputs} asked for")
    tensors["embed.weight"] = torch.cat([w, torch.zeros(w.shape[0], c.token_inputs - w.shape[1], dtype=w.dtype)], 1)
    return True


def save_checkpoint(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def export(model, c, run, minutes, step, metrics):
    card = model_card(c, f"rtfm-tiny-{c.imageWidth}", f"train-step{step}", True,
                      "RTFM-tiny trained with tools/train/train.sh (flow matching, x-prediction).",
                      training=f"{minutes:.1f} CPU minutes, {step} steps; last validation {json.dumps(metrics)}")
    path = os.path.join(run, f"rtfm-tiny-{c.imageWidth}.safetensors")
    safetensors_io.save(path, parameter_dict(model), {"model_card": card})
    with open(os.path.join(run, f"rtfm-tiny-{c.imageWidth}.card.json"), "w") as f:
        f.write(card)
    with open(os.path.join(run, "state.json"), "w") as f:
        json.dump({"step": step, "minutes": round(minutes, 2), "validation": metrics}, f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="training set written by `rtfm dataset --split train`")
    ap.add_argument("--val", required=True, help="validation set written by `rtfm dataset --split validation`")
    ap.add_argument("--run", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs", "tiny"))
    ap.add_argument("--minutes", type=float, default=60.0, help="train this many more minutes, then stop")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--revisit-share", type=float, default=0.3)
    ap.add_argument("--ray-frequencies", type=int, default=None,
                    help="Fourier features of each patch's mean ray (docs/model.md); default: the run's own, else 0. "
                         "Raising it on a trained run widens the embedding with zero columns (same function at first)")
    ap.add_argument("--warmup", type=int, default=200, help="learning-rate warm-up steps after every (re)start")
    ap.add_argument("--width", type=int, default=None, help="new runs only: transformer width (default 256)")
    ap.add_argument("--depth", type=int, default=None, help="new runs only: blocks (default 6)")
    ap.add_argument("--heads", type=int, default=None, help="new runs only: attention heads (default 4)")
    ap.add_argument("--eval-minutes", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-bf16", action="store_true", help="train in f32 (bf16 autocast is ~2.6x faster on AVX512_BF16 CPUs)")
    args = ap.parse_args()
    if args.minutes <= 0 or args.batch <= 0:
        sys.exit("train.py: --minutes and --batch must be positive")

    torch.set_num_threads(args.threads)
    os.makedirs(args.run, exist_ok=True)
    card_path = os.path.join(args.run, "rtfm-tiny-64.card.json")
    shape = {k: v for k, v in (("width", args.width), ("depth", args.depth), ("heads", args.heads)) if v is not None}
    if os.path.exists(card_path):
        with open(card_path) as f:
            run_config = json.load(f)["config"]
        clash = {k: v for k, v in shape.items() if run_config.get(k) != v}
        if clash:
            sys.exit(f"train.py: {args.run} is a run of width {run_config['width']}, depth {run_config['depth']}, heads {run_config['heads']}: "
                     f"{clash} applies to new runs only (give another --run)")
        run_config.setdefault("rayFrequencies", 0)
        if args.ray_frequencies is not None:
            run_config["rayFrequencies"] = args.ray_frequencies
        c = ModelConfig(**run_config)
    else:
        c = ModelConfig(rayFrequencies=args.ray_frequencies or 0, **shape)
    data = PosedScenes(args.data)
    val = PosedScenes(args.val)
    if data.size != c.imageWidth:
        sys.exit(f"train.py: data is {data.size}x{data.size}, the model takes {c.imageWidth}x{c.imageHeight}")
    model = RtfmTiny(c)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.99))
    ckpt_path = os.path.join(args.run, "ckpt.pt")
    g = torch.Generator().manual_seed(args.seed)
    step, minutes_done = 0, 0.0
    weights_path = os.path.join(args.run, f"rtfm-tiny-{c.imageWidth}.safetensors")
    state_path = os.path.join(args.run, "state.json")
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        torch.manual_seed(args.seed)
        if adopt_weights(model, state["model"], c):
            print(f"model extended with ray features ({c.rayFrequencies} frequencies: embedding columns, attention ray terms): new optimiser", flush=True)
        else:
            opt.load_state_dict(state["opt"])
        step, minutes_done = state["step"], state["minutes"]
        g.set_state(state["rng"])
        print(f"resumed {ckpt_path}: step {step}, {minutes_done:.1f} minutes so far", flush=True)
    elif os.path.exists(weights_path) and os.path.exists(state_path):
        # The repository keeps the exported weights and state.json, not the optimiser (3x larger):
        # a fresh machine resumes from them with a new optimiser and a short warm-up.
        tensors, _ = safetensors_io.load(weights_path)
        torch.manual_seed(args.seed)
        adopt_weights(model, tensors, c)
        with open(state_path) as f:
            st = json.load(f)
        step, minutes_done = st["step"], st["minutes"]
        g.manual_seed(args.seed + step)
        print(f"resumed weights {weights_path}: step {step}, {minutes_done:.1f} minutes so far (new optimiser)", flush=True)
    else:
        torch.manual_seed(args.seed)
        init_weights(model)
        print(f"new run in {args.run}: {sum(p.numel() for p in model.parameters()):,} parameters, "
              f"{data.scenes} training scenes, {val.scenes} validation scenes", flush=True)

    curve_path = os.path.join(args.run, "curve.csv")
    new_curve = not os.path.exists(curve_path)
    curve = open(curve_path, "a", newline="")
    writer = csv.writer(curve)
    if new_curve:
        writer.writerow(["minutes", "step", "loss", "val_recon_psnr", "val_nearest_psnr", "val_revisit_psnr"])

    start = time.time()
    last_eval = start
    losses = []
    warmup = args.warmup
    first_step = step
    while True:
        elapsed = (time.time() - start) / 60
        if elapsed >= args.minutes:
            break
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, (step - first_step + 1) / warmup)
        tgt, ctx = data.sample(args.batch, c.contextFrames, args.revisit_share, g)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=not args.no_bf16):
            kv = context_kv(model, data, ctx)
            x = data.images(tgt)
            pos, rot = data.poses(tgt)
            rays = plucker_rays(pos, rot, data.intrinsics, data.size, data.size)
            t = training_times(args.batch, c.samplerSteps, g)
            eps = torch.randn(x.shape, generator=g)
            xt = t[:, None, None, None] * x + (1 - t[:, None, None, None]) * eps
            pred = model.predict(xt, rays, t, kv)
            loss = F.mse_loss(pred.float(), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        losses.append(loss.item())
        if step % 50 == 0:
            recent = losses[-50:]
            print(f"step {step}  loss {sum(recent) / len(recent):.4f}  {minutes_done + elapsed:.1f} min", flush=True)
        if time.time() - last_eval >= args.eval_minutes * 60:
            last_eval = time.time()
            total = minutes_done + (time.time() - start) / 60
            m = evaluate(model, val, c)
            mean_loss = sum(losses) / max(1, len(losses))
            losses.clear()
            writer.writerow([f"{total:.2f}", step, f"{mean_loss:.5f}", f"{m['recon']:.3f}", f"{m['nearest']:.3f}", f"{m['revisit']:.3f}"])
            curve.flush()
            print(f"eval at step {step}: recon {m['recon']:.2f} dB (nearest frame {m['nearest']:.2f} dB), revisit {m['revisit']:.2f} dB", flush=True)
            save_checkpoint(ckpt_path, {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "minutes": total, "rng": g.get_state()})
            export(model, c, args.run, total, step, m)
    total = minutes_done + (time.time() - start) / 60
    m = evaluate(model, val, c)
    if losses:  # steps since the last evaluation
        writer.writerow([f"{total:.2f}", step, f"{sum(losses) / len(losses):.5f}", f"{m['recon']:.3f}", f"{m['nearest']:.3f}", f"{m['revisit']:.3f}"])
    curve.close()
    save_checkpoint(ckpt_path, {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "minutes": total, "rng": g.get_state()})
    export(model, c, args.run, total, step, m)
    print(f"stopped at step {step} after {total:.1f} minutes in all: recon {m['recon']:.2f} dB (nearest {m['nearest']:.2f}), revisit {m['revisit']:.2f} dB", flush=True)


if __name__ == "__main__":
    main()
