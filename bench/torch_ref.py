#!/usr/bin/env python3
"""PyTorch reference for `npm run bench` (bench/bench.ts runs it; never a test).

The same models, shapes and training step as mixbench's reference workloads, in plain PyTorch:
pre-norm ViT (patch embedding as a Linear on flattened patches, learned position embedding, separate q/k/v
projections, tanh-approximated GELU, mean pooling, final LayerNorm, linear head), the MLP on 16 features, soft-target
cross-entropy and AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.05 on weight matrices only, not on embeddings).

Usage: torch_ref.py --workloads A,B,MLP,TEXT --threads N --windows 3 [--text-vocab V]
Prints one JSON object on stdout: the BLAS library actually loaded, torch's thread count, and per workload the
training samples/s of each timed window and the evaluation samples/s.
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

WORKLOADS = {
    'A': dict(kind='vit', shape=(8, 8, 1), classes=10, batch=64, dim=64, depth=2, heads=4, mlp=128, patch=2),
    'B': dict(kind='vit', shape=(32, 32, 3), classes=10, batch=64, dim=128, depth=4, heads=4, mlp=512, patch=4),
    'MLP': dict(kind='mlp', shape=(16,), classes=26, batch=64, hidden=(256, 256)),
    'TEXT': dict(kind='text', shape=(32,), classes=2, batch=64, dim=64, depth=2, heads=4, mlp=128, vocab=2000),
}
# Steps per timed window (about a second each on wasm).
STEPS = {'A': 30, 'B': 3, 'MLP': 100, 'TEXT': 30}


def gelu(x):
    return F.gelu(x, approximate='tanh')


class Block(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, h, key_bias=None):
        B, T, D = h.shape
        H = self.heads
        dh = D // H
        a = self.ln1(h)
        split = lambda t: t.view(B, T, H, dh).transpose(1, 2)  # [B, H, T, dh]
        q, k, v = split(self.q(a)), split(self.k(a)), split(self.v(a))
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
        if key_bias is not None:
            scores = scores + key_bias[:, None, None, :]
        probs = torch.softmax(scores, dim=-1)
        ctx = (probs @ v).transpose(1, 2).reshape(B, T, D)
        h = h + self.o(ctx)
        return h + self.fc2(gelu(self.fc1(self.ln2(h))))


class ViT(nn.Module):
    def __init__(self, w):
        super().__init__()
        H, W, C = w['shape']
        p = w['patch']
        self.p, self.shape = p, w['shape']
        self.tokens = (H // p) * (W // p)
        self.embed = nn.Linear(p * p * C, w['dim'])
        self.pos = nn.Parameter(torch.randn(self.tokens, w['dim']) * 0.02)
        self.blocks = nn.ModuleList([Block(w['dim'], w['heads'], w['mlp']) for _ in range(w['depth'])])
        self.lnf = nn.LayerNorm(w['dim'])
        self.head = nn.Linear(w['dim'], w['classes'])

    def forward(self, x):
        B = x.shape[0]
        H, W, C = self.shape
        p = self.p
        patches = x.view(B, H // p, p, W // p, p, C).permute(0, 1, 3, 2, 4, 5).reshape(B, self.tokens, p * p * C)
        h = self.embed(patches) + self.pos
        for blk in self.blocks:
            h = blk(h)
        return self.head(self.lnf(h.mean(1)))


class TextTransformer(ViT):
    """Token embedding (a lookup, as PyTorch users write it) instead of patches; same blocks and pooling."""

    def __init__(self, w):
        nn.Module.__init__(self)
        self.tokens = w['shape'][0]
        self.emb = nn.Embedding(w['vocab'], w['dim'])
        self.pos = nn.Parameter(torch.randn(self.tokens, w['dim']) * 0.02)
        self.blocks = nn.ModuleList([Block(w['dim'], w['heads'], w['mlp']) for _ in range(w['depth'])])
        self.lnf = nn.LayerNorm(w['dim'])
        self.head = nn.Linear(w['dim'], w['classes'])

    def forward(self, x):
        real = (x != 0).float()  # padding id 0: masked keys, masked mean pooling
        key_bias = (1 - real) * -1e9
        h = self.emb(x) + self.pos
        for blk in self.blocks:
            h = blk(h, key_bias)
        pooled = (h * real[:, :, None]).sum(1) / real.sum(1, keepdim=True)
        return self.head(self.lnf(pooled))


class Mlp(nn.Module):
    def __init__(self, w):
        super().__init__()
        dims = [w['shape'][0], *w['hidden'], w['classes']]
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:])])

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = gelu(x)
        return x


def build(w):
    return {'vit': ViT, 'mlp': Mlp, 'text': TextTransformer}[w['kind']](w)


def optimizer(model):
    # mixbench's rule (src/train/optimizers.ts): weight matrices of dense layers decay; position and token embeddings do not.
    decays = lambda n, p: p.dim() == 2 and not n.endswith('pos') and not n.startswith('emb.')
    decay = [p for n, p in model.named_parameters() if decays(n, p)]
    rest = [p for n, p in model.named_parameters() if not decays(n, p)]
    return torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': rest, 'weight_decay': 0.0}],
                             lr=1e-3, betas=(0.9, 0.999), eps=1e-8)


def inputs(w, n, g):
    if w['kind'] == 'text':
        L = w['shape'][0]
        ids = torch.randint(2, w['vocab'], (n, L), generator=g)
        lengths = torch.randint(4, L + 1, (n, 1), generator=g)
        return ids * (torch.arange(L)[None, :] < lengths)
    if w['kind'] == 'mlp':
        return torch.randn((n, *w['shape']), generator=g)
    return torch.rand((n, *w['shape']), generator=g)


def blas_library():
    try:
        with open('/proc/self/maps') as f:
            libs = sorted({line.split()[-1] for line in f if 'blas' in line.lower() or 'mkl' in line.lower()})
        return [os.path.realpath(l) for l in libs if l.startswith('/')]
    except OSError:
        return []


def run(wid, windows, g):
    w = WORKLOADS[wid]
    model = build(w)
    opt = optimizer(model)
    batches = [(inputs(w, w['batch'], g), F.one_hot(torch.randint(0, w['classes'], (w['batch'],), generator=g),
                                                       w['classes']).float()) for _ in range(4)]

    def step(i):
        x, y = batches[i % 4]
        opt.zero_grad(set_to_none=True)
        loss = -(y * F.log_softmax(model(x), -1)).sum(-1).mean()
        loss.backward()
        opt.step()
        return loss

    model.train()
    for i in range(5):
        step(i)
    steps = STEPS[wid]
    rates, cpu_rates = [], []
    for _ in range(windows):
        c0 = time.process_time()
        t0 = time.perf_counter()
        for i in range(steps):
            loss = step(i)
        loss.item()
        rates.append(steps * w['batch'] / (time.perf_counter() - t0))
        cpu_rates.append(steps * w['batch'] / max(time.process_time() - c0, 1e-9))
    model.eval()
    ex = inputs(w, 2048, g)
    with torch.no_grad():
        model(ex[:512])
        t0 = time.perf_counter()
        for s in range(0, 2048, 512):
            model(ex[s:s + 512]).sum().item()
        eval_rate = 2048 / (time.perf_counter() - t0)
    return {'train': rates, 'train_cpu': cpu_rates, 'eval': eval_rate, 'params': sum(p.numel() for p in model.parameters())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--workloads', default='A,B,MLP')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--windows', type=int, default=3)
    ap.add_argument('--text-vocab', type=int, default=2000)
    args = ap.parse_args()
    WORKLOADS['TEXT']['vocab'] = args.text_vocab
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    g = torch.Generator().manual_seed(2)
    # Touch a matmul so that the BLAS library is loaded before we look for it.
    (torch.randn(64, 64) @ torch.randn(64, 64)).sum().item()
    out = {
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'interop_threads': torch.get_num_interop_threads(),
        'openblas_num_threads': os.environ.get('OPENBLAS_NUM_THREADS'),
        'openblas_coretype': os.environ.get('OPENBLAS_CORETYPE'),
        'blas': blas_library(),
        'workloads': {},
    }
    for wid in args.workloads.split(','):
        if wid:
            out['workloads'][wid] = run(wid, args.windows, g)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
