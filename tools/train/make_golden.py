"""Writes tests/golden/: small RTFM models (random weights) and one set of inputs each with the
PyTorch f32 outputs (KV blocks of two context frames, a rendered frame), so the C# engine's
parity test needs no Python: `rtfm-golden` (raw Plucker rays only) and `rtfm-golden-rays`
(with ray Fourier features). Run: /usr/bin/python3 tools/train/make_golden.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rtfm import safetensors_io  # noqa: E402
from rtfm.model import ModelConfig, RtfmTiny, context_from_blocks, model_card, parameter_dict, plucker_rays  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "golden")


def write(name, seed, ray_frequencies):
    torch.manual_seed(seed)
    c = ModelConfig(imageHeight=16, imageWidth=16, patch=4, width=48, depth=2, heads=2, mlpRatio=4,
                    contextFrames=2, samplerSteps=3, timeFrequencies=16, rayFrequencies=ray_frequencies)
    model = RtfmTiny(c).eval()
    with torch.no_grad():
        for p in model.parameters():  # wider than the default init: every op must move the output
            p.uniform_(-0.12, 0.12)
    os.makedirs(OUT, exist_ok=True)
    card = model_card(c, name, "golden-1", False, "Random weights pinning the C# engine to the PyTorch trainer.")
    safetensors_io.save(os.path.join(OUT, f"{name}.safetensors"), parameter_dict(model), {"model_card": card})

    h, w = c.imageHeight, c.imageWidth
    intr = torch.tensor([14.0, 14.0, 8.0, 8.0])
    def pose():
        q = torch.randn(4)
        q = q / q.norm()
        if q[0] < 0:
            q = -q
        return torch.randn(3), q
    io = {"intrinsics": intr}
    blocks = []
    for i in range(2):
        pos, rot = pose()
        img = torch.rand(h, w, 3)
        rays = plucker_rays(pos[None], rot[None], intr.tolist(), h, w)
        with torch.no_grad():
            kv = model.encode((2 * img - 1)[None], rays)
        blocks.append(kv)
        io[f"ctx.{i}.image"] = img
        io[f"ctx.{i}.pose"] = torch.cat([pos, rot])
        for l, (k, v) in enumerate(kv):
            io[f"expect.kv.{i}.{l}.k"] = k[0]
            io[f"expect.kv.{i}.{l}.v"] = v[0]
    pos, rot = pose()
    noise = torch.randn(h, w, 3)
    rays = plucker_rays(pos[None], rot[None], intr.tolist(), h, w)
    x = model.render(rays, context_from_blocks(blocks), noise[None])[0]
    io["target.pose"] = torch.cat([pos, rot])
    io["noise"] = noise
    io["expect.x"] = x
    io["expect.frame"] = ((x + 1) / 2).clamp(0, 1)
    safetensors_io.save(os.path.join(OUT, f"{name}-io.safetensors"), io, {"about": f"inputs and PyTorch f32 outputs for {name}.safetensors"})
    print(f"wrote {OUT}/{name}: frame range {float(x.min()):.3f}..{float(x.max()):.3f}")


def main():
    write("rtfm-golden", 1234, 0)
    write("rtfm-golden-rays", 4321, 3)


if __name__ == "__main__":
    main()
