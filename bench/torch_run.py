#!/usr/bin/env python3
"""One training run the way a PyTorch user writes it, for `npm run bench`'s whole-sweep comparison (never a test).

The same run as one of mixbench's: the prepared data of that run (bench/sweep-compare.ts writes it: training split
after label noise, test split, the memorisation probe of noisy runs), the same pre-norm ViT as bench/torch_ref.py
(patch embedding as a Linear, learned positions, separate q/k/v, tanh GELU, mean pooling, final LayerNorm; initialised
as mixbench does: Glorot-uniform matrices, zero biases, truncated-normal positions), AdamW with
decay on weight matrices only, linear warm-up then a constant or cosine learning rate per step, mixup with Beta(α, α)
when asked, the last partial batch dropped, and the work mixbench does besides the steps: the test set evaluated
after every epoch (batches of 512), the probe of noisy runs evaluated after every epoch, and the over-smoothing
diagnostic (mean pairwise token cosine per layer on the first 512 test examples) at the end. One run per process:
the interpreter start, `import torch` and the data load are part of the run, as they are for a user.

Usage: torch_run.py --data FILE --threads N
FILE: a JSON header line (shapes, classes, model and training settings, seed), then float32/int32 arrays.
Prints one JSON line: last test accuracy, seconds (total, training, evaluation), samples/s.
"""
import argparse
import json
import math
import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from torch_ref import Block  # noqa: E402  (the same block as the step benchmark)


class ViT(nn.Module):
    def __init__(self, shape, classes, dim, depth, heads, mlp, patch):
        super().__init__()
        H, W, C = shape
        self.p, self.shape = patch, shape
        self.tokens = (H // patch) * (W // patch)
        self.embed = nn.Linear(patch * patch * C, dim)
        self.pos = nn.Parameter(torch.randn(self.tokens, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp) for _ in range(depth)])
        self.lnf = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)
        # mixbench's initialisation: Glorot-uniform weight matrices, zero biases, position embedding N(0, 0.02²)
        # truncated at ±2σ.
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        with torch.no_grad():
            nn.init.trunc_normal_(self.pos, std=0.02, a=-0.04, b=0.04)

    def hidden(self, x):
        B = x.shape[0]
        H, W, C = self.shape
        p = self.p
        patches = x.view(B, H // p, p, W // p, p, C).permute(0, 1, 3, 2, 4, 5).reshape(B, self.tokens, p * p * C)
        h = self.embed(patches) + self.pos
        out = [h]
        for blk in self.blocks:
            h = blk(h)
            out.append(h)
        return out

    def forward(self, x):
        return self.head(self.lnf(self.hidden(x)[-1].mean(1)))


def read(path):
    with open(path, 'rb') as f:
        header = json.loads(f.readline())
        arrays = {}
        for name, dtype, count in header['arrays']:
            arrays[name] = np.frombuffer(f.read(4 * count), dtype=np.float32 if dtype == 'f' else np.int32).copy()
    return header, arrays


def lr_at(cfg, step, total, warmup):
    if warmup > 0 and step < warmup:
        return cfg['lr'] * (step + 1) / warmup
    if cfg['schedule'] == 'constant':
        return cfg['lr']
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.5 * cfg['lr'] * (1 + math.cos(math.pi * progress))


@torch.no_grad()
def predict(model, x, batch=512):
    model.eval()
    out = torch.cat([model(x[s:s + batch]) for s in range(0, x.shape[0], batch)])
    model.train()
    return out


@torch.no_grad()
def oversmoothing(model, x, n=512, batch=128):
    model.eval()
    sums = None
    for s in range(0, min(n, x.shape[0]), batch):
        hs = model.hidden(x[s:min(s + batch, n)])
        vals = []
        for h in hs:
            u = h / (h.norm(dim=-1, keepdim=True) + 1e-12)
            N = h.shape[1]
            vals.append((((u.sum(1) ** 2).sum(-1) - N) / (N * (N - 1))).sum().item())
        sums = vals if sums is None else [a + b for a, b in zip(sums, vals)]
    model.train()
    return [v / min(n, x.shape[0]) for v in sums]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    header, a = read(args.data)
    shape, classes, m, t = header['shape'], header['classes'], header['model'], header['train']
    torch.manual_seed(header['seed'])
    rng = np.random.default_rng(header['seed'])
    xtr = torch.from_numpy(a['train_x']).view(-1, *shape)
    ytr = torch.from_numpy(a['train_y']).long()
    xte = torch.from_numpy(a['test_x']).view(-1, *shape)
    yte = torch.from_numpy(a['test_y']).long()
    probe = torch.from_numpy(a['probe_x']).view(-1, *shape) if 'probe_x' in a else None
    model = ViT(shape, classes, m['dim'], m['depth'], m['heads'], m['mlpDim'], m['patch'])
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and not n.endswith('pos')]
    rest = [p for n, p in model.named_parameters() if not (p.dim() == 2 and not n.endswith('pos'))]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': t['weightDecay']}, {'params': rest, 'weight_decay': 0.0}],
                            lr=t['lr'], betas=(t['beta1'], t['beta2']), eps=t['eps'])
    n = xtr.shape[0]
    bs = min(t['batchSize'], n)
    steps_per_epoch = n // bs
    total = steps_per_epoch * t['epochs']
    warmup = round(t['warmupEpochs'] * steps_per_epoch)
    alpha = header.get('mixupAlpha')
    step = 0
    train_s = 0.0
    eval_s = 0.0
    acc = 0.0
    t_ready = time.perf_counter()
    for _ in range(t['epochs']):
        t0 = time.perf_counter()
        order = torch.from_numpy(rng.permutation(n))
        for b in range(steps_per_epoch):
            idx = order[b * bs:(b + 1) * bs]
            x, y = xtr[idx], F.one_hot(ytr[idx], classes).float()
            if alpha:
                lam = float(rng.beta(alpha, alpha))
                perm = torch.from_numpy(rng.permutation(bs))
                x, y = lam * x + (1 - lam) * x[perm], lam * y + (1 - lam) * y[perm]
            for g in opt.param_groups:
                g['lr'] = lr_at(t, step, total, warmup)
            opt.zero_grad(set_to_none=True)
            loss = -(y * F.log_softmax(model(x), -1)).sum(-1).mean()
            loss.backward()
            opt.step()
            step += 1
        t1 = time.perf_counter()
        train_s += t1 - t0
        acc = (predict(model, xte).argmax(-1) == yte).float().mean().item()
        if probe is not None:
            predict(model, probe)
        eval_s += time.perf_counter() - t1
    t2 = time.perf_counter()
    oversmoothing(model, xte)
    eval_s += time.perf_counter() - t2
    end = time.perf_counter()
    print(json.dumps({
        'lastAccuracy': acc, 'seconds': end - T_START, 'startupSeconds': t_ready - T_START, 'trainSeconds': train_s,
        'evalSeconds': eval_s, 'samplesPerSec': steps_per_epoch * bs * t['epochs'] / train_s, 'threads': torch.get_num_threads(),
    }))


if __name__ == '__main__':
    main()
