"""RTFM-tiny, exactly as docs/model.md specifies (the C# engine is the other implementation;
tests/golden holds a file that pins them to each other).

Shapes: frames (H, W, 3) in model space [-1, 1]; rays (H, W, 6); tokens (T, p*p*9);
hidden (B, T, D). Batched over B frames where the trainer needs it.
"""
import json
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    imageHeight: int = 64
    imageWidth: int = 64
    patch: int = 8
    width: int = 256
    depth: int = 6
    heads: int = 4
    mlpRatio: int = 4
    contextFrames: int = 4
    samplerSteps: int = 4
    timeFrequencies: int = 256
    layerNormEps: float = 1e-6
    rayFrequencies: int = 0

    @property
    def token_inputs(self):
        """p*p*9 pixel and ray values, then 12 F Fourier features of the patch's mean ray."""
        return self.patch * self.patch * 9 + 12 * self.rayFrequencies

    @property
    def tokens(self):
        return (self.imageHeight // self.patch) * (self.imageWidth // self.patch)

    def to_json(self):
        return asdict(self)


def quat_to_matrix(q):
    """q (..., 4) as [w, x, y, z] -> rotation matrices (..., 3, 3), camera-to-world."""
    w, x, y, z = q.unbind(-1)
    return torch.stack([
        torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        torch.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        torch.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def plucker_rays(position, rotation_wxyz, intrinsics, height, width):
    """Per-pixel (d, o x d): position (B, 3), rotation (B, 4), intrinsics (fx, fy, cx, cy) -> (B, H, W, 6)."""
    with torch.autocast("cpu", enabled=False):  # geometry stays f32 under bf16 training
        return _plucker_rays_f32(position.float(), rotation_wxyz.float(), intrinsics, height, width)


def _plucker_rays_f32(position, rotation_wxyz, intrinsics, height, width):
    fx, fy, cx, cy = intrinsics
    v, u = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32), indexing="ij")
    cam = torch.stack([(u + 0.5 - cx) / fx, (v + 0.5 - cy) / fy, torch.ones_like(u)], -1)  # (H, W, 3)
    r = quat_to_matrix(rotation_wxyz)  # (B, 3, 3)
    d = torch.einsum("bij,hwj->bhwi", r, cam)
    d = d / d.norm(dim=-1, keepdim=True)
    o = position[:, None, None, :].expand_as(d)
    return torch.cat([d, torch.cross(o, d, dim=-1)], -1)


def patchify(x, p):
    """(B, H, W, C) -> (B, T, p*p*C), patches in raster order, (row, col, channel) inside."""
    b, h, w, c = x.shape
    x = x.reshape(b, h // p, p, w // p, p, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, (h // p) * (w // p), p * p * c)


def unpatchify(t, p, h, w):
    """(B, T, p*p*3) -> (B, H, W, 3)."""
    b = t.shape[0]
    x = t.reshape(b, h // p, w // p, p, p, 3).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, w, 3)


def ray_fourier(patch_rays, p, n):
    """(B, T, p*p*6) patch rays -> (B, T, 12 n): the patch's mean Plucker ray r (6 values), then
    sin(2^k r) for k < n (k-major, component-minor), then cos(2^k r) in the same order."""
    with torch.autocast("cpu", enabled=False):
        b, t, _ = patch_rays.shape
        r = patch_rays.float().reshape(b, t, p * p, 6).mean(2)                       # (B, T, 6)
        freqs = 2.0 ** torch.arange(n, dtype=torch.float32)                          # (n,)
        a = (freqs[:, None] * r[:, :, None, :]).reshape(b, t, 6 * n)                  # (B, T, n*6)
        return torch.cat([torch.sin(a), torch.cos(a)], -1)


def time_embedding(t, n):
    """t (B,) -> (B, n): cos(1000 t f_i), then sin, f_i = 10000^(-i/half)."""
    half = n // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
    args = 1000.0 * t.double()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], -1).float()


def gelu(x):
    return F.gelu(x, approximate="tanh")


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c.width
        self.ada = nn.Linear(d, 6 * d)
        self.attn = nn.ModuleDict({n: nn.Linear(d, d) for n in ("q", "k", "v", "out")})
        if c.rayFrequencies > 0:
            # Ray features straight into the queries and keys (docs/model.md): their product adds a
            # kernel of the ray difference to the attention logits, out of reach of the noise.
            self.attn["ray_q"] = nn.Linear(12 * c.rayFrequencies, d)
            self.attn["ray_k"] = nn.Linear(12 * c.rayFrequencies, d)
        self.mlp = nn.ModuleDict({"fc1": nn.Linear(d, c.mlpRatio * d), "fc2": nn.Linear(c.mlpRatio * d, d)})
        self.heads, self.eps = c.heads, c.layerNormEps

    def modulate(self, x, shift, scale):
        return F.layer_norm(x, (x.shape[-1],), eps=self.eps) * (1 + scale[:, None, :]) + shift[:, None, :]

    def forward(self, x, cg, ctx_k=None, ctx_v=None, kv_only=False, phi=None):
        """x (B, T, D); cg (B, D); ctx_k/v (B, Tc, D) or None; phi (B, T, 12F) ray features or None. Returns (x, k, v)."""
        s1, c1, g1, s2, c2, g2 = self.ada(cg).chunk(6, -1)
        h = self.modulate(x, s1, c1)
        k, v = self.attn["k"](h), self.attn["v"](h)
        if phi is not None:
            k = k + self.attn["ray_k"](phi)
        if kv_only:
            return x, k, v
        q = self.attn["q"](h)
        if phi is not None:
            q = q + self.attn["ray_q"](phi)
        keys = k if ctx_k is None else torch.cat([ctx_k, k], 1)
        vals = v if ctx_v is None else torch.cat([ctx_v, v], 1)
        b, t, d = q.shape
        dh = d // self.heads
        qh = q.view(b, t, self.heads, dh).transpose(1, 2)
        kh = keys.view(b, -1, self.heads, dh).transpose(1, 2)
        vh = vals.view(b, -1, self.heads, dh).transpose(1, 2)
        att = torch.softmax(qh @ kh.transpose(-1, -2) / math.sqrt(dh), -1) @ vh
        x = x + g1[:, None, :] * self.attn["out"](att.transpose(1, 2).reshape(b, t, d))
        h = self.modulate(x, s2, c2)
        x = x + g2[:, None, :] * self.mlp["fc2"](gelu(self.mlp["fc1"](h)))
        return x, k, v


class RtfmTiny(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.c = c
        d = c.width
        self.embed = nn.Linear(c.token_inputs, d)
        self.time = nn.ModuleDict({"fc1": nn.Linear(c.timeFrequencies, d), "fc2": nn.Linear(d, d)})
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.depth)])
        self.final = nn.ModuleDict({"ada": nn.Linear(d, 2 * d), "linear": nn.Linear(d, c.patch * c.patch * 3)})

    def cond(self, t):
        c = self.time["fc2"](gelu(self.time["fc1"](time_embedding(t, self.c.timeFrequencies))))
        return gelu(c)

    def tokens(self, x, rays):
        """-> (tokens (B, T, D), ray features (B, T, 12F) or None)."""
        p = self.c.patch
        pr = patchify(rays, p)
        parts = [patchify(x, p), pr]
        phi = None
        if self.c.rayFrequencies > 0:
            phi = ray_fourier(pr, p, self.c.rayFrequencies)
            parts.append(phi)
        return self.embed(torch.cat(parts, -1)), phi

    def encode(self, frames, rays):
        """Clean frames (B, H, W, 3) in [-1, 1] -> per layer (k, v), each (B, T, D)."""
        b = frames.shape[0]
        cg = self.cond(torch.ones(b))
        x, phi = self.tokens(frames, rays)
        kv = []
        for i, blk in enumerate(self.blocks):
            x, k, v = blk(x, cg, kv_only=(i == len(self.blocks) - 1), phi=phi)
            kv.append((k, v))
        return kv

    def predict(self, x_t, rays, t, context):
        """x-prediction: noisy frames (B, H, W, 3) at times t (B,), context per layer (k, v) of (B, Tc, D) or None."""
        c = self.c
        cg = self.cond(t)
        x, phi = self.tokens(x_t, rays)
        for i, blk in enumerate(self.blocks):
            ck, cv = context[i] if context is not None else (None, None)
            x, _, _ = blk(x, cg, ck, cv, phi=phi)
        shift, scale = self.final["ada"](cg).chunk(2, -1)
        h = F.layer_norm(x, (x.shape[-1],), eps=c.layerNormEps) * (1 + scale[:, None, :]) + shift[:, None, :]
        return unpatchify(self.final["linear"](h), c.patch, c.imageHeight, c.imageWidth)

    @torch.no_grad()
    def render(self, rays, context, noise, steps=None):
        """Euler sampler from noise (B, H, W, 3); returns model-space frames before clamping."""
        n = steps or self.c.samplerSteps
        x = noise
        b = x.shape[0]
        for s in range(n):
            t = torch.tensor(s / n, dtype=torch.float32)
            tn = torch.tensor((s + 1) / n, dtype=torch.float32)
            xp = self.predict(x, rays, t.expand(b), context)
            x = x + (tn - t) / (1 - t) * (xp - x)
        return x


def context_from_blocks(blocks):
    """A list of encode() results for K frames (batch 1 each) -> per layer (k, v) of (1, K*T, D)."""
    layers = len(blocks[0])
    return [(torch.cat([b[l][0] for b in blocks], 1), torch.cat([b[l][1] for b in blocks], 1)) for l in range(layers)]


def parameter_dict(model):
    """State dict under the names the C# engine reads (docs/model.md)."""
    out = {}
    for name, t in model.state_dict().items():
        out[name] = t.float()
    return out


def model_card(config, name, version, trained, description, training=None):
    params = sum(p.numel() for p in RtfmTiny(config).parameters())
    return json.dumps({
        "name": name, "version": version, "trained": trained, "config": config.to_json(),
        "parameters": params, "description": description, "training": training, "initSeed": None,
    }, indent=2)
