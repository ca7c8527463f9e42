"""One optimizer step with PyTorch's own optimizers (torch.optim.AdamW / SGD) and gradient clipping
(torch.nn.utils.clip_grad_norm_), with mixbench's weight-decay mask (model.Net.decayed)."""
import torch


def optimizer_step(net, P0, grads, cfg, kind):
    """The weights after one step from P0 with the given gradients. cfg: lr, weightDecay, gradClip and
    beta1/beta2/eps (adamw) or momentum/nesterov (sgd)."""
    names = list(P0)
    params = {n: P0[n].clone().requires_grad_(True) for n in names}
    for n in names:
        params[n].grad = grads[n].clone()
    if cfg.get('gradClip'):
        # clip_grad_norm_ scales by max_norm/(‖g‖ + 1e-6) when that is < 1; mixbench divides by ‖g‖ + 1e-12
        # (a relative difference of 1e-6/‖g‖, far below float32 tolerance at these norms).
        torch.nn.utils.clip_grad_norm_(list(params.values()), cfg['gradClip'])
    groups = [
        {'params': [params[n] for n in names if net.decayed(n)], 'weight_decay': cfg['weightDecay']},
        {'params': [params[n] for n in names if not net.decayed(n)], 'weight_decay': 0.0},
    ]
    if kind == 'adamw':
        opt = torch.optim.AdamW(groups, lr=cfg['lr'], betas=(cfg['beta1'], cfg['beta2']), eps=cfg['eps'])
    elif kind == 'sgd':
        opt = torch.optim.SGD(groups, lr=cfg['lr'], momentum=cfg['momentum'], nesterov=cfg['nesterov'])
    else:
        raise ValueError(kind)
    opt.step()
    return {n: params[n].detach() for n in names}
