"""The no-decay rule, checked by re-applying it independently."""

from __future__ import annotations

import torch
from torch import nn

from regadvisor.examples import digits_cnn
from regadvisor.training import RegConfig, split_parameters, train


class Custom(nn.Module):
    """A model with a custom norm layer (1-D scale without 'bias' in its name) and embeddings."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        self.scale = nn.Parameter(torch.ones(8))
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 3)
        self.frozen = nn.Linear(8, 8)
        self.frozen.requires_grad_(False)


def _independent(model):
    decay, no_decay = set(), set()
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.dim() >= 2 and not name.endswith("bias"):
            decay.add(name)
        else:
            no_decay.add(name)
    return decay, no_decay


def test_every_bias_and_1d_parameter_is_exempt():
    for model in (digits_cnn.model(), Custom()):
        split, groups = split_parameters(model)
        decay, no_decay = _independent(model)
        assert set(split.decay) == decay
        assert set(split.no_decay) == no_decay
        assert not set(split.decay) & set(split.no_decay)
    split, _ = split_parameters(Custom())
    assert "scale" in split.no_decay and "norm.weight" in split.no_decay
    assert "embed.weight" in split.decay and "frozen.weight" not in split.decay


def test_exempt_none_decays_everything():
    split, groups = split_parameters(digits_cnn.model(), exempt=False)
    assert not split.no_decay and len(groups) == 1


def test_optimizer_groups_get_the_decay(digits):
    from tests.conftest import make_loaders

    loaders = make_loaders(digits)
    h = train(lambda: nn.Sequential(nn.Linear(64, 16), nn.LayerNorm(16), nn.Linear(16, 10)),
              loaders[0], loaders[1], RegConfig(max_epochs=1, weight_decay=0.1)).history
    assert set(h.decay_params) == {"0.weight", "2.weight"}
    assert set(h.no_decay_params) == {"0.bias", "1.weight", "1.bias", "2.bias"}


class Biased(nn.Module):
    """Parameters whose names test the bias rule: the model's own 2-D ``bias``, a module's
    ``.bias`` and a weight whose name only ends in the letters ``bias``."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(3, 8))
        self.unbias = nn.Parameter(torch.zeros(8, 8))
        self.head = nn.Linear(8, 3)
        self.head.bias = nn.Parameter(torch.zeros(3, 1))


def test_the_recommended_code_exempts_what_regadvisor_exempts():
    """The no-decay test the recommended code writes (EXEMPT_CODE) is the one training uses, on
    every model here, a 2-D ``bias`` of the model's own included."""
    from regadvisor.training.param_groups import EXEMPT_CODE, is_exempt

    for model in (digits_cnn.model(), Custom(), Biased()):
        for name, p in model.named_parameters():
            assert eval(EXEMPT_CODE, {}, {"name": name, "p": p}) == is_exempt(name, p), name
    split, _ = split_parameters(Biased())
    assert set(split.no_decay) == {"bias", "head.bias"}
    assert set(split.decay) == {"unbias", "head.weight"}
