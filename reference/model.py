"""mixbench's networks in PyTorch: the architecture and the parameter layout are mixbench's (they have to be, to load
its weights), everything else is written here in the usual PyTorch way.

Transformer (pre-norm, as timm's ViT / DeiT blocks):
    tokens  = x_patches @ W_patch + b_patch        image: p×p×C patches, row-major over the patch grid,
                                                   each patch flattened in (row, column, channel) order
                                                   tabular: one token per feature, value · W_patch[0] + b_patch
                                                   text: rows of the token table [vocab, d] + b_patch
    [CLS] prepended when pool = cls; + pos [T, d] (stored flat as [T·d])
    block l:  h = h + Attn(LN1(h));  h = h + W2·GELU_tanh(W1·LN2(h))
    pooled  = mean over tokens (text: over real tokens only), or the CLS token
    logits  = LN_f(pooled) @ W_head + b_head       head 'pooled-norm': the final LayerNorm acts on the pooled vector
                                                   (timm's avg-pool head); 'token-norm': on every token before
                                                   pooling (DeiT, NeuTRENO's official code)
Linear weights are stored [in, out] (x @ W + b), as mixbench stores them. Attention keys of text padding (id 0) are
masked; a sequence of padding only (never produced by mixbench's loaders) attends to every position.

MLP: [x @ W_i + b_i → GELU_tanh] for each hidden layer, then the head. Dropout is 0 in every fixture.

Method sites (mixbench's hidden-state sites):
    'embed'    the token sequence after the position embedding (MLP: the flattened input row)
    ('attention', l)  the residual stream after block l's attention sub-block, h + Attn(LN1(h)) (AMPLIFY's site)
    ('block', l)      the output of block l (MLP: hidden layer l after its activation)
"""
import math

import torch
import torch.nn.functional as F

LN_EPS = 1e-5


def layer_norm(x, g, b):
    return F.layer_norm(x, (x.shape[-1],), g, b, LN_EPS)


def gelu(x):
    return F.gelu(x, approximate='tanh')


