"""Posed frame sequences written by `rtfm dataset` (frames.u8 + cameras.json per scene), and
the training sampler: a target frame and K context frames chosen the way the platform's
retrieval chooses them (docs/model.md), with a share of exact revisits (target among the
context) so the model learns to copy what it has seen.
"""
import json
import os

import torch

from .model import quat_to_matrix


class PosedScenes:
    def __init__(self, root):
        with open(os.path.join(root, "manifest.json")) as f:
            manifest = json.load(f)
        self.size = manifest["size"]
        frames, positions, rotations = [], [], []
        self.intrinsics = None
        for split, names in manifest["splits"].items():
            for name in names:
                d = os.path.join(root, split, name)
                with open(os.path.join(d, "cameras.json")) as f:
                    cams = json.load(f)
                n = len(cams["frames"])
                raw = torch.frombuffer(bytearray(open(os.path.join(d, "frames.u8"), "rb").read()), dtype=torch.uint8)
                frames.append(raw.view(n, self.size, self.size, 3))
                positions.append(torch.tensor([c["position"] for c in cams["frames"]]))
                rotations.append(torch.tensor([c["rotation_wxyz"] for c in cams["frames"]]))
                k = cams["intrinsics"]
                self.intrinsics = [k["fx"], k["fy"], k["cx"], k["cy"]]
        self.frames = torch.stack(frames)        # (S, F, H, W, 3) uint8
        self.positions = torch.stack(positions)  # (S, F, 3)
        self.rotations = torch.stack(rotations)  # (S, F, 4) [w, x, y, z]
        self.forward = quat_to_matrix(self.rotations)[..., :, 2]  # (S, F, 3): camera +Z in world

    @property
    def scenes(self):
        return self.frames.shape[0]

    def score(self, s, j):
        """Retrieval score of every frame of scene s against frame j (docs/model.md)."""
        dist = (self.positions[s] - self.positions[s, j]).norm(dim=-1)
        cos = (self.forward[s] * self.forward[s, j]).sum(-1).clamp(-1, 1)
        return dist + 2.0 * (1 - cos) / 2

    def sample(self, batch, k, revisit_share, generator, pool=8):
        """Returns (target idx (B, 2), context idx (B, K, 2)) as (scene, frame) pairs."""
        scenes = torch.randint(self.scenes, (batch,), generator=generator)
        frames_per_scene = self.frames.shape[1]
        targets = torch.randint(frames_per_scene, (batch,), generator=generator)
        ctx = torch.empty(batch, k, 2, dtype=torch.long)
        for b in range(batch):
            s, j = int(scenes[b]), int(targets[b])
            order = torch.argsort(self.score(s, j))
            revisit = torch.rand(1, generator=generator).item() < revisit_share
            candidates = order if revisit else order[order != j]
            # K of the `pool` best, at random: near views, not always the very nearest.
            pick = candidates[:pool][torch.randperm(min(pool, len(candidates)), generator=generator)[:k]]
            if revisit and j not in pick.tolist():
                pick[0] = j
            ctx[b, :, 0] = s
            ctx[b, :, 1] = pick
        return torch.stack([scenes, targets], -1), ctx

    def images(self, idx):
        """(..., 2) indices -> model-space frames (..., H, W, 3) in [-1, 1]."""
        return self.frames[idx[..., 0], idx[..., 1]].float() / 127.5 - 1.0

    def poses(self, idx):
        return self.positions[idx[..., 0], idx[..., 1]], self.rotations[idx[..., 0], idx[..., 1]]
