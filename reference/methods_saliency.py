"""The saliency- and attention-based methods of the twin: SaliencyMix and TransMix, written from their papers and
official code (not from mixbench's TypeScript).

SaliencyMix (Uddin et al., ICLR 2021; afm-shahab-uddin/SaliencyMix, SaliencyMix_CIFAR/saliencymix.py):
    lam = np.random.beta(beta, beta); rand_index = torch.randperm(B)
    bbx1, bby1, bbx2, bby2 = saliency_bbox(images[rand_index[0]], lam)   # one map, one box per batch
    images[:, :, bbx1:bbx2, bby1:bby2] = images[rand_index, :, bbx1:bbx2, bby1:bby2]
    lam = 1 - box area / (H·W);  loss = CE(pred, y)·lam + CE(pred, y[rand_index])·(1 − lam)
  saliency_bbox: cut = int(side·√(1−lam)); OpenCV StaticSaliencyFineGrained map; (x, y) = unravel_index(argmax);
  rows clip(x ∓ cut//2), columns clip(y ∓ cut//2). The saliency detector is written below from OpenCV contrib's
  staticSaliencyFineGrained.cpp; the image it sees is mixbench's documented choice (docs/methods.md): the example
  min–max scaled to 0..255 and rounded half up (the official code hands OpenCV the normalised float tensor).
  mixbench draws the probability roll, λ and π (exported); the twin computes the map, the peak and the box itself.

TransMix (Chen et al., CVPR 2022; Beckschen/TransMix transmix.py Mixup_transmix / transmix_label, and its timm 0.5
ViT with return_attn): timm's Mixup in 'batch' mode with the flipped batch as partner (Mixup_transmix subclasses
timm's Mixup: its _params_per_batch and cutmix_bbox_and_lam with correct_lam, replayed on mixbench's recorded draws
through methods_mixing.TimmMixup); on CutMix batches
    attn = mean over heads of softmax(q kᵀ·scale)[:, :, 0, 1:] of the last block (detached)
    mask = nn.Upsample(nearest)(box mask) on the patch grid;  lam1 = Σ mask·attn / Σ attn
    lam = (box area/(H·W) + lam1)/2;  target = y1·(1 − lam) + y2·lam      (y2 = the flipped labels)
  with SoftTargetCrossEntropy. The official grid is a square √N × √N; here nn.functional.interpolate to the
  (H/p, W/p) grid (mixbench's documented generalisation for non-square images). `attentionShare` s replaces the
  fixed 1/2: lam = (1 − s)·area + s·lam1 (s = 1/2 is the official code).
"""

import numpy as np
import torch
import torch.nn.functional as F

from methods_mixing import RawSource, TimmMixup
from model import forward, layer_norm

PARTS = ('saliencymix', 'transmix')


# -- OpenCV contrib StaticSaliencyFineGrained (Montabone & Soto 2010), as staticSaliencyFineGrained.cpp computes it --

def _bgr2gray_u8(img):
    """cv::cvtColor(COLOR_BGR2GRAY) on 8-bit data: fixed point with 14 fractional bits (R 4899, G 9617, B 1868)."""
    b, g, r = (img[..., i].astype(np.int64) for i in range(3))
    return ((b * 1868 + g * 9617 + r * 4899 + (1 << 13)) >> 14).astype(np.uint8)


