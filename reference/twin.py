#!/usr/bin/env python3
"""mixbench's PyTorch twin: computes one training step of every golden fixture independently of mixbench.

    python3 reference/twin.py test/golden/steps            fill in `expected` of every fixture
    python3 reference/twin.py --check test/golden/steps    recompute and compare with the committed `expected`
    python3 reference/twin.py --check --float32 test/golden/steps
                                                           how far PyTorch's own float32 is from those values

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

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fixture  # noqa: E402
from methods_mixing import MixingStep  # noqa: E402
from methods_saliency import make_step  # noqa: E402
from model import Net, token_cosines  # noqa: E402
from optim import optimizer_step  # noqa: E402

DTYPE = torch.float64  # --float32 switches it, to measure float32 round-off


def compute(case):
    torch.manual_seed(0)  # nothing is drawn here; fixed anyway
    net = Net(case['model'], case['data'])
    P0 = fixture.params_of(case, DTYPE)
    x, labels = fixture.batch_of(case, DTYPE)
    step = make_step(MixingStep, case['method'], case['draws'], net)
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


def deviations(case, old, new):
    """Largest deviation of each compared quantity, relative to its scale (max |old|, at least 1e-3), as in
    test/golden-util.ts: {'values': ..., 'derivatives': ...} and the name of the worst array of each kind."""
    worst = {'values': (0.0, ''), 'derivatives': (0.0, '')}
    w0 = {p['name']: fixture.decode_f32(p['data']) for p in case['params']}

    def note(kind, what, got, want, base=None):
        x, y = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
        if base is not None:
            x, y = x - base, y - base
        d = np.inf if x.shape != y.shape else float(np.abs(x - y).max(initial=0)) / max(1e-3, float(np.abs(y).max(initial=0)))
        if d > worst[kind][0] or np.isnan(d):
            worst[kind] = (d, what)

    note('values', 'loss', [new['loss']], [old['loss']])
    for key in ('logits', 'perExample'):
        note('values', key, fixture.decode_f32(new[key]), fixture.decode_f32(old[key]))
    for key in ('grads', 'eps', 'adamw', 'sgd'):
        if (key in old) != (key in new):
            worst['derivatives'] = (np.inf, f'{key} present in one only')
            continue
        for n in new.get(key, {}):
            base = w0[n] if key in ('adamw', 'sgd') else None
            note('derivatives', f'{key}.{n}', fixture.decode_f32(new[key][n]), fixture.decode_f32(old[key].get(n, '')), base)
    if (old['oversmoothing'] is None) != (new['oversmoothing'] is None):
        worst['values'] = (np.inf, 'oversmoothing present in one only')
    elif new['oversmoothing']:
        note('values', 'oversmoothing', new['oversmoothing'], old['oversmoothing'])
    if old.get('box') != new.get('box') or ('plainWeights' in old) != ('plainWeights' in new):
        worst['values'] = (np.inf, 'box, or plainWeights present in one only')
    elif 'plainWeights' in new:
        note('values', 'plainWeights', new['plainWeights'], old['plainWeights'])
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('paths', nargs='+', help='fixture files or directories of them')
    ap.add_argument('--check', action='store_true',
                    help='recompute and compare with the committed expected values (to 1e-6 relative), write nothing')
    ap.add_argument('--float32', action='store_true',
                    help='with --check: compute in float32 and report how far PyTorch itself is from the float64 values')
    args = ap.parse_args()
    global DTYPE
    if args.float32:
        if not args.check:
            raise SystemExit('--float32 only with --check: the fixtures hold float64 results')
        DTYPE = torch.float32
    files = []
    for p in args.paths:
        files += sorted(glob.glob(os.path.join(p, '*.json'))) if os.path.isdir(p) else [p]
    if not files:
        raise SystemExit(f'no fixtures found in {", ".join(args.paths)}; run `npm run golden` to export them')
    tolerance = 1e-6
    failed = 0
    overall = {'values': (0.0, ''), 'derivatives': (0.0, '')}
    for path in files:
        case = fixture.load(path)
        exp = compute(case)
        name = os.path.basename(path)
        if not args.check:
            case['expected'] = exp
            fixture.save(path, case)
            continue
        if 'expected' not in case:
            print(f'{name}: no expected values; run `npm run golden`', file=sys.stderr)
            failed += 1
            continue
        worst = deviations(case, case['expected'], exp)
        for kind, (d, what) in worst.items():
            if d > overall[kind][0] or np.isnan(d):
                overall[kind] = (d, f'{name} {what}')
        if not args.float32 and any(not d <= tolerance for d, _ in worst.values()):
            print(f'{name}: ' + ', '.join(f'{what} {d:.2e}' for d, what in worst.values() if not d <= tolerance), file=sys.stderr)
            failed += 1
    if not args.check:
        print(f'twin: {len(files)} fixtures written')
        return
    summary = '; '.join(f'{kind} up to {d:.2e} ({what})' for kind, (d, what) in overall.items())
    if args.float32:
        print(f'twin in float32 vs the float64 fixtures, {len(files)} fixtures: {summary}')
        return
    print(f'twin: {len(files)} fixtures checked, {failed} differ from the committed values beyond {tolerance}: {summary}')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
