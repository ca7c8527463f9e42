"""The methods of mixbench's catalogue, written from their papers and official code (not from mixbench's TypeScript).

One training step of a (possibly composed) method, given the draws mixbench exported (λ, π, the manifold layer, the
CutMix box): the loss at w, the gradient the optimizer receives, and SAM's perturbation ε̂ where there is one.

Losses follow the official code's form, a λ-weighted pair of cross-entropies on the labels,
    λ·CE(f(x̃), y) + (1−λ)·CE(f(x̃), y[π])           (mixup-cifar10 train.py mixup_criterion; CutMix train.py;
                                                      AMPLIFY APEX_mixup.py loss)
with PyTorch's own label smoothing inside CE when label-smoothing is composed ("smooth, then mix").
mixbench writes the same loss as one cross-entropy with mixed soft targets; the two agree because CE is linear in
its target, so agreement here checks that mixbench's targets are mixed with the same λ and π as its inputs.

Deliberate choices of mixbench that differ from an official code, implemented here as mixbench documents them:
- manifold-mixup: CE on the mixed targets; the official code (manifold_mixup supervised/main.py) uses
  BCELoss(softmax(logits), mixed one-hot).
- amplify: the mixed tensor is the residual stream after the attention sub-block of a pre-norm block,
  h + Attn(LN(h)); the official code mixes BertAttention's output LayerNorm(h + Attn(h)) of a post-norm BERT
  (BertModelm.py), which has the same role (the input of the feed-forward sub-block). The official head mean-pools
  over all positions including [PAD]; mixbench pools real tokens only.
- cutmix: every step is cut-mixed; the official CIFAR script does so with probability cutmix_prob.
- bgmix / dgmix: no official code exists (G-Mix, arXiv 2308.03236); the rule is mixbench's documented
  reconstruction (docs/methods.md), written here from that description.
"""
import torch
import torch.nn.functional as F

from model import forward

OPTIMIZER_PARTS = ('sam', 'gmix', 'bgmix', 'dgmix')
INPUT_MIXUP_PARTS = ('mixup', 'gmix', 'bgmix', 'dgmix')