def _blur3_u8(gray):
    """GaussianBlur(ksize 3×3, σ 0) on 8-bit data: binomial [1,2,1]/4 rows and columns, BORDER_REFLECT_101, OpenCV's
    bit-exact fixed point (the 2-D sum over 16 is rounded half up once)."""
    p = np.pad(gray.astype(np.int64), 1, mode='reflect')  # numpy 'reflect' = OpenCV REFLECT_101 (edge not repeated)
    H, W = gray.shape
    k = np.array([1, 2, 1])
    s = sum(k[i] * k[j] * p[i:i + H, j:j + W] for i in range(3) for j in range(3))
    return ((s + 8) // 16).astype(np.uint8)


def fine_grained_saliency(gray):
    """The 8-bit saliency map of an 8-bit grey image [H, W]."""
    f32 = np.float32
    gray = _blur3_u8(_blur3_u8(gray))
    H, W = gray.shape
    integral = np.zeros((H + 1, W + 1), dtype=np.float32)           # cv::integral(..., CV_32F)
    integral[1:, 1:] = np.cumsum(np.cumsum(gray.astype(np.float64), 0), 1)
    on_sum = np.zeros((H, W), dtype=np.uint16)
    off_sum = np.zeros((H, W), dtype=np.uint16)
    for n in (3 * 4, 3 * 4 * 2, 3 * 4 * 2 * 2, 7 * 4, 7 * 4 * 2, 7 * 4 * 2 * 2):
        for y in range(H):
            for x in range(W):
                # getMean: corners clipped to the integral image ([0, W] × [0, H])
                x1, y1 = min(max(x - n + 1, 0), W), min(max(y - n + 1, 0), H)
                x2, y2 = min(max(x + n + 1, 0), W), min(max(y + n + 1, 0), H)
                centre = int(gray[y, x])
                value = f32(integral[y2, x2] + integral[y1, x1] - integral[y2, x1] - integral[y1, x2])
                value = f32((value - f32(centre)) / f32((x2 - x1) * (y2 - y1) - 1))
                mean_on = f32(f32(centre) - value)
                mean_off = f32(value - f32(centre))
                if mean_on > 0:
                    on_sum[y, x] += np.uint16(int(mean_on))       # (uchar) truncates
                if mean_off > 0:
                    off_sum[y, x] += np.uint16(int(mean_off))

    def rescale(sums):                                             # mixScales
        top = int(sums.max())
        if top == 0:
            return np.zeros_like(sums, dtype=np.uint8)             # 0/0 → NaN → (uchar) 0 on x86-64
        return np.array([[int(255.0 * float(f32(f32(v) / f32(top)))) for v in row] for row in sums], dtype=np.uint8)

    on, off = rescale(on_sum), rescale(off_sum)
    top = max(int(on.max()), int(off.max()))                       # mixOnOff
    if top == 0:
        return np.zeros((H, W), dtype=np.uint8)
    total = on.astype(np.int64) + off.astype(np.int64)
    # (uchar)(255.·(on + off)/max): a value above 255 keeps its low byte (x86-64 cvttsd2si, then the low 8 bits)
    return np.array([[int(255.0 * float(t) / float(top)) & 0xFF for t in row] for row in total], dtype=np.uint8)


def image_u8(img):
    """mixbench's documented input of the detector: the example [H, W, C] min–max scaled to 0..255, rounded half up."""
    lo, hi = float(img.min()), float(img.max())
    if not hi > lo:
        return np.zeros(img.shape, dtype=np.uint8)
    scale = 255.0 / (hi - lo)
    return np.floor((img - lo) * scale + 0.5).astype(np.uint8)


def saliency_peak(img):
    """(row, column) of the first maximum of the fine-grained map of one image [H, W, C] (np.argmax, unravel_index)."""
    u8 = image_u8(np.asarray(img, dtype=np.float64))
    C = u8.shape[2]
    if C == 1:
        gray = u8[..., 0]
    elif C == 3:
        gray = _bgr2gray_u8(u8)                                    # the official RGB tensor, read by OpenCV as BGR
    else:
        raise ValueError(f'fine-grained saliency takes 1 or 3 channels, not {C}')
    sal = fine_grained_saliency(gray)
    r, c = np.unravel_index(np.argmax(sal, axis=None), sal.shape)
    return int(r), int(c)


def saliency_bbox(img, lam):
    """saliency_bbox of the official code, for an [H, W, C] image: rows from H, columns from W."""
    H, W = img.shape[0], img.shape[1]
    cut_rat = np.sqrt(1.0 - lam)
    cut_h, cut_w = int(H * cut_rat), int(W * cut_rat)
    r, c = saliency_peak(img)
    return (int(np.clip(r - cut_h // 2, 0, H)), int(np.clip(r + cut_h // 2, 0, H)),
            int(np.clip(c - cut_w // 2, 0, W)), int(np.clip(c + cut_w // 2, 0, W)))


# -- TransMix --------------------------------------------------------------------------------------------------------

def last_block_cls_attention(net, P, h_in):
    """timm 0.5 Attention of the last block on its input h_in [B, T, d] (pre-norm: LN1 first): softmax(q·kᵀ·scale),
    detached; forward_features' torch.mean(attn[:, :, 0, 1:], dim=1) → [B, N]."""
    l = net.depth - 1
    n = f'block{l}'
    B, T, D = h_in.shape
    Hh = net.heads
    a = layer_norm(h_in, P[f'{n}/ln1/g'], P[f'{n}/ln1/b'])
    q = (a @ P[f'{n}/q/w'] + P[f'{n}/q/b']).reshape(B, T, Hh, D // Hh).permute(0, 2, 1, 3)
    k = (a @ P[f'{n}/k/w'] + P[f'{n}/k/b']).reshape(B, T, Hh, D // Hh).permute(0, 2, 1, 3)
    attn = ((q @ k.transpose(-2, -1)) * (D // Hh) ** -0.5).softmax(dim=-1).detach()
    return torch.mean(attn[:, :, 0, 1:], dim=1)


def transmix_weights(net, attn, box, shape, share):
    """transmix_label's lam (the partner's weight) per example, for a box (rows [y1, y2), columns [x1, x2))."""
    H, W = shape[0], shape[1]
    y1, y2, x1, x2 = box
    lam0 = (y2 - y1) * (x2 - x1) / (H * W)
    mask = torch.zeros((H, W), dtype=attn.dtype)
    mask[y1:y2, x1:x2] = 1
    grid = (H // net.patch, W // net.patch)
    mask = F.interpolate(mask[None, None], size=grid, mode='nearest').int().view(1, -1).repeat(len(attn), 1)
    w1, w2 = torch.sum((1 - mask) * attn, dim=1), torch.sum(mask * attn, dim=1)
    lam1 = w2 / (w1 + w2)
    return (1 - share) * lam0 + share * lam1


def make_step(Step, parts, draws, net):
    """The twin's Step for these parts: Step itself unless a part is SaliencyMix or TransMix."""
    if not any(p['method'] in PARTS for p in parts):
        return Step(parts, draws, net)

    class SaliencyStep(Step):
        def configure_part(self, name, options, draw):
            if name not in PARTS:
                return super().configure_part(name, options, draw)
            self.saliency = (name, options, draw)

        def run(self, P0, x, labels):
            name, o, d = self.saliency
            B = x.shape[0]
            H, W = net.shape[0], net.shape[1]
            self.transmix = None
            if name == 'saliencymix':
                if d.get('mixed'):
                    perm = torch.tensor(d['perm'], dtype=torch.long)
                    lam = d['drawnLambda']
                    img = x[perm[0]].detach().cpu().numpy()
                    y1, y2, x1, x2 = saliency_bbox(img, lam)
                    lam = 1.0 - (y2 - y1) * (x2 - x1) / (H * W)
                    self.box = {'y1': y1, 'y2': y2, 'x1': x1, 'x2': x2, 'lambda': lam}
                    self.input_mix = ('cutmix', (y1, y2, x1, x2), lam, perm)
            else:
                flip = torch.arange(B - 1, -1, -1)                   # timm: x.flip(0)
                # Mixup_transmix._mix_batch: timm's _params_per_batch, then cutmix_bbox_and_lam (correct_lam)
                timm = TimmMixup({**o, 'mode': 'batch', 'correctLam': True, 'labelSmoothing': 0.0}, net.classes,
                                 RawSource(d['raw'], 'transmix'))
                lam, use_cutmix = timm._params_per_batch()
                branch = 'none'
                if lam != 1. and use_cutmix:
                    branch = 'cutmix'
                    (y1, y2, x1, x2), lam = timm.cutmix_bbox_and_lam((H, W), lam)
                    self.box = {'y1': y1, 'y2': y2, 'x1': x1, 'x2': x2, 'lambda': lam}
                    self.input_mix = ('cutmix', (y1, y2, x1, x2), lam, flip)
                    self.transmix = ((y1, y2, x1, x2), o['attentionShare'], flip)
                elif lam != 1.:
                    branch = 'mixup'
                    self.input_mix = ('mixup', lam, flip)
                timm.rs.finish()
                if branch != d['branch']:
                    raise SystemExit(f'transmix: timm\'s draws give a {branch} step, mixbench\'s info says {d["branch"]}')
            return super().run(P0, x, labels)

        def mixed_losses(self, P, x, labels):
            if not self.transmix:
                return super().mixed_losses(P, x, labels)
            box, share, flip = self.transmix
            seen = {}
            last_in = 'embed' if net.depth == 1 else ('block', net.depth - 2)

            def observe(site, h):
                if site == last_in:
                    seen['h'] = h
            logits = forward(net, P, self.mixed_input(x), self.hidden_mixer(), self.neutreno, observe=observe)
            lam = transmix_weights(net, last_block_cls_attention(net, P, seen['h']), box, net.shape, share)
            # target = y1·(1 − lam) + y2·lam with SoftTargetCrossEntropy = the λ-weighted pair of CEs per example
            return logits, (1 - lam) * self.ce(logits, labels) + lam * self.ce(logits, labels[flip])

    return SaliencyStep(parts, draws, net)
