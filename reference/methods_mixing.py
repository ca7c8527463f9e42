"""The twin's mixing methods of mixbench's issue 13, written from their papers and official code (not from mixbench's
TypeScript): mixup on text (wordMixup, senMixup; also the mixup part of gmix, bgmix and dgmix on text), resizemix,
fmix, timm-mixup and regmixup.

Text mixup (Guo, Mao & Zhang 2019, arXiv 1905.08941; no official code):
    wordMixup  the padded embedding sequences are mixed position by position, h·λ + h[π]·(1−λ), after the position
               embedding (the 'embed' site); a padding position contributes its sentence's embedding of the padding
               token; attention and mean pooling use the union of the two sentences' real tokens (EmbedMix's
               elementwise max of the two attention masks). mixbench's documented rule, written here as a
               padding mask `pad & pad[π]` handed to the network.
    senMixup   the sentence vectors fed to the softmax layer are mixed. The classifier layer is affine, so the twin
               mixes the logits of the plain pass, z·λ + z[π]·(1−λ) (SentMix), where mixbench mixes the
               classifier's input: agreement checks that the two are the same.
ResizeMix (Qin et al. 2020, arXiv 2012.11101; no official code): as Westlake-AI/openmixup augments/resizemix.py
    (variant openmixup: tao = np.random.uniform(scope); rand_bbox_tao; F.interpolate(x[π], box size, 'nearest');
    paste; lam = 1 − box area/(H·W)) and open-mmlab/mmpretrain batch_augments/resizemix.py (variant mmpretrain:
    lam = Beta(α, α)·(max − min) + min, randperm, CutMix's rand_bbox for lam, F.interpolate bilinear with
    align_corners=False). OpenMixup names its first image axis W and draws its centre first; mixbench's documented
    reading (the horizontal centre over the width first, then the vertical one) coincides with it on square images.
FMix (Harris et al. 2020, arXiv 2002.12047; ecs-vlc/FMix fmix.py): sample_mask (λ, the Fourier noise, the coin of
    binarise_mask), then the permutation; the spectrum's real and imaginary parts are taken from the noise's last axis
    as the paper describes (the official make_low_freq_image indexes the channel axis, spectrum[:, 0] + 1j·spectrum[:,
    1], which picks two frequency rows: mixbench documents that it does not reproduce this); np.fft.irfftn;
    binarise_mask as the official code. The targets are mixed with the mask's mean (mixbench's documented choice; the
    official loss weights with the drawn λ, which differs by less than 1/(H·W)).
timm-mixup (huggingface/pytorch-image-models timm/data/mixup.py, class Mixup): __call__, _params_per_batch,
    _params_per_elem, _mix_batch, _mix_elem, _mix_pair, cutmix_bbox_and_lam, rand_bbox, rand_bbox_minmax and
    mixup_target as timm writes them (NCHW, in place), and timm's SoftTargetCrossEntropy.
RegMixup (Pinto et al. 2022, arXiv 2206.14502; FrancescoPinto/RegMixup models/regmixup.py): the clean and the mixed
    batch through the network, loss = regmixup_criterion(CE, logits, [y; y], [y; y[π]], λ), the mean over the 2B rows.
    mixbench's η weights the two halves, (CE_clean + η·CE_mixed)/(1 + η), which is the official loss at η = 1.
    The twin runs the two halves as two passes (mixbench: one 2B-row pass).

Where the official code draws with numpy (timm-mixup, resizemix, fmix), mixbench exports the raw numbers it drew in the
official code's order (`raw`, or fmix's `noise` and `coin`); the twin replays them through the official call sequence,
and a draw of another kind, range or order than the official code makes is an error.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from methods import INPUT_MIXUP_PARTS, Step
from model import forward, padding_of


class RawSource:
    """mixbench's recorded draws, handed out as the numpy calls of the official code ask for them."""

    def __init__(self, raw, what):
        self.raw = list(raw)
        self.at = 0
        self.what = what

    def _next(self, op, **args):
        if self.at >= len(self.raw):
            raise SystemExit(f'{self.what}: the official code calls {op}{args} after mixbench\'s {len(self.raw)} draws')
        r = self.raw[self.at]
        self.at += 1
        if r['op'] != op or any(r.get(k) != v for k, v in args.items()):
            raise SystemExit(f'{self.what}: draw {self.at} of mixbench is {r}; the official code calls {op}{args} there')
        return r['value']

    def rand(self):
        v = self._next('rand')
        assert 0 <= v < 1
        return v

    def beta(self, a, b):
        assert a == b, 'mixbench draws symmetric Betas only'
        return self._next('beta', a=a)

    def randint(self, low, high):
        v = self._next('randint', lo=int(low), hi=int(high))
        assert low <= v < high and v == int(v)
        return int(v)

    def uniform(self, low, high):
        v = self._next('uniform', lo=low, hi=high)
        assert low <= v <= high
        return v

    def finish(self):
        if self.at != len(self.raw):
            raise SystemExit(f'{self.what}: mixbench drew {len(self.raw)} numbers, the official code used {self.at}')


