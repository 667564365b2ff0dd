"""BatchNorm and padding folded into convolutions: the same function, fewer layers."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from symcat.embed.extractors import center_normalize  # noqa: E402
from symcat.embed.folding import fold_batchnorm, fold_for_inference, fold_padding  # noqa: E402
from symcat.embed.registry import available, create_extractor  # noqa: E402


def _random_bn(channels: int) -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(channels)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0)
        bn.bias.uniform_(-1, 1)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.1, 3.0)
    return bn.eval()


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("groups", [1, 4])
def test_fold_batchnorm_computes_the_same(bias: bool, groups: int) -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 8, 3, padding=1, groups=groups, bias=bias).eval()
    bn = _random_bn(8)
    x = torch.randn(2, 4, 9, 7)
    expected = bn(conv(x))
    fold_batchnorm(conv, bn)
    assert torch.allclose(conv(x), expected, atol=1e-5)


def test_a_training_batchnorm_is_not_folded() -> None:
    block = nn.Sequential(nn.Conv2d(3, 4, 1), _random_bn(4).train())
    fold_for_inference(block)
    assert isinstance(block[1], nn.BatchNorm2d)
    block.eval()
    fold_for_inference(block)
    assert isinstance(block[1], nn.Identity)


class _SamePadded(nn.Conv2d):
    """The shape of efficientnet-lite-pytorch's Conv2dStaticSamePadding."""

    def __init__(self, pad: tuple[int, int, int, int], stride: int = 1) -> None:
        super().__init__(3, 5, 3, stride=stride, bias=False)
        self.static_padding = nn.ZeroPad2d(pad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(self.static_padding(x))


def test_symmetric_padding_becomes_the_convolutions_own() -> None:
    torch.manual_seed(1)
    conv = _SamePadded((2, 2, 1, 1)).eval()  # left, right, top, bottom
    x = torch.randn(2, 3, 11, 8)
    expected = conv(x)
    assert fold_padding(conv)
    assert isinstance(conv.static_padding, nn.Identity) and conv.padding == (1, 2)
    assert torch.allclose(conv(x), expected, atol=1e-6)


def test_one_sided_padding_stays_a_layer() -> None:
    conv = _SamePadded((0, 1, 0, 1), stride=2).eval()
    x = torch.randn(1, 3, 8, 8)
    expected = conv(x)
    assert not fold_padding(conv)
    assert isinstance(conv.static_padding, nn.ZeroPad2d)
    assert torch.equal(conv(x), expected)


@pytest.mark.parametrize("name", ["effnet_lite0_4tap_native.in1k", "symcat_combined.v2"])
def test_our_networks_fold_to_the_same_vectors(name: str) -> None:
    if not available(name):
        pytest.skip(f"{name}'s weights are not installed")
    torch.manual_seed(2)
    published = create_extractor(name, fold=False)
    folded = create_extractor(name)
    kinds = {type(m).__name__ for m in folded.modules()}
    assert "BatchNorm2d" not in kinds
    assert any(isinstance(m, nn.BatchNorm2d) for m in published.modules())
    pads = sum(isinstance(m, nn.ZeroPad2d) for m in folded.modules())
    assert pads < sum(isinstance(m, nn.ZeroPad2d) for m in published.modules())
    x = torch.rand(3, 3, 256, 320)  # non-square: the paddings are per side
    with torch.inference_mode():
        a = center_normalize(published(x).float())
        b = center_normalize(folded(x).float())
    cosine = (a * b).sum(1)
    assert float(cosine.min()) > 0.99999


def test_folding_a_folded_network_changes_nothing() -> None:
    torch.manual_seed(3)
    block = nn.Sequential(nn.Conv2d(3, 4, 3), _random_bn(4)).eval()
    fold_for_inference(block)
    once = copy.deepcopy(block.state_dict())
    fold_for_inference(block)
    for key, value in block.state_dict().items():
        assert torch.equal(value, once[key])
