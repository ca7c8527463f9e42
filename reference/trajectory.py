#!/usr/bin/env python3
"""Replays a training run exported by mixbench (`npm run trajectory`, test/golden/trajectory.ts) in the PyTorch twin
and reports how far the two drift apart.

    python3 reference/trajectory.py EXPORT.json [--out SUMMARY.json] [--dtypes float64,float32]

The export holds mixbench's initial weights, its training and test data, and for every step the batch rows, the
learning rate, the method's draws (λ, π, layer, box) and mixbench's loss at w; for every epoch mixbench's test
accuracy and weights; at the end its over-smoothing cosines. The twin trains from the same weights on the same
batches with the same draws, one `methods.Step` per step and a persistent torch.optim.AdamW / SGD (optim.py), and
evaluates the plain network (NeuTRENO's term included) after each epoch.

Each precision in --dtypes is a separate replay; the first is the reference. Comparing the twin in float32 with the
twin in float64 measures how fast float32 round-off alone makes two correct implementations drift: the yardstick for
mixbench (float32) against the twin's reference.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fixture  # noqa: E402
from methods import Step  # noqa: E402
from model import Net, forward, token_cosines  # noqa: E402
from optim import clip, make_optimizer  # noqa: E402

# One thread: the networks are small, and on a loaded machine OpenMP worker threads waiting on each other at every op
# made the replay a hundred times slower than single-threaded (measured: 2 s of CPU in 5 min of wall time).
torch.set_num_threads(1)

FORMAT = 'mixbench-trajectory/1'
DTYPES = {'float64': torch.float64, 'float32': torch.float32}
OVERSMOOTHING_EXAMPLES = 512  # as src/train/oversmoothing.ts


def neutreno_lambda(parts):
    for p in parts:
        if p['method'] == 'neutreno':
            return p['options']['lambda']
    return None


def evaluate(net, P, x, y, lam, batch=512):
    """Test accuracy and mean NLL of the plain network (no mixing; NeuTRENO's term is part of the network)."""
    correct, nll = 0, 0.0
    with torch.no_grad():
        for s in range(0, x.shape[0], batch):
            logits = forward(net, P, x[s:s + batch], None, lam)
            correct += int((logits.argmax(1) == y[s:s + batch]).sum())
            nll += float(F.cross_entropy(logits, y[s:s + batch], reduction='sum'))
    return correct / x.shape[0], nll / x.shape[0]


def replay(ex, dtype):
    """Trains the twin through the exported steps. Returns per-step losses, per-epoch evaluations and weights
    (flattened float64 numpy arrays in the export's parameter order), and the final over-smoothing cosines."""
    torch.manual_seed(0)  # nothing is drawn here
    net = Net(ex['model'], ex['data'])
    shape = ex['data']['shape']
    xs = torch.tensor(fixture.decode_f32(ex['trainSet']['x'], [ex['trainSet']['n'], *shape]), dtype=dtype)
    ys = torch.tensor(ex['trainSet']['y'], dtype=torch.long)
    xt = torch.tensor(fixture.decode_f32(ex['testSet']['x'], [ex['testSet']['n'], *shape]), dtype=dtype)
    yt = torch.tensor(ex['testSet']['y'], dtype=torch.long)
    P = {p['name']: torch.tensor(fixture.decode_f32(p['data'], p['shape']), dtype=dtype).requires_grad_(True)
         for p in ex['params']}
    train = ex['train']
    opt = make_optimizer(net, P, train, train['optimizer'])
    lam = neutreno_lambda(ex['method'])
    losses, evals, weights = [], [], []
    steps = ex['steps']
    t0 = time.time()
    for i, s in enumerate(steps):
        rows = torch.tensor(s['rows'], dtype=torch.long)
        step = Step(ex['method'], s['draws'], net)
        r = step.run({n: p.detach() for n, p in P.items()}, xs[rows], ys[rows])
        losses.append(r['loss'])
        for n, p in P.items():
            p.grad = r['grads'][n].detach().clone()
        clip(P, train['gradClip'])
        for g in opt.param_groups:
            g['lr'] = s['lr']
        opt.step()
        if i + 1 == len(steps) or steps[i + 1]['epoch'] != s['epoch']:
            acc, nll = evaluate(net, P, xt, yt, lam)
            evals.append({'epoch': s['epoch'], 'testAccuracy': acc, 'testNll': nll})
            weights.append(np.concatenate([p.detach().double().numpy().ravel() for p in P.values()]))
            print(f'  twin {dtype_name(dtype)}: epoch {s["epoch"]}, test accuracy {acc:.4f} ({time.time() - t0:.0f} s)',
                  file=sys.stderr, flush=True)
    cos = None
    if ex['oversmoothing'] is not None:
        n = min(OVERSMOOTHING_EXAMPLES, xt.shape[0])
        cos = token_cosines(net, {k: v.detach() for k, v in P.items()}, xt[:n], lam)
    return {'losses': np.array(losses), 'evals': evals, 'weights': weights, 'cosines': cos, 'seconds': time.time() - t0}


def save_replay(path, r):
    """A replay's results, so that replays in several precisions can run as separate processes (--reuse)."""
    tmp = f'{path}.tmp{os.getpid()}.npz'
    np.savez(tmp, losses=r['losses'], weights=np.stack(r['weights']), evals=json.dumps(r['evals']),
             cosines=json.dumps(r['cosines']), seconds=r['seconds'])
    os.replace(tmp, path)


def load_replay(path):
    z = np.load(path)
    return {'losses': z['losses'], 'weights': list(z['weights']), 'evals': json.loads(str(z['evals'])),
            'cosines': json.loads(str(z['cosines'])), 'seconds': float(z['seconds'])}


def dtype_name(dtype):
    return next(k for k, v in DTYPES.items() if v == dtype)


def mixbench_side(ex):
    names = [p['name'] for p in ex['params']]
    return {
        'losses': np.array([s['loss'] for s in ex['steps']], dtype=np.float64),
        'evals': [{k: e[k] for k in ('epoch', 'testAccuracy', 'testNll')} for e in ex['epochs']],
        'weights': [np.concatenate([fixture.decode_f32(e['weights'][n]) for n in names]) for e in ex['epochs']],
        'cosines': ex['oversmoothing']['layers'] if ex['oversmoothing'] else None,
    }


def drift(a, ref, last):
    """How far trajectory `a` is from `ref`: per-step loss differences, per-epoch accuracy and weight distance, the
    final per-layer cosines. `last`: the number of steps of the last epoch."""
    da = np.abs(a['losses'] - ref['losses'])
    rel = da / np.maximum(np.abs(ref['losses']), 1e-12)
    n = len(da)
    first = min(10, n)
    wdist = [float(np.linalg.norm(w - r) / np.linalg.norm(r)) for w, r in zip(a['weights'], ref['weights'])]
    acc = [abs(e['testAccuracy'] - r['testAccuracy']) for e, r in zip(a['evals'], ref['evals'])]
    out = {
        'steps': n,
        'lossMaxAbs': float(da.max()),
        'lossMaxRel': float(rel.max()),
        'lossMaxRelStep': int(rel.argmax()),
        'lossMaxRelFirst10': float(rel[:first].max()),
        'lossFinalRel': float(rel[-1]),
        # Mean over the last epoch's steps: one step's loss is noisy once the weights have moved apart.
        'lossLastEpochMeanAbs': float(np.abs(a['losses'][-last:].mean() - ref['losses'][-last:].mean())),
        'weightRelDistance': wdist,
        'accuracyAbsDiff': acc,
        'finalAccuracy': a['evals'][-1]['testAccuracy'],
        'finalAccuracyRef': ref['evals'][-1]['testAccuracy'],
    }
    if a['cosines'] is not None and ref['cosines'] is not None:
        out['cosines'] = list(a['cosines'])
        out['cosinesRef'] = list(ref['cosines'])
        out['cosinesMaxAbs'] = float(np.max(np.abs(np.array(a['cosines']) - np.array(ref['cosines']))))
    return out


def fmt(x):
    return f'{x:.1e}'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('export', help='the export written by `npm run trajectory` (<out>/<method>.export.json)')
    ap.add_argument('--out', help='where to write the summary (JSON); default: beside the export')
    ap.add_argument('--dtypes', default='float64,float32', help='the twin precisions to replay in; the first is the reference')
    ap.add_argument('--epochs', type=int, help='replay only the first N epochs of the export')
    ap.add_argument('--reuse', action='store_true',
                    help='take a precision\'s replay from <export>.twin-<dtype>.npz when present (every replay is saved '
                         'there), e.g. after replaying float64 and float32 in two processes')
    args = ap.parse_args()
    if not os.path.isfile(args.export):
        print(f'{args.export}: no such file; write it with `npm run trajectory -- <config> --export-only`', file=sys.stderr)
        sys.exit(2)
    with open(args.export, encoding='utf-8') as f:
        ex = json.load(f)
    if ex.get('format') != FORMAT:
        raise SystemExit(f'{args.export}: not a trajectory export of format {FORMAT} (got {ex.get("format")!r}); '
                         'write it with `npm run trajectory`')
    dtypes = [d.strip() for d in args.dtypes.split(',') if d.strip()]
    for d in dtypes:
        if d not in DTYPES:
            raise SystemExit(f'--dtypes: unknown precision {d!r}; use float64 and/or float32')
    truncated = args.epochs is not None and args.epochs < len(ex['epochs'])
    if truncated:
        # Replay the first epochs only: mixbench's per-step losses and per-epoch weights and accuracies up to there;
        # mixbench measured its cosines only at the end of the run, so the twin's diagnostic is applied to
        # mixbench's weights of that epoch instead (named as such in the summary).
        ex['steps'] = [s for s in ex['steps'] if s['epoch'] <= args.epochs]
        ex['epochs'] = ex['epochs'][:args.epochs]
    epochs = sorted({s['epoch'] for s in ex['steps']})
    last = sum(1 for s in ex['steps'] if s['epoch'] == epochs[-1])

    mb = mixbench_side(ex)
    if truncated and ex['oversmoothing'] is not None:
        net = Net(ex['model'], ex['data'])
        offsets = np.cumsum([0] + [int(np.prod(p['shape'])) for p in ex['params']])
        P = {p['name']: torch.tensor(mb['weights'][-1][offsets[i]:offsets[i + 1]].reshape(p['shape']))
             for i, p in enumerate(ex['params'])}
        xt = torch.tensor(fixture.decode_f32(ex['testSet']['x'], [ex['testSet']['n'], *ex['data']['shape']]))
        mb['cosines'] = token_cosines(net, P, xt[:min(OVERSMOOTHING_EXAMPLES, xt.shape[0])], neutreno_lambda(ex['method']))
    twins = {}
    for d in dtypes:
        saved = args.export.replace('.export.json', '') + f'.twin-{d}{f"-epochs{args.epochs}" if truncated else ""}.npz'
        if args.reuse and os.path.isfile(saved):
            twins[d] = load_replay(saved)
            print(f'  twin {d}: reusing {saved}', file=sys.stderr)
            continue
        twins[d] = replay(ex, DTYPES[d])
        save_replay(saved, twins[d])
    ref_name = dtypes[0]
    ref = twins[ref_name]
    comparisons = {f'mixbench vs twin {ref_name}': drift(mb, ref, last)}
    for d in dtypes[1:]:
        comparisons[f'twin {d} vs twin {ref_name}'] = drift(twins[d], ref, last)
    summary = {
        'format': 'mixbench-trajectory-summary/1',
        'export': os.path.basename(args.export),
        'run': ex['run'],
        'method': ex['methodName'],
        'backend': ex['backend'],
        'torch': torch.__version__,
        'steps': len(ex['steps']),
        'truncatedAtEpoch': args.epochs if truncated else None,
        'mixbenchCosines': 'the twin\'s diagnostic on mixbench\'s weights of the last replayed epoch' if truncated else 'mixbench\'s',
        'epochs': len(epochs),
        'mixbench': {'finalAccuracy': mb['evals'][-1]['testAccuracy'], 'cosines': mb['cosines'], 'losses': mb['losses'].tolist(),
                     'accuracy': [e['testAccuracy'] for e in mb['evals']], 'seconds': ex.get('mixbenchSeconds')},
        'twin': {d: {'finalAccuracy': t['evals'][-1]['testAccuracy'], 'cosines': t['cosines'], 'losses': t['losses'].tolist(),
                     'accuracy': [e['testAccuracy'] for e in t['evals']], 'seconds': t['seconds']} for d, t in twins.items()},
        'comparisons': comparisons,
    }
    out = args.out or args.export.replace('.export.json', '') + '.summary.json'
    tmp = f'{out}.tmp{os.getpid()}'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(summary, f, indent=1)
        f.write('\n')
    os.replace(tmp, out)

    print(f'{ex["methodName"]} ({ex["run"]}): {len(ex["steps"])} steps, {len(epochs)} epochs, mixbench on {ex["backend"]}')
    print(f'  final test accuracy: mixbench {mb["evals"][-1]["testAccuracy"]:.4f}; '
          + '; '.join(f'twin {d} {t["evals"][-1]["testAccuracy"]:.4f}' for d, t in twins.items()))
    for name, c in comparisons.items():
        line = (f'  {name}: loss rel. diff max {fmt(c["lossMaxRel"])} (step {c["lossMaxRelStep"]}), first 10 steps '
                f'{fmt(c["lossMaxRelFirst10"])}; weights rel. distance after epoch 1 {fmt(c["weightRelDistance"][0])}, '
                f'at the end {fmt(c["weightRelDistance"][-1])}; accuracy diff max {max(c["accuracyAbsDiff"]):.4f}')
        if 'cosinesMaxAbs' in c:
            line += f'; final cosines max abs diff {fmt(c["cosinesMaxAbs"])}'
        print(line)
    if mb['cosines'] is not None:
        print('  final per-layer cosines: mixbench ' + ' '.join(f'{v:.3f}' for v in mb['cosines']))
        for d, t in twins.items():
            print(f'                          twin {d:<7} ' + ' '.join(f'{v:.3f}' for v in t['cosines']))
    print(f'  summary: {out}')


if __name__ == '__main__':
    main()
