import torch

from workshop_lib.optim import make_adam, supports_fused_adam


def test_make_adam_matches_plain_adam_step_for_step():
    torch.manual_seed(0)
    a, b = torch.nn.Linear(5, 3), torch.nn.Linear(5, 3)
    b.load_state_dict(a.state_dict())
    fast, plain = make_adam(a.parameters(), lr=1e-2), torch.optim.Adam(b.parameters(), lr=1e-2)
    assert fast.defaults["fused"] == supports_fused_adam("cpu")
    x = torch.randn(8, 5)
    for _ in range(5):
        for model, opt in [(a, fast), (b, plain)]:
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_explicit_fused_false_is_kept():
    assert make_adam(torch.nn.Linear(2, 2).parameters(), fused=False).defaults["fused"] is False