class Net:
    """Shapes of one fixture's network, from its `model` and `data` settings."""

    def __init__(self, model, data):
        self.kind = model['type']
        self.modality = data['modality']
        self.shape = data['shape']
        self.classes = data['numClasses']
        if self.kind == 'mlp':
            self.hidden = model['hidden']
            return
        self.dim = model['dim']
        self.depth = model['depth']
        self.heads = model['heads']
        self.patch = model.get('patch', 2)
        self.cls = model['pool'] == 'cls'
        # Where the final LayerNorm sits (issue 10's model.head): 'pooled-norm' on the pooled vector (timm's avg-pool
        # ViT; the only head of fixtures without the key), 'token-norm' on every token before pooling (DeiT).
        self.head = model.get('head', 'pooled-norm')
        if self.head not in ('pooled-norm', 'token-norm'):
            raise ValueError(f'unknown model.head {self.head!r}')
        if self.modality == 'image':
            h, w, _ = self.shape
            self.tokens = (h // self.patch) * (w // self.patch)
        else:
            self.tokens = self.shape[0]
        self.seq = self.tokens + (1 if self.cls else 0)

    def decayed(self, name):
        """AdamW/SGD weight decay: the weight matrices of the affine maps (the image patch or tabular feature
        projection, the attention and MLP projections, the head), as timm decays them; not biases, LayerNorm
        parameters, the position embedding or the CLS token (timm's no_weight_decay: pos_embed, cls_token), nor the
        text token table, which mixbench treats as an embedding (HF BERT recipes would decay it)."""
        if self.kind == 'mlp':
            return name.startswith('dense') and name.endswith('/w') or name == 'head/w'
        matrices = {'patch/w', 'head/w'}
        for l in range(self.depth):
            matrices |= {f'block{l}/{m}/w' for m in ('q', 'k', 'v', 'o', 'mlp1', 'mlp2')}
        return name in matrices


def patches(net, x):
    """[B, H, W, C] images → [B, T, p·p·C] patch rows (grid row-major; inside a patch: row, column, channel)."""
    B, H, W, C = x.shape
    p = net.patch
    g = x.reshape(B, H // p, p, W // p, p, C).permute(0, 1, 3, 2, 4, 5)
    return g.reshape(B, (H // p) * (W // p), p * p * C)


def padding_of(net, x):
    """Text: a boolean [B, L] that is True at padding (id 0); rows that are all padding count as all real."""
    if net.modality != 'text':
        return None
    pad = x == 0
    pad[pad.all(dim=1)] = False
    return pad


def embed(net, P, x):
    B = x.shape[0]
    if net.modality == 'image':
        t = patches(net, x) @ P['patch/w'] + P['patch/b']
    elif net.modality == 'tabular':
        t = x.unsqueeze(-1) * P['patch/w'][0] + P['patch/b']
    else:
        t = P['tokens/table'][x.long()] + P['patch/b']
    if net.cls:
        t = torch.cat([P['cls'].reshape(1, 1, net.dim).expand(B, 1, net.dim), t], dim=1)
    return t + P['pos'].reshape(net.seq, net.dim)


def attention(net, P, l, a, key_pad, neutreno):
    """Multi-head softmax attention of block l on the normalised input a [B, T, d]; returns (output, V).

    NeuTRENO (official DeiT/neutreno.py, Attention.forward): for l ≥ 1, x = attn @ v + λ·(v0 − v) per head, before
    the output projection; v0 is block 0's value tensor, passed on without detaching.
    """
    B, T, D = a.shape
    H = net.heads
    dh = D // H
    n = f'block{l}'
    heads = lambda t: t.reshape(B, T, H, dh).transpose(1, 2)  # [B, H, T, dh]
    q = heads(a @ P[f'{n}/q/w'] + P[f'{n}/q/b'])
    k = heads(a @ P[f'{n}/k/w'] + P[f'{n}/k/b'])
    v = heads(a @ P[f'{n}/v/w'] + P[f'{n}/v/b'])
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(dh)
    if key_pad is not None:
        scores = scores.masked_fill(key_pad[:, None, None, :], float('-inf'))
    out = scores.softmax(dim=-1) @ v
    if neutreno is not None and l > 0:
        out = out + neutreno['lambda'] * (neutreno['v0'] - v)
    out = out.transpose(1, 2).reshape(B, T, D)
    return out @ P[f'{n}/o/w'] + P[f'{n}/o/b'], v


def transformer(net, P, x, mix=None, neutreno_lambda=None, observe=None, pad=None):
    """Logits [B, K]. `mix(site, h)` may replace the hidden state at a site (the mixing methods); `observe(site, h)`
    sees it (the over-smoothing diagnostic). Text: `pad` [B, L] (True at padding) replaces the padding mask of the
    ids for attention and pooling (wordMixup attends over the union of two sentences' tokens)."""
    mix = mix or (lambda site, h: h)
    pad = padding_of(net, x) if pad is None else pad
    key_pad = None
    if pad is not None:
        key_pad = torch.cat([torch.zeros(x.shape[0], 1, dtype=torch.bool), pad], 1) if net.cls else pad
    h = mix('embed', embed(net, P, x))
    if observe:
        observe('embed', h)
    nt = None if neutreno_lambda is None else {'lambda': neutreno_lambda, 'v0': None}
    for l in range(net.depth):
        n = f'block{l}'
        out, v = attention(net, P, l, layer_norm(h, P[f'{n}/ln1/g'], P[f'{n}/ln1/b']), key_pad, nt)
        if nt is not None and l == 0:
            nt['v0'] = v
        h = mix(('attention', l), h + out)
        m = layer_norm(h, P[f'{n}/ln2/g'], P[f'{n}/ln2/b'])
        h = h + gelu(m @ P[f'{n}/mlp1/w'] + P[f'{n}/mlp1/b']) @ P[f'{n}/mlp2/w'] + P[f'{n}/mlp2/b']
        h = mix(('block', l), h)
        if observe:
            observe(('block', l), h)
    if net.head == 'token-norm':
        h = layer_norm(h, P['lnf/g'], P['lnf/b'])
    if net.cls:
        pooled = h[:, 0]
    elif pad is not None:
        real = (~pad).to(h.dtype)
        pooled = (h * real.unsqueeze(-1)).sum(1) / real.sum(1, keepdim=True)
    else:
        pooled = h.mean(1)
    if net.head == 'pooled-norm':
        pooled = layer_norm(pooled, P['lnf/g'], P['lnf/b'])
    return pooled @ P['head/w'] + P['head/b']


def mlp(net, P, x, mix=None):
    mix = mix or (lambda site, h: h)
    h = mix('embed', x.reshape(x.shape[0], -1))
    for i in range(len(net.hidden)):
        h = mix(('block', i), gelu(h @ P[f'dense{i}/w'] + P[f'dense{i}/b']))
    return h @ P['head/w'] + P['head/b']


def forward(net, P, x, mix=None, neutreno_lambda=None, observe=None, pad=None):
    if net.kind == 'mlp':
        if neutreno_lambda is not None:
            raise ValueError('NeuTRENO needs a Transformer')
        return mlp(net, P, x, mix)
    return transformer(net, P, x, mix, neutreno_lambda, observe, pad)


def token_cosines(net, P, x, neutreno_lambda=None):
    """Over-smoothing per layer (embedding, then each block's output): the mean over examples of the mean pairwise
    cosine similarity of the example's tokens, S = 2/(N(N−1)) Σ_{i<j} cos(h_i, h_j), CLS and text padding excluded;
    examples with fewer than two tokens are skipped. Plain evaluation network (NeuTRENO's term included)."""
    if net.kind == 'mlp':
        return None
    keep = torch.ones(x.shape[0], net.tokens, dtype=torch.bool)
    if net.modality == 'text':
        keep = x != 0
    layers = []

    def observe(site, h):
        tok = h[:, 1:] if net.cls else h
        values = []
        for b in range(h.shape[0]):
            u = F.normalize(tok[b][keep[b]], dim=-1)
            n = u.shape[0]
            if n < 2:
                continue
            c = u @ u.T
            iu = torch.triu_indices(n, n, offset=1)
            values.append(c[iu[0], iu[1]].mean())
        layers.append(float(torch.stack(values).mean()) if values else 0.0)

    with torch.no_grad():
        forward(net, P, x, neutreno_lambda=neutreno_lambda, observe=observe)
    return layers
