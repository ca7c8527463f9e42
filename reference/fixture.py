"""Reading and writing golden step fixtures (test/golden/steps/*.json).

A fixture is one JSON object per case. mixbench's exporter (test/golden/export.ts) writes everything the step
consumes: the model settings, the parameters in mixbench's order and layout, the batch, the targets and the draws of
each method part. The twin adds `expected`. Arrays are little-endian float32 in base64 ("f32") with their shape.
"""
import base64
import json
import os

import numpy as np
import torch

FORMAT = 'mixbench-golden-step/1'


def decode_f32(b64, shape=None):
    a = np.frombuffer(base64.b64decode(b64), dtype='<f4').astype(np.float64)
    return a if shape is None else a.reshape(shape)


def encode_f32(t):
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().numpy()
    return base64.b64encode(np.ascontiguousarray(t, dtype='<f4').tobytes()).decode('ascii')


def load(path):
    with open(path, encoding='utf-8') as f:
        case = json.load(f)
    if case.get('format') != FORMAT:
        raise SystemExit(f'{path}: not a golden step fixture of format {FORMAT} (got {case.get("format")!r}); '
                         'regenerate with `npm run golden`')
    return case


def save(path, case):
    """Atomic write: a fixture is never left half-written."""
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(case, f, indent=1, sort_keys=False)
        f.write('\n')
    os.replace(tmp, path)


def params_of(case, dtype):
    """Parameters as float64 leaf tensors keyed by mixbench's names, in mixbench's shapes."""
    out = {}
    for p in case['params']:
        out[p['name']] = torch.tensor(decode_f32(p['data'], p['shape']), dtype=dtype)
    return out


def batch_of(case, dtype):
    b = case['batch']
    x = torch.tensor(decode_f32(b['x'], b['shape']), dtype=dtype)
    labels = torch.tensor(b['labels'], dtype=torch.long)
    return x, labels