def rand_bbox(height, width, lam, cy, cx):
    """The official CutMix rand_bbox (clovaai/CutMix-PyTorch train.py) for an [H, W] image, with its random centre
    given: sides int(H·√(1−λ)) × int(W·√(1−λ)), corners clipped to the image. Returns rows [y1, y2), cols [x1, x2)."""
    ratio = (1.0 - lam) ** 0.5
    cut_h = int(height * ratio)
    cut_w = int(width * ratio)
    clip = lambda v, hi: min(max(v, 0), hi)
    return (clip(cy - cut_h // 2, height), clip(cy + cut_h // 2, height),
            clip(cx - cut_w // 2, width), clip(cx + cut_w // 2, width))


class Step:
    """One step of a method: its parts ([{method, options}], main method first) and what each part drew
    ([{lambda, perm, layer, box, drawnLambda, ...}], one dict per part, as mixbench's PartStep.info)."""

    def __init__(self, parts, draws, net):
        self.net = net
        self.smoothing = 0.0
        self.neutreno = None
        self.input_mix = None   # ('mixup', lam, perm) | ('cutmix', (y1, y2, x1, x2), lam, perm)
        self.hidden_mix = None  # ('manifold', site, lam, perm) | ('amplify', lam, perm)
        self.optimizer = None   # ('sam', rho, adaptive) | ('split', rule, rho, adaptive)
        self.box = None
        for part, draw in zip(parts, draws):
            name, o = part['method'], part['options']
            perm = torch.tensor(draw['perm'], dtype=torch.long) if 'perm' in draw else None
            if name in ('baseline', 'sam'):
                pass
            elif name == 'label-smoothing':
                self.smoothing = o['epsilon']
            elif name == 'neutreno':
                self.neutreno = o['lambda']
            elif name in INPUT_MIXUP_PARTS:
                self.input_mix = ('mixup', draw['lambda'], perm)
            elif name == 'cutmix':
                H, W = net.shape[0], net.shape[1]
                if 'drawnLambda' in draw and 'cy' in draw['box']:
                    # the box from the drawn λ and centre, as the official rand_bbox makes it
                    box = rand_bbox(H, W, draw['drawnLambda'], draw['box']['cy'], draw['box']['cx'])
                else:
                    b = draw['box']
                    box = (b['y1'], b['y2'], b['x1'], b['x2'])
                y1, y2, x1, x2 = box
                # "adjust lambda to exactly match pixel ratio" (official train.py)
                lam = 1.0 - (y2 - y1) * (x2 - x1) / (H * W)
                self.box = {'y1': y1, 'y2': y2, 'x1': x1, 'x2': x2, 'lambda': lam}
                self.input_mix = ('cutmix', box, lam, perm)
            elif name == 'manifold-mixup':
                layer = draw['layer']
                site = 'embed' if layer == 'embed' else ('block', int(layer))
                self.hidden_mix = ('manifold', site, draw['lambda'], perm)
            elif name == 'amplify':
                self.hidden_mix = ('amplify', draw['lambda'], perm)
            else:
                self.configure_part(name, o, draw)
            if name in ('sam', 'gmix'):
                self.optimizer = ('sam', o['rho'], o['adaptive'])
            elif name in ('bgmix', 'dgmix'):
                self.optimizer = ('split', 'binary' if name == 'bgmix' else 'decomposed', o['rho'], o['adaptive'])

    def configure_part(self, name, options, draw):
        """A part this class does not know: a subclass takes its own (methods_mixing.MixingStep)."""
        raise ValueError(f'the twin has no implementation of method part "{name}"')

    def reduce(self, per):
        """The step loss from the per-example losses of mixed_losses (RegMixup weights its two halves)."""
        return per.mean()

    # -- targets ------------------------------------------------------------------------------------------------
    def lam_perm(self, B):
        """The λ and π that mix the targets (1 and the identity when nothing is mixed)."""
        mix = self.input_mix or self.hidden_mix
        if mix is None:
            return 1.0, torch.arange(B)
        return mix[-2], mix[-1]

    def ce(self, logits, labels):
        return F.cross_entropy(logits, labels, reduction='none', label_smoothing=self.smoothing)

    # -- the training network of this step ------------------------------------------------------------------------
    def mixed_input(self, x):
        if self.input_mix is None:
            return x
        if self.input_mix[0] == 'mixup':
            _, lam, perm = self.input_mix
            return lam * x + (1 - lam) * x[perm, :]               # mixup-cifar10 mixup_data
        _, (y1, y2, x1, x2), _, perm = self.input_mix
        out = x.clone()                                           # CutMix train.py, NHWC layout here
        out[:, y1:y2, x1:x2, :] = x[perm, y1:y2, x1:x2, :]
        return out

    def hidden_mixer(self):
        if self.hidden_mix is None:
            return None
        if self.hidden_mix[0] == 'manifold':
            _, at, lam, perm = self.hidden_mix
            # manifold_mixup utils.py mixup_process, at the one drawn layer
            return lambda site, h: h * lam + h[perm] * (1 - lam) if site == at else h
        _, lam, perm = self.hidden_mix
        # AMPLIFY BertModelm.py: attention_output*alpha + attention_output[perindex]*(1-alpha), in every layer
        return lambda site, h: h * lam + h[perm] * (1 - lam) if isinstance(site, tuple) and site[0] == 'attention' else h

    def mixed_losses(self, P, x, labels):
        """Logits and per-example losses of the mixed batch at P."""
        logits = forward(self.net, P, self.mixed_input(x), self.hidden_mixer(), self.neutreno)
        lam, perm = self.lam_perm(x.shape[0])
        return logits, lam * self.ce(logits, labels) + (1 - lam) * self.ce(logits, labels[perm])

    def plain_losses(self, P, x, labels):
        """Per-example losses of the unmixed batch (own input, own target, smoothed if composed)."""
        return self.ce(forward(self.net, P, x, None, self.neutreno), labels)

    # -- the gradient ---------------------------------------------------------------------------------------------
    def run(self, P0, x, labels):
        """Returns dict: logits, perExample, loss (at w), grads (what the optimizer receives), and eps / plainWeights
        for the SAM family."""
        names = list(P0)
        P = {n: P0[n].clone().requires_grad_(True) for n in names}
        params = [P[n] for n in names]
        logits, per = self.mixed_losses(P, x, labels)
        loss = self.reduce(per)
        out = {'logits': logits.detach(), 'perExample': per.detach(), 'loss': float(loss)}
        grads = torch.autograd.grad(loss, params)
        if self.optimizer is None:
            out['grads'] = dict(zip(names, grads))
            return out
        eps = sam_perturbation(params, grads, self.optimizer[-2], self.optimizer[-1])
        old = [p.detach().clone() for p in params]
        with torch.no_grad():
            for p, e in zip(params, eps):
                p.add_(e)                                        # davda54/sam first_step: climb to w + e(w)
        if self.optimizer[0] == 'sam':
            _, per2 = self.mixed_losses(P, x, labels)
            second = self.reduce(per2)
        else:
            rule = self.optimizer[1]
            _, mixed2 = self.mixed_losses(P, x, labels)
            plain2 = self.plain_losses(P, x, labels)
            s = (mixed2 - per).detach()                         # sharpness-sensitivity, a constant
            a = split_weights(s, rule)
            out['plainWeights'] = a
            second = ((1 - a) * mixed2 + a * plain2).mean()
        grads2 = torch.autograd.grad(second, params)
        with torch.no_grad():
            for p, w in zip(params, old):
                p.copy_(w)                                       # second_step: back to w (the optimizer steps there)
        out['grads'] = dict(zip(names, grads2))
        out['eps'] = dict(zip(names, eps))
        return out


def sam_perturbation(params, grads, rho, adaptive):
    """davda54/sam SAM.first_step: ε̂ = ρ·g/(‖g‖+1e-12), the norm over all parameters jointly; ASAM (adaptive):
    the norm of |w|·g and ε̂ = w²·g·ρ/(‖|w|g‖+1e-12)."""
    with torch.no_grad():
        norm = torch.norm(torch.stack([((p.abs() if adaptive else 1.0) * g).norm(p=2) for p, g in zip(params, grads)]), p=2)
        scale = rho / (norm + 1e-12)
        return [(torch.pow(p, 2) if adaptive else 1.0) * g * scale for p, g in zip(params, grads)]


def split_weights(s, rule):
    """BG-/DG-Mix (reconstruction): the weight a_i of example i's plain loss from its sensitivity s_i.
    binary: 1 for the ⌊B/2⌋ largest s_i, else 0; decomposed: (s_i − min s)/(max s − min s)."""
    if rule == 'binary':
        k = s.shape[0] // 2
        a = torch.zeros_like(s)
        if k:
            order = torch.sort(s, descending=True)
            a[order.indices[:k]] = 1.0
            if k < s.shape[0] and order.values[k - 1] - order.values[k] < 1e-4 * max(1.0, float(s.abs().max())):
                raise SystemExit(f'bgmix: sensitivities {order.values[k - 1]:.3g} and {order.values[k]:.3g} tie within '
                                 'float32 precision, so the split is not reproducible; pick another batch or seed')
        return a
    return (s - s.min()) / (s.max() - s.min() + 1e-12)
