"""The optimizer registry both engines read: a member's update is its plain run's, bitwise, for
every rule; the RAdam variants differ exactly where their sources say (the first five updates)."""

import pytest
import torch

from trainability.training.optim import OPTIMIZERS, rho


def _params(k: int, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [{"w": torch.randn(3, 4, generator=g), "b": torch.randn(4, generator=g)} for _ in range(k)]


def _grads(k: int, step: int) -> list[dict[str, torch.Tensor]]:
    return _params(k, seed=1000 + step)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_members_update_is_its_plain_runs_bitwise(name):
    rule, k, steps = OPTIMIZERS[name], 3, 8
    lrs = [1e-2, 3e-3, 1e-1]
    plain = [{n: t.clone().requires_grad_() for n, t in p.items()} for p in _params(k)]
    opts = [rule.plain(list(p.values()), lr) for p, lr in zip(plain, lrs)]
    stacked = {n: torch.stack([p[n].detach() for p in _params(k)]).requires_grad_() for n in ("w", "b")}
    members = rule.members(stacked)
    for t in range(steps):
        grads = _grads(k, t)
        for p, opt, g, lr in zip(plain, opts, grads, lrs):
            for group in opt.param_groups:
                group["lr"] = lr * rule.lr_scale(t + 1)
            for n, tensor in p.items():
                tensor.grad = g[n].clone()
            opt.step()
        for n, tensor in stacked.items():
            tensor.grad = torch.stack([g[n] for g in grads])
        skip = 1 if t == steps - 1 else None  # on the last step member 1 is skipped (a diverged member)
        members.step([None if i == skip else lr * rule.lr_scale(t + 1) for i, lr in enumerate(lrs)])
        assert all(tensor.grad is None for tensor in stacked.values())  # the stepper clears the gradients
        if skip is not None:
            for n in stacked:
                assert not torch.equal(stacked[n][1], plain[1][n].detach())  # the plain run took the step
                plain[1][n].data.copy_(stacked[n][1].detach())  # (compare the rest as it was)
    for i, p in enumerate(plain):
        for n in p:
            assert torch.equal(stacked[n][i].detach(), p[n].detach()), (name, i, n)


def test_the_radam_variants_differ_in_the_first_five_updates_only():
    assert [rho(t) > 5 for t in range(1, 8)] == [False] * 5 + [True] * 2  # beta2 0.999
    moved = {}
    for name in ("radam", "radam-paper"):
        rule = OPTIMIZERS[name]
        p = {n: t.clone().requires_grad_() for n, t in _params(1)[0].items()}
        start = {n: t.detach().clone() for n, t in p.items()}
        opt = rule.plain(list(p.values()), 1e-2)
        history = []
        for t in range(6):
            for group in opt.param_groups:
                group["lr"] = 1e-2 * rule.lr_scale(t + 1)
            for n, tensor in p.items():
                tensor.grad = _grads(1, t)[0][n].clone()
            opt.step()
            history.append(not torch.equal(p["w"].detach(), start["w"]))
        moved[name] = history
    assert moved["radam"] == [True] * 6  # torch.optim.RAdam: an un-adapted momentum step from the first update
    assert moved["radam-paper"] == [False] * 5 + [True]  # the authors' code: no update while rho_t < 5


def test_the_device_paths_stacked_adam_is_the_per_member_kernel_to_rounding():
    from trainability.training.optim import MemberSteps, StackedAdam

    k = 3
    base = {n: torch.stack([p[n] for p in _params(k)]) for n in ("w", "b")}
    a = {n: t.clone().requires_grad_() for n, t in base.items()}
    b = {n: t.clone().requires_grad_() for n, t in base.items()}
    per_member, stacked = MemberSteps(a, "adam"), StackedAdam(b)
    lrs = [1e-2, 3e-3, 1e-1]
    for t in range(6):
        grads = _grads(k, t)
        idle = 2 if t < 2 else None  # member 2 does not update for the first two steps
        for params in (a, b):
            for n, tensor in params.items():
                tensor.grad = torch.stack([g[n] for g in grads])
        per_member.step([None if i == idle else lr for i, lr in enumerate(lrs)])
        stacked.step(torch.tensor(lrs), torch.tensor([i != idle for i in range(k)]))
    for n in a:
        assert torch.allclose(a[n], b[n], rtol=1e-5, atol=1e-5)  # float32 rounding, ~10 ulp after 6 steps
        assert not torch.equal(a[n], base[n])
