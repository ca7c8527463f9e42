#!/usr/bin/env python3
"""mixbench's PyTorch twin: computes one training step of every golden fixture independently of mixbench.

    python3 reference/twin.py test/golden/steps            fill in `expected` of every fixture
    python3 reference/twin.py --check test/golden/steps    recompute and compare with the committed `expected`

`npm run golden` runs mixbench's exporter and then this script. Needs PyTorch (Debian: apt-get install python3-torch)
and numpy, nothing else. Everything is computed in float64 from the fixture's float32 inputs, so the committed
numbers carry no float32 error of their own (they are stored as float32).

For each fixture it writes: the logits, per-example and mean loss of the step at w; the gradient the optimizer
receives (for SAM and its relatives the gradient at w + ε̂) and ε̂; the weights after one AdamW and after one SGD
step from w with that gradient; and the over-smoothing per-layer token cosines of the evaluated network at w.
"""
import argparse
import glob
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fixture  # noqa: E402
from methods import Step  # noqa: E402
from model import Net, token_cosines  # noqa: E402
from optim import optimizer_step  # noqa: E402

DTYPE = torch.float64


def compute(case):
    torch.manual_seed(0)  # nothing is drawn here; fixed anyway
    net = Net(case['model'], case['data'])
    P0 = fixture.params_of(case, DTYPE)
    x, labels = fixture.batch_of(case, DTYPE)
    step = Step(case, net)
    r = step.run(P0, x, labels)
    grads = r['grads']
    exp = {
        'producer': f'reference/twin.py, PyTorch {torch.__version__}, float64',
        'loss': r['loss'],
        'perExample': fixture.encode_f32(r['perExample']),
        'logits': fixture.encode_f32(r['logits']),
        'gradNorm': float(torch.sqrt(sum((g * g).sum() for g in grads.values()))),
        'grads': {n: fixture.encode_f32(g) for n, g in grads.items()},
    }
    if 'eps' in r:
        exp['eps'] = {n: fixture.encode_f32(e) for n, e in r['eps'].items()}
    if 'plainWeights' in r:
        exp['plainWeights'] = [float(a) for a in r['plainWeights']]
    if step.box is not None:
        exp['box'] = step.box
    exp['adamw'] = {n: fixture.encode_f32(w) for n, w in optimizer_step(net, P0, grads, case['train']['adamw'], 'adamw').items()}
    exp['sgd'] = {n: fixture.encode_f32(w) for n, w in optimizer_step(net, P0, grads, case['train']['sgd'], 'sgd').items()}
    exp['oversmoothing'] = token_cosines(net, P0, x, step.neutreno)
    return exp


def compare(path, old, new):
    """Differences between two `expected` blocks beyond float32 rounding (relative to each array's scale)."""
    problems = []

    def arrays(key, a, b):
        x, y = fixture.decode_f32(a), fixture.decode_f32(b)
        scale = max(1e-3, float(np.abs(y).max(initial=0)))
        d = float(np.abs(x - y).max(initial=0))
        if x.shape != y.shape or d > 1e-5 * scale:
            problems.append(f'{key}: max |Δ| {d:.3g} (scale {scale:.3g})')

    for key in ('logits', 'perExample'):
        arrays(key, old[key], new[key])
    for key in ('grads', 'eps', 'adamw', 'sgd'):
        if (key in old) != (key in new):
            problems.append(f'{key}: present in one only')
            continue
        for n in new.get(key, {}):
            arrays(f'{key}.{n}', old[key].get(n, ''), new[key][n])
    if abs(old['loss'] - new['loss']) > 1e-5 * max(1.0, abs(new['loss'])):
        problems.append(f'loss {old["loss"]} vs {new["loss"]}')
    if (old['oversmoothing'] is None) != (new['oversmoothing'] is None) or (
            new['oversmoothing'] and np.abs(np.array(old['oversmoothing']) - np.array(new['oversmoothing'])).max() > 1e-5):
        problems.append('oversmoothing differs')
    if old.get('box') != new.get('box') or old.get('plainWeights') != new.get('plainWeights'):
        problems.append('box or plainWeights differ')
    return [f'{os.path.basename(path)}: {p}' for p in problems]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('paths', nargs='+', help='fixture files or directories of them')
    ap.add_argument('--check', action='store_true', help='compare with the committed expected values, write nothing')
    args = ap.parse_args()
    files = []
    for p in args.paths:
        files += sorted(glob.glob(os.path.join(p, '*.json'))) if os.path.isdir(p) else [p]
    if not files:
        raise SystemExit(f'no fixtures found in {", ".join(args.paths)}; run `npm run golden` to export them')
    problems = []
    for path in files:
        case = fixture.load(path)
        exp = compute(case)
        if args.check:
            if 'expected' not in case:
                problems.append(f'{os.path.basename(path)}: no expected values; run `npm run golden`')
            else:
                problems += compare(path, case['expected'], exp)
        else:
            case['expected'] = exp
            fixture.save(path, case)
    if args.check:
        for p in problems:
            print(p, file=sys.stderr)
        print(f'twin: {len(files)} fixtures checked, {len(problems)} differences')
        sys.exit(1 if problems else 0)
    print(f'twin: {len(files)} fixtures written')


if __name__ == '__main__':
    main()