# -- timm/data/mixup.py ----------------------------------------------------------------------------------------------

def timm_one_hot(x, num_classes, on_value, off_value, dtype):
    x = x.long().view(-1, 1)
    return torch.full((x.size()[0], num_classes), off_value, dtype=dtype).scatter_(1, x, on_value)


def timm_mixup_target(target, num_classes, lam, smoothing, dtype):
    off_value = smoothing / num_classes
    on_value = 1. - smoothing + off_value
    y1 = timm_one_hot(target, num_classes, on_value, off_value, dtype)
    y2 = timm_one_hot(target.flip(0), num_classes, on_value, off_value, dtype)
    return y1 * lam + y2 * (1. - lam)


class TimmMixup:
    """timm's Mixup with np.random replaced by the replayed draws (`rs`); x is NCHW and mixed in place."""

    def __init__(self, o, num_classes, rs):
        self.mixup_alpha = o['mixupAlpha']
        self.cutmix_alpha = o['cutmixAlpha']
        self.cutmix_minmax = o.get('cutmixMinmax')
        if self.cutmix_minmax is not None:
            self.cutmix_alpha = 1.0  # timm: force cutmix alpha == 1.0 when minmax active
        self.mix_prob = o['prob']
        self.switch_prob = o['switchProb']
        self.label_smoothing = o['labelSmoothing']
        self.num_classes = num_classes
        self.mode = o['mode']
        self.correct_lam = o['correctLam']
        self.rs = rs
        self.boxes = {}  # row → (yl, yh, xl, xh), to compare with mixbench's info

    def rand_bbox(self, img_shape, lam):
        ratio = np.sqrt(1 - lam)
        img_h, img_w = img_shape[-2:]
        cut_h, cut_w = int(img_h * ratio), int(img_w * ratio)
        cy = self.rs.randint(0, img_h)
        cx = self.rs.randint(0, img_w)
        yl = np.clip(cy - cut_h // 2, 0, img_h)
        yh = np.clip(cy + cut_h // 2, 0, img_h)
        xl = np.clip(cx - cut_w // 2, 0, img_w)
        xh = np.clip(cx + cut_w // 2, 0, img_w)
        return int(yl), int(yh), int(xl), int(xh)

    def rand_bbox_minmax(self, img_shape, minmax):
        img_h, img_w = img_shape[-2:]
        cut_h = self.rs.randint(int(img_h * minmax[0]), int(img_h * minmax[1]))
        cut_w = self.rs.randint(int(img_w * minmax[0]), int(img_w * minmax[1]))
        yl = self.rs.randint(0, img_h - cut_h)
        xl = self.rs.randint(0, img_w - cut_w)
        return yl, yl + cut_h, xl, xl + cut_w

    def cutmix_bbox_and_lam(self, img_shape, lam):
        if self.cutmix_minmax is not None:
            yl, yu, xl, xu = self.rand_bbox_minmax(img_shape, self.cutmix_minmax)
        else:
            yl, yu, xl, xu = self.rand_bbox(img_shape, lam)
        if self.correct_lam or self.cutmix_minmax is not None:
            bbox_area = (yu - yl) * (xu - xl)
            lam = 1. - bbox_area / float(img_shape[-2] * img_shape[-1])
        return (yl, yu, xl, xu), lam

    def _params_per_elem(self, batch_size):
        lam = np.ones(batch_size, dtype=np.float32)
        use_cutmix = np.zeros(batch_size, dtype=bool)
        rand = lambda n: np.array([self.rs.rand() for _ in range(n)])
        beta = lambda a, n: np.array([self.rs.beta(a, a) for _ in range(n)])
        if self.mixup_alpha > 0. and self.cutmix_alpha > 0.:
            use_cutmix = rand(batch_size) < self.switch_prob
            lam_mix = np.where(use_cutmix, beta(self.cutmix_alpha, batch_size), beta(self.mixup_alpha, batch_size))
        elif self.mixup_alpha > 0.:
            lam_mix = beta(self.mixup_alpha, batch_size)
        elif self.cutmix_alpha > 0.:
            use_cutmix = np.ones(batch_size, dtype=bool)
            lam_mix = beta(self.cutmix_alpha, batch_size)
        else:
            raise AssertionError('One of mixup_alpha > 0., cutmix_alpha > 0., cutmix_minmax not None should be true.')
        lam = np.where(rand(batch_size) < self.mix_prob, lam_mix.astype(np.float32), lam)
        return lam, use_cutmix

    def _params_per_batch(self):
        lam = 1.
        use_cutmix = False
        if self.rs.rand() < self.mix_prob:
            if self.mixup_alpha > 0. and self.cutmix_alpha > 0.:
                use_cutmix = self.rs.rand() < self.switch_prob
                lam_mix = self.rs.beta(self.cutmix_alpha, self.cutmix_alpha) if use_cutmix else \
                    self.rs.beta(self.mixup_alpha, self.mixup_alpha)
            elif self.mixup_alpha > 0.:
                lam_mix = self.rs.beta(self.mixup_alpha, self.mixup_alpha)
            elif self.cutmix_alpha > 0.:
                use_cutmix = True
                lam_mix = self.rs.beta(self.cutmix_alpha, self.cutmix_alpha)
            else:
                raise AssertionError('One of mixup_alpha > 0., cutmix_alpha > 0., cutmix_minmax not None should be true.')
            lam = float(lam_mix)
        return lam, use_cutmix

    def _mix_elem(self, x):
        batch_size = len(x)
        lam_batch, use_cutmix = self._params_per_elem(batch_size)
        x_orig = x.clone()
        for i in range(batch_size):
            j = batch_size - i - 1
            lam = lam_batch[i]
            if lam != 1.:
                if use_cutmix[i]:
                    (yl, yh, xl, xh), lam = self.cutmix_bbox_and_lam(x[i].shape, lam)
                    x[i][:, yl:yh, xl:xh] = x_orig[j][:, yl:yh, xl:xh]
                    lam_batch[i] = lam
                    self.boxes[i] = (yl, yh, xl, xh)
                else:
                    x[i] = x[i] * lam + x_orig[j] * (1 - lam)
        return torch.tensor(lam_batch, dtype=x.dtype).unsqueeze(1)

    def _mix_pair(self, x):
        batch_size = len(x)
        lam_batch, use_cutmix = self._params_per_elem(batch_size // 2)
        x_orig = x.clone()
        for i in range(batch_size // 2):
            j = batch_size - i - 1
            lam = lam_batch[i]
            if lam != 1.:
                if use_cutmix[i]:
                    (yl, yh, xl, xh), lam = self.cutmix_bbox_and_lam(x[i].shape, lam)
                    x[i][:, yl:yh, xl:xh] = x_orig[j][:, yl:yh, xl:xh]
                    x[j][:, yl:yh, xl:xh] = x_orig[i][:, yl:yh, xl:xh]
                    lam_batch[i] = lam
                    self.boxes[i] = self.boxes[j] = (yl, yh, xl, xh)
                else:
                    x[i] = x[i] * lam + x_orig[j] * (1 - lam)
                    x[j] = x[j] * lam + x_orig[i] * (1 - lam)
        lam_batch = np.concatenate((lam_batch, lam_batch[::-1]))
        return torch.tensor(lam_batch, dtype=x.dtype).unsqueeze(1)

    def _mix_batch(self, x):
        lam, use_cutmix = self._params_per_batch()
        if lam == 1.:
            return 1.
        if use_cutmix:
            (yl, yh, xl, xh), lam = self.cutmix_bbox_and_lam(x.shape, lam)
            x[:, :, yl:yh, xl:xh] = x.flip(0)[:, :, yl:yh, xl:xh]
            self.boxes = {i: (yl, yh, xl, xh) for i in range(len(x))}
        else:
            x_flipped = x.flip(0).mul_(1. - lam)
            x.mul_(lam).add_(x_flipped)
        return lam

    def __call__(self, x, target):
        assert len(x) % 2 == 0, 'Batch size should be even when using this'
        if self.mode == 'elem':
            lam = self._mix_elem(x)
        elif self.mode == 'pair':
            lam = self._mix_pair(x)
        else:
            lam = self._mix_batch(x)
        target = timm_mixup_target(target, self.num_classes, lam, self.label_smoothing, x.dtype)
        return x, target, lam


def soft_target_cross_entropy(logits, target):
    """timm/loss/cross_entropy.py SoftTargetCrossEntropy, per example (its mean is the step loss)."""
    return torch.sum(-target * F.log_softmax(logits, dim=-1), dim=-1)


# -- ResizeMix -------------------------------------------------------------------------------------------------------

def centred_box(h, w, ratio, cy, cx):
    """The box both references build (openmixup's rand_bbox_tao, mmpretrain's CutMix.rand_bbox with margin 0): sides
    int(H·ratio) × int(W·ratio), halved around the centre (cy, cx) and clipped to the image. Rows y1:y2, columns
    x1:x2."""
    cut_h, cut_w = int(h * ratio), int(w * ratio)
    return (int(np.clip(cy - cut_h // 2, 0, h)), int(np.clip(cy + cut_h // 2, 0, h)),
            int(np.clip(cx - cut_w // 2, 0, w)), int(np.clip(cx + cut_w // 2, 0, w)))


def resizemix_box(o, draw, h, w):
    """The box (rows y1:y2, columns x1:x2) and interpolation mode of a step, from the replayed draws of either
    reference: each draws its side ratio and the box centre in its own order."""
    rs = RawSource(draw['raw'], 'resizemix')
    scope = (o['scaleMin'], o['scaleMax'])
    if o['variant'] == 'openmixup':
        mode = o.get('interpolation') or 'nearest'
        tao = rs.uniform(scope[0], scope[1])  # "original settings in ResizeMix"
        # rand_bbox_tao, with the horizontal centre over the width and the vertical one over the height
        cx = rs.randint(0, w)
        cy = rs.randint(0, h)
        box = centred_box(h, w, tao, cy, cx)
    else:
        mode = o.get('interpolation') or 'bilinear'
        lam = rs.beta(o['alpha'], o['alpha'])
        lam = lam * (scope[1] - scope[0]) + scope[0]
        # (the permutation is drawn here: mixbench exports it)
        cy = rs.randint(0, h)  # CutMix.rand_bbox, margin 0
        cx = rs.randint(0, w)
        box = centred_box(h, w, np.sqrt(1. - lam), cy, cx)
    rs.finish()
    return box, mode


def resizemix_paste(x_nhwc, perm, box, mode):
    """x[π] resized into the box with F.interpolate (the references work on NCHW)."""
    bby1, bby2, bbx1, bbx2 = box
    x = x_nhwc.permute(0, 3, 1, 2).clone()
    if bby2 > bby1 and bbx2 > bbx1:  # a zero-size thumbnail pastes nothing (both references would fail here)
        kw = {} if mode == 'nearest' else {'align_corners': False}
        x[:, :, bby1:bby2, bbx1:bbx2] = F.interpolate(x[perm], (bby2 - bby1, bbx2 - bbx1), mode=mode, **kw)
    return x.permute(0, 2, 3, 1)


# -- FMix ------------------------------------------------------------------------------------------------------------

def fftfreqnd(h, w):
    fy = np.expand_dims(np.fft.fftfreq(h), -1)
    fx = np.fft.fftfreq(w)[: w // 2 + 2] if w % 2 == 1 else np.fft.fftfreq(w)[: w // 2 + 1]
    return np.sqrt(fx * fx + fy * fy)


def fmix_mask(draw, h, w, decay, max_soft):
    """sample_mask for a 2-D shape with the drawn λ, noise and coin; returns the [H, W] mask."""
    freqs = fftfreqnd(h, w)
    scale = np.ones(1) / (np.maximum(freqs, np.array([1. / max(w, h)])) ** decay)
    param = np.asarray(draw['noise'], dtype=np.float64).reshape(1, *freqs.shape, 2)  # randn(ch=1, H, Wf, 2)
    spectrum = np.expand_dims(scale, -1)[None, :] * param
    spectrum = spectrum[..., 0] + 1j * spectrum[..., 1]  # the paper's complex spectrum (see the module docstring)
    mask = np.real(np.fft.irfftn(spectrum, (h, w)))[:1, :h, :w]
    mask = mask - mask.min()
    mask = mask / mask.max()
    # binarise_mask
    lam = draw['drawnLambda']
    idx = mask.reshape(-1).argsort()[::-1]
    mask = mask.reshape(-1)
    num = math.ceil(lam * mask.size) if draw['coin'] > 0.5 else math.floor(lam * mask.size)
    eff_soft = max_soft
    if max_soft > lam or max_soft > (1 - lam):
        eff_soft = min(lam, 1 - lam)
    soft = int(mask.size * eff_soft)
    num_low = num - soft
    num_high = num + soft
    mask[idx[:num_high]] = 1
    mask[idx[num_low:]] = 0
    mask[idx[num_low:num_high]] = np.linspace(1, 0, (num_high - num_low))
    return mask.reshape(h, w)


# -- the step --------------------------------------------------------------------------------------------------------

class MixingStep(Step):
    """Step with the parts above; everything else as methods.Step."""

    def __init__(self, parts, draws, net):
        self.text_mix = None  # (λ, π, 'word' | 'sentence')
        self.timm = None      # (options, draw)
        self.reg = None       # (λ, π, η, text level)
        super().__init__(parts, draws, net)
        if net.modality == 'text' and self.input_mix is not None and self.input_mix[0] == 'mixup':
            part = next(p for p in parts if p['method'] in INPUT_MIXUP_PARTS)
            level = (part['options'].get('text') or 'word') if part['method'] == 'mixup' else 'word'
            _, lam, perm = self.input_mix
            self.text_mix = (lam, perm, level)
            self.input_mix = None

    def configure_part(self, name, o, draw):
        perm = torch.tensor(draw['perm'], dtype=torch.long) if 'perm' in draw else None
        if name == 'resizemix':
            H, W = self.net.shape[0], self.net.shape[1]
            box, mode = resizemix_box(o, draw, H, W)
            y1, y2, x1, x2 = box
            lam = 1 - ((x2 - x1) * (y2 - y1) / (W * H))  # "adjust lambda to exactly match pixel ratio"
            self.box = {'y1': y1, 'y2': y2, 'x1': x1, 'x2': x2, 'lambda': lam}
            self.input_mix = ('paste', lambda x: resizemix_paste(x, perm, box, mode), lam, perm)
        elif name == 'fmix':
            H, W = self.net.shape[0], self.net.shape[1]
            mask = fmix_mask(draw, H, W, o['decay'], o['maxSoft'])
            lam = float(mask.mean())
            if abs(lam - draw['lambda']) > 1e-6:
                raise SystemExit(f'fmix: the mask mean is {lam}, mixbench\'s λ {draw["lambda"]}')
            m = torch.tensor(mask)[None, :, :, None]
            self.input_mix = ('paste', lambda x: x * m.to(x.dtype) + x[perm] * (1 - m.to(x.dtype)), lam, perm)
        elif name == 'timm-mixup':
            self.timm = (o, draw)
        elif name == 'regmixup':
            level = (o.get('text') or 'word') if self.net.modality == 'text' else None
            self.reg = (draw['lambda'], perm, o['eta'], level)
        else:
            super().configure_part(name, o, draw)

    def mixed_input(self, x):
        if self.input_mix is not None and self.input_mix[0] == 'paste':
            return self.input_mix[1](x)
        return super().mixed_input(x)

    def lam_perm(self, B):
        if self.text_mix is not None:
            return self.text_mix[0], self.text_mix[1]
        return super().lam_perm(B)

    def mixed_logits(self, P, x, lam, perm, level):
        """Logits of mixup of the batch with x[π]: input mixup (images, rows) or wordMixup / senMixup (text)."""
        if level is None:
            return forward(self.net, P, lam * x + (1 - lam) * x[perm], self.hidden_mixer(), self.neutreno)
        if level == 'sentence':
            z = forward(self.net, P, x, self.hidden_mixer(), self.neutreno)
            return z * lam + z[perm] * (1 - lam)
        pad = padding_of(self.net, x)
        inner = self.hidden_mixer() or (lambda site, h: h)
        mix = lambda site, h: inner(site, h * lam + h[perm] * (1 - lam) if site == 'embed' else h)
        return forward(self.net, P, x, mix, self.neutreno, pad=pad & pad[perm])

    def mixed_losses(self, P, x, labels):
        if self.text_mix is not None:
            lam, perm, level = self.text_mix
            logits = self.mixed_logits(P, x, lam, perm, level)
            return logits, lam * self.ce(logits, labels) + (1 - lam) * self.ce(logits, labels[perm])
        if self.reg is not None:
            lam, perm, eta, level = self.reg
            clean = forward(self.net, P, x, self.hidden_mixer(), self.neutreno)
            per = self.ce(clean, labels)
            if eta == 0:
                return clean, per
            mixed = self.mixed_logits(P, x, lam, perm, level)
            # regmixup_criterion(F.cross_entropy, logits, [y; y], [y; y[π]], λ) row by row
            per_mixed = lam * self.ce(mixed, labels) + (1 - lam) * self.ce(mixed, labels[perm])
            return torch.cat([clean, mixed]), torch.cat([per, per_mixed])
        if self.timm is not None:
            o, draw = self.timm
            if self.smoothing:
                raise ValueError('timm-mixup smooths its own targets; it does not compose with label-smoothing')
            mixer = TimmMixup(o, self.net.classes, RawSource(draw['raw'], 'timm-mixup'))
            xm, target, lam = mixer(x.permute(0, 3, 1, 2).clone(), labels)
            mixer.rs.finish()
            B = x.shape[0]
            rows = [float(lam)] * B if not torch.is_tensor(lam) else [float(v) for v in lam[:, 0]]
            boxes = [mixer.boxes.get(i) for i in range(B)]
            theirs = [None if b is None else (b['y1'], b['y2'], b['x1'], b['x2']) for b in draw['box']]
            if rows != [float(v) for v in draw['lambda']] or boxes != theirs:
                raise SystemExit(f'timm-mixup: timm gives λ {rows} and boxes {boxes}; mixbench {draw["lambda"]}, {theirs}')
            logits = forward(self.net, P, xm.permute(0, 2, 3, 1), self.hidden_mixer(), self.neutreno)
            return logits, soft_target_cross_entropy(logits, target)
        return super().mixed_losses(P, x, labels)

    def reduce(self, per):
        if self.reg is not None and self.reg[2] > 0:
            B = per.shape[0] // 2
            eta = self.reg[2]
            return (per[:B].mean() + eta * per[B:].mean()) / (1 + eta)
        return super().reduce(per)
