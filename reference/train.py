#!/usr/bin/env python3
"""Trains a config's runs in the PyTorch twin from its own initialisation: the independent check of a verdict.

    node dist/test/golden/dataset.js CONFIG.yaml DATA.json         # mixbench's data split and resolved settings
    python3 reference/train.py DATA.json [--seeds 1,2,3] [--epochs N] [--methods a,b] [--out RESULT.json]

The twin shares with mixbench the data (the exported train/test split) and the recipe (the resolved model and
training settings of the config). It draws its own initial weights (torch.nn.init, the scheme of `model.init`), its
own batch order (torch.randperm) and trains with torch.optim.AdamW / SGD (optim.make_optimizer) under the recipe's
schedule, so runs agree with mixbench's in distribution, not number for number (that is reference/trajectory.py's
job). Methods: baseline and neutreno (the over-smoothing check); methods that draw (mixing, SAM) are not trained here.

Per run it reports the last-epoch test accuracy and the over-smoothing cosines per layer (reference/model.py's
token_cosines on the first 512 test examples, as mixbench's diagnostic), and per arm the means over seeds.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fixture  # noqa: E402
from model import Net, forward, token_cosines  # noqa: E402
from optim import make_optimizer  # noqa: E402

FORMAT = 'mixbench-twin-dataset/1'
OVERSMOOTHING_EXAMPLES = 512


def linear_init(scheme, fan_in, fan_out, role='linear'):
    """(W [in, out], b [out]) of x @ W + b. torch-default: nn.Linear's own reset_parameters (kaiming_uniform a = √5,
    bias U(±1/√fan_in)); timm: timm's init_weights_vit_timm (trunc_normal_(std=.02), zero bias), except the patch
    embedding, a Conv2d that timm leaves at PyTorch's default (same bounds as nn.Linear with fan_in = p·p·C)."""
    if role == 'patch' and scheme == 'timm':
        scheme = 'torch-default'
    if scheme == 'torch-default':
        layer = torch.nn.Linear(fan_in, fan_out)  # weight [out, in]
        return layer.weight.detach().T.contiguous(), layer.bias.detach().clone()
    w = torch.empty(fan_in, fan_out)
    if scheme == 'glorot':
        torch.nn.init.xavier_uniform_(w)
    elif scheme == 'timm':
        torch.nn.init.trunc_normal_(w, std=0.02)  # cut at ±2 (absolute), as timm's trunc_normal_
    else:
        raise ValueError(f'unknown model.init {scheme!r}')
    return w, torch.zeros(fan_out)


def init_params(net, scheme, vocab=None):
    """The twin's initial weights for `net` under `scheme`, named and shaped as mixbench's (reference/model.py)."""
    P = {}
    d = net.dim

    def lin(name, fan_in, fan_out, role='linear'):
        P[f'{name}/w'], P[f'{name}/b'] = linear_init(scheme, fan_in, fan_out, role)

    def positional(shape):
        t = torch.empty(shape)
        if scheme == 'timm':
            return torch.nn.init.trunc_normal_(t, std=0.02)
        return torch.nn.init.trunc_normal_(t, std=0.02, a=-0.04, b=0.04)  # mixbench's ViT embeddings: cut at 2 std

    if net.modality == 'text':
        table = torch.empty(vocab, d)
        if scheme == 'glorot':
            torch.nn.init.xavier_uniform_(table)
        elif scheme == 'timm':
            torch.nn.init.trunc_normal_(table, std=0.02)
        else:
            table = torch.nn.Embedding(vocab, d).weight.detach().clone()  # N(0, 1)
        P['tokens/table'], P['patch/b'] = table, torch.zeros(d)
    else:
        c = net.shape[2] if net.modality == 'image' else 1
        fan_in = net.patch * net.patch * c if net.modality == 'image' else 1
        lin('patch', fan_in, d, 'patch')
    if net.cls:
        P['cls'] = positional((1, d))
    P['pos'] = positional((net.seq * d,))
    for l in range(net.depth):
        n = f'block{l}'
        P[f'{n}/ln1/g'], P[f'{n}/ln1/b'] = torch.ones(d), torch.zeros(d)
        for m in ('q', 'k', 'v', 'o'):
            lin(f'{n}/{m}', d, d)
        P[f'{n}/ln2/g'], P[f'{n}/ln2/b'] = torch.ones(d), torch.zeros(d)
        lin(f'{n}/mlp1', d, net.mlp_dim)
        lin(f'{n}/mlp2', net.mlp_dim, d)
    P['lnf/g'], P['lnf/b'] = torch.ones(d), torch.zeros(d)
    lin('head', d, net.classes)
    return P


def learning_rate(base, schedule, step, total, warmup):
    """Linear warm-up over `warmup` steps, then constant or cosine to 0 (the recipe of the configs)."""
    if warmup > 0 and step < warmup:
        return base * (step + 1) / warmup
    if schedule == 'constant':
        return base
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.5 * base * (1 + math.cos(math.pi * progress))


def neutreno_lambda(parts):
    for p in parts:
        if p['method'] == 'neutreno':
            return p['options']['lambda']
        if p['method'] != 'baseline':
            raise ValueError(f"reference/train.py trains baseline and neutreno only, not {p['method']}")
    return None


def accuracy(net, P, x, y, lam, batch=512):
    correct = 0
    with torch.no_grad():
        for s in range(0, x.shape[0], batch):
            correct += int((forward(net, P, x[s:s + batch], None, lam).argmax(1) == y[s:s + batch]).sum())
    return correct / x.shape[0]


