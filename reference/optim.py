"""Optimizer steps with PyTorch's own optimizers (torch.optim.AdamW / SGD) and gradient clipping
(torch.nn.utils.clip_grad_norm_), with mixbench's weight-decay mask (model.Net.decayed)."""
import torch


def make_optimizer(net, params, cfg, kind):
    """torch.optim.AdamW or SGD over `params` ({name: leaf tensor}) with two groups: the decayed weight matrices and
    the rest. cfg: lr, weightDecay and beta1/beta2/eps (adamw) or momentum/nesterov (sgd)."""
    groups = [
        {'params': [p for n, p in params.items() if net.decayed(n)], 'weight_decay': cfg['weightDecay']},
        {'params': [p for n, p in params.items() if not net.decayed(n)], 'weight_decay': 0.0},
    ]
    if kind == 'adamw':
        return torch.optim.AdamW(groups, lr=cfg['lr'], betas=(cfg['beta1'], cfg['beta2']), eps=cfg['eps'])
    if kind == 'sgd':
        return torch.optim.SGD(groups, lr=cfg['lr'], momentum=cfg['momentum'], nesterov=cfg['nesterov'])
    raise ValueError(f'unknown optimizer {kind!r}')


def clip(params, max_norm):
    """Global-norm clipping of the .grad of `params` ({name: leaf tensor}) when max_norm is set. clip_grad_norm_
    scales by max_norm/(‖g‖ + 1e-6) when that is < 1; mixbench divides by ‖g‖ + 1e-12 (a relative difference of
    1e-6/‖g‖, far below float32 tolerance at these norms)."""
    if max_norm:
        torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)


def optimizer_step(net, P0, grads, cfg, kind):
    """The weights after one step from P0 ({name: tensor}) with the given gradients; cfg as make_optimizer, plus
    gradClip."""
    params = {n: P0[n].clone().requires_grad_(True) for n in P0}
    for n, p in params.items():
        p.grad = grads[n].clone()
    clip(params, cfg.get('gradClip'))
    make_optimizer(net, params, cfg, kind).step()
    return {n: p.detach() for n, p in params.items()}