def train_run(data, method, seed, epochs, x, y, xt, yt, log):
    model, cfg = data['model'], data['train']
    net = Net(model, data['dataset'])
    net.mlp_dim = model['mlpDim']
    lam = neutreno_lambda(method['parts'])
    torch.manual_seed(seed)
    P = init_params(net, model.get('init', 'glorot'), data['dataset'].get('vocabSize'))
    params = {n: p.clone().requires_grad_(True) for n, p in P.items()}
    opt = make_optimizer(net, params, cfg, cfg['optimizer'])
    n = x.shape[0]
    bs = min(cfg['batchSize'], n)
    steps_per_epoch = n // bs  # the last partial batch is dropped, as in mixbench
    total = steps_per_epoch * epochs
    warmup = round(cfg['warmupEpochs'] * steps_per_epoch)
    gen = torch.Generator().manual_seed(10_000 + seed)
    step, curve = 0, []
    for epoch in range(1, epochs + 1):
        t0 = time.time()
        order = torch.randperm(n, generator=gen)
        loss_sum = 0.0
        for b in range(steps_per_epoch):
            rows = order[b * bs:(b + 1) * bs]
            for g in opt.param_groups:
                g['lr'] = learning_rate(cfg['lr'], cfg['schedule'], step, total, warmup)
            opt.zero_grad()
            loss = F.cross_entropy(forward(net, params, x[rows], None, lam), y[rows])
            loss.backward()
            if cfg.get('gradClip'):
                torch.nn.utils.clip_grad_norm_(list(params.values()), cfg['gradClip'])
            opt.step()
            loss_sum += float(loss)
            step += 1
        acc = accuracy(net, params, xt, yt, lam)
        curve.append({'epoch': epoch, 'loss': loss_sum / steps_per_epoch, 'testAccuracy': acc})
        log(f"  {method['name']} seed {seed} epoch {epoch}/{epochs}: loss {loss_sum / steps_per_epoch:.4f}, "
            f"test accuracy {acc:.4f} ({time.time() - t0:.1f} s)")
    k = min(OVERSMOOTHING_EXAMPLES, xt.shape[0])
    cos = token_cosines(net, {n: p.detach() for n, p in params.items()}, xt[:k], lam)
    return {'method': method['name'], 'seed': seed, 'epochs': epochs, 'last': curve[-1]['testAccuracy'],
            'oversmoothing': cos, 'curve': curve}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data', help='written by node dist/test/golden/dataset.js CONFIG DATA.json')
    ap.add_argument('--seeds', help='comma-separated (default: the config\'s seeds)')
    ap.add_argument('--epochs', type=int, help='default: the config\'s')
    ap.add_argument('--methods', help='comma-separated method names (default: all)')
    ap.add_argument('--threads', type=int, default=1, help='torch threads (default 1)')
    ap.add_argument('--out', help='result JSON (default: DATA with .twin.json)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.data, encoding='utf-8') as f:
        data = json.load(f)
    if data.get('format') != FORMAT:
        sys.exit(f'{a.data}: not a {FORMAT} file (format {data.get("format")!r}); write it with '
                 'node dist/test/golden/dataset.js CONFIG DATA.json')
    if data['model']['type'] != 'transformer':
        sys.exit(f'{a.data}: reference/train.py trains the Transformer; model.type is {data["model"]["type"]}')
    ds = data['dataset']
    x = torch.tensor(fixture.decode_f32(data['trainSplit']['x'], [data['trainSplit']['n'], *ds['shape']]), dtype=torch.float32)
    y = torch.tensor(data['trainSplit']['y'])
    xt = torch.tensor(fixture.decode_f32(data['testSplit']['x'], [data['testSplit']['n'], *ds['shape']]), dtype=torch.float32)
    yt = torch.tensor(data['testSplit']['y'])
    if ds['modality'] == 'text':
        x, xt = x.long(), xt.long()
    seeds = [int(s) for s in a.seeds.split(',')] if a.seeds else data['seeds']
    methods = [m for m in data['methods'] if not a.methods or m['name'] in a.methods.split(',')]
    epochs = a.epochs or data['train']['epochs']
    out = a.out or (a.data[:-5] if a.data.endswith('.json') else a.data) + '.twin.json'
    log = lambda s: print(s, flush=True)  # noqa: E731
    log(f"{data['experiment']}: {len(methods)} methods × seeds {seeds}, {epochs} epochs, head "
        f"{data['model'].get('head', 'pooled-norm')}, init {data['model'].get('init', 'glorot')}")
    runs = []
    for seed in seeds:
        for m in methods:
            runs.append(train_run(data, m, seed, epochs, x, y, xt, yt, log))
            summary = summarise(runs)
            tmp = out + '.tmp'
            with open(tmp, 'w', encoding='utf-8') as f:
                json.dump({'experiment': data['experiment'], 'model': data['model'], 'epochs': epochs,
                           'runs': runs, 'summary': summary}, f, indent=1)
            os.replace(tmp, out)  # written after every run: an interrupted sweep keeps what finished
    for name, s in summarise(runs).items():
        log(f"{name}: n = {s['n']}, last-layer cosine {s['lastCosine']:.3f}, last-epoch accuracy {s['last']:.4f}, "
            f"per layer {' '.join(f'{c:.2f}' for c in s['cosines'])}")
    log(f'wrote {out}')


def summarise(runs):
    arms = {}
    for r in runs:
        arms.setdefault(r['method'], []).append(r)
    out = {}
    for name, rs in arms.items():
        layers = len(rs[0]['oversmoothing'])
        cos = [sum(r['oversmoothing'][i] for r in rs) / len(rs) for i in range(layers)]
        out[name] = {'n': len(rs), 'seeds': [r['seed'] for r in rs], 'lastCosine': cos[-1],
                     'last': sum(r['last'] for r in rs) / len(rs), 'cosines': cos}
    return out


if __name__ == '__main__':
    main()
