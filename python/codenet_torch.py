"""PyTorch reference modules of the CoDeNet blocks, computing what codenet's float model computes
(src/float/model.ts), and their ONNX export.

Module names follow codenet's layer names (src/zoo/graph.ts): exported with these modules, an ONNX
node is named after its PyTorch scope ("/stage2/stage2.0/b1/dw/Conv"), and `codenet import` turns
that into the layer name "stage2.0.b1.dw", so a zoo-shaped network imports with the zoo's names.

Semantics (all as in src/float/model.ts):
- 3x3 convs pad 1 pixel of zeros on each side: an HxW input gives floor((H - 1) / s) + 1 rows;
- the max pool is 3x3, stride 2, padding 1 (after a ReLU, so zero padding = ignoring the border);
- the square deformable depthwise conv takes the raw output v of a 1x1 offset conv (one channel),
  d = clamp(floor(v + 0.5), 0, dmax) per pixel, and tap (i, j), i, j in {-1, 0, 1}, reads
  x[y + i d][x + j d], zero outside the image;
- upsampling is nearest x2 (output pixel i reads input floor(i / 2));
- the channel shuffle has 2 groups: output channel k = 2 i + g takes input channel g C/2 + i.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

DOMAIN = 'codenet'


def square_deform_dw(x, v, weight, dmax):
    """Square deformable depthwise 3x3: x [N,C,H,W], v [N,1,H,W] raw offsets, weight [C,1,3,3]."""
    c = x.shape[1]
    d = torch.clamp(torch.floor(v + 0.5), 0, dmax)
    out = torch.zeros_like(x)
    for k in range(dmax + 1):
        # Dilation 0 reads the centre pixel at all nine taps.
        y = x * weight.sum(dim=(1, 2, 3)).view(1, c, 1, 1) if k == 0 else F.conv2d(x, weight, None, 1, k, k, c)
        out = out + y * (d == k).to(x.dtype)
    return out


def _opset():
    try:
        from torch.onnx._globals import GLOBALS
        return GLOBALS.export_onnx_opset_version
    except ImportError:  # older layouts
        from torch.onnx import symbolic_helper
        return symbolic_helper._export_onnx_opset_version


class SquareDeformFn(torch.autograd.Function):
    """The deformable op as one autograd node, so that the ONNX exporter calls `symbolic`."""

    @staticmethod
    def forward(ctx, x, v, weight, dmax, channels):
        return square_deform_dw(x, v, weight, dmax)

    @staticmethod
    def symbolic(g, x, v, weight, dmax, channels):
        if _opset() >= 19:
            # Standard ONNX: offsets (d - 1) * template, so DeformConv (dilation 1, pads 1) samples
            # y - 1 + ky + (ky - 1)(d - 1) = y + (ky - 1) d.
            c = lambda val: g.op('Constant', value_t=torch.tensor(val, dtype=torch.float32))
            d = g.op('Clip', g.op('Floor', g.op('Add', v, c(0.5))), c(0.0), c(float(dmax)))
            template = torch.tensor([float(t) for k in range(9) for t in (k // 3 - 1, k % 3 - 1)]).view(1, 18, 1, 1)
            offsets = g.op('Mul', g.op('Sub', d, c(1.0)), g.op('Constant', value_t=template))
            out = g.op('DeformConv', x, weight, offsets, group_i=channels, kernel_shape_i=[3, 3], pads_i=[1, 1, 1, 1],
                       strides_i=[1, 1], dilations_i=[1, 1], offset_group_i=1)
        else:
            # opset 17 (PyTorch 1.13) has no DeformConv: one node of codenet's own domain.
            out = g.op(f'{DOMAIN}::DeformDepthwise', x, weight, v, dmax_i=dmax)
        out.setType(x.type())
        return out


class ConvBN(nn.Module):
    """Conv (bias-free), batch norm, optional ReLU; the conv runs in this module's own scope so the
    ONNX node is "/<name>/Conv" (the exporter folds the batch norm into it)."""

    def __init__(self, cin, cout, k=1, stride=1, groups=1, relu=True):
        super().__init__()
        self.stride, self.groups, self.pad = stride, groups, k // 2
        self.weight = nn.Parameter(torch.empty(cout, cin // groups, k, k))
        nn.init.kaiming_normal_(self.weight)
        self.bn = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.relu = nn.ReLU() if relu else None

    def forward(self, x):
        y = self.bn(F.conv2d(x, self.weight, None, self.stride, self.pad, 1, self.groups))
        return self.relu(y) if self.relu is not None else y


class Cat(nn.Module):
    """torch.cat over channels in its own scope: the ONNX node "/<name>/Concat" becomes layer <name>."""

    def forward(self, *xs):
        return torch.cat(xs, 1)


class Shuffle(nn.Module):
    def forward(self, x):
        n, c, h, w = x.shape
        return x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)


class Stem(ConvBN):
    """3x3 conv over the image, stride 4, or stride 2 then a 3x3 stride-2 max pool."""

    def __init__(self, cout, kind):
        super().__init__(3, cout, 3, 4 if kind == 's4' else 2)
        self.pool = nn.MaxPool2d(3, 2, 1) if kind == 's2+maxpool' else None

    def forward(self, x):
        y = super().forward(x)
        return self.pool(y) if self.pool is not None else y


class Branch(nn.Module):
    def __init__(self, **layers):
        super().__init__()
        for k, v in layers.items():
            self.add_module(k, v)

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


class DownUnit(nn.Module):
    """ShuffleNetV2 unit with stride 2: two branches, concat, shuffle."""

    def __init__(self, cin, cout):
        super().__init__()
        h = cout // 2
        self.b1 = Branch(dw=ConvBN(cin, cin, 3, 2, cin, relu=False), pw=ConvBN(cin, h))
        self.b2 = Branch(pw1=ConvBN(cin, h), dw=ConvBN(h, h, 3, 2, h, relu=False), pw2=ConvBN(h, h))
        self.concat, self.shuffle = Cat(), Shuffle()

    def forward(self, x):
        return self.shuffle(self.concat(self.b1(x), self.b2(x)))


class Unit(nn.Module):
    """ShuffleNetV2 unit with stride 1: split the channels in halves, one branch, concat, shuffle."""

    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.pw1, self.dw, self.pw2 = ConvBN(h, h), ConvBN(h, h, 3, 1, h, relu=False), ConvBN(h, h)
        self.concat, self.shuffle = Cat(), Shuffle()

    def forward(self, x):
        keep, b = x.chunk(2, dim=1)
        return self.shuffle(self.concat(keep, self.pw2(self.dw(self.pw1(b)))))


class SquareDeform(nn.Module):
    """The square deformable depthwise 3x3 with batch norm; reads the raw offset map."""

    def __init__(self, c, dmax):
        super().__init__()
        self.dmax = dmax
        self.weight = nn.Parameter(torch.empty(c, 1, 3, 3))
        nn.init.kaiming_normal_(self.weight)
        self.bn = nn.BatchNorm2d(c, eps=1e-5)

    def forward(self, x, v):
        return self.bn(SquareDeformFn.apply(x, v, self.weight, self.dmax, self.weight.shape[0]))


class DecoderBlock(nn.Module):
    """Offset conv (1x1 to one channel) -> square deformable dw -> 1x1 + ReLU -> nearest x2 (-> concat skip)."""

    def __init__(self, cin, cout, dmax, skip):
        super().__init__()
        self.offset = nn.Conv2d(cin, 1, 1)
        nn.init.normal_(self.offset.weight, 0, 0.01)
        nn.init.constant_(self.offset.bias, 1.0)
        self.deform, self.pw = SquareDeform(cin, dmax), ConvBN(cin, cout)
        self.up = nn.Upsample(scale_factor=2, mode='nearest')
        self.cat = Cat() if skip else None

    def forward(self, x, skip=None):
        y = self.up(self.pw(self.deform(x, self.offset(x))))
        return self.cat(y, skip) if self.cat is not None else y


class Head(nn.Module):
    """CenterNet head: 1x1 + ReLU, depthwise 3x3 + ReLU, 1x1 with bias."""

    def __init__(self, cin, hidden, cout, bias):
        super().__init__()
        self.pw1, self.dw = ConvBN(cin, hidden), ConvBN(hidden, hidden, 3, 1, hidden)
        self.out = nn.Conv2d(hidden, cout, 1)
        nn.init.constant_(self.out.bias, bias)

    def forward(self, x):
        return self.out(self.dw(self.pw1(x)))


class CoDeNet(nn.Module):
    """CenterNet on a ShuffleNetV2 backbone with square deformable decoder blocks (src/zoo/specs.ts)."""

    def __init__(self, channels, repeats, decoder, head, stem='s4', dmax=7, skips=False, classes=20, relu6=False):
        super().__init__()
        c0, c2, c3, c4, c5 = channels
        self.skips = skips
        self.stem = Stem(c0, stem)
        cin = c0
        for i, (cout, r) in enumerate(zip((c2, c3, c4), repeats)):
            setattr(self, f'stage{i + 2}', nn.Sequential(DownUnit(cin, cout), *[Unit(cout) for _ in range(r)]))
            cin = cout
        self.conv5 = ConvBN(cin, c5)
        skip_c = [c3, c2, c0] if skips else [0, 0, 0]
        cin = c5
        for i, cout in enumerate(decoder):
            setattr(self, f'dec{i + 1}', DecoderBlock(cin, cout, dmax, skips))
            cin = cout + skip_c[i]
        self.hm, self.wh, self.reg = Head(cin, head, classes, -2.19), Head(cin, head, 2, 0.0), Head(cin, head, 2, 0.0)
        if relu6:  # ReLU6 (exported as Clip(0, 6)) after every conv that has a ReLU
            for m in self.modules():
                if isinstance(m, ConvBN) and m.relu is not None:
                    m.relu = nn.ReLU6()

    def forward(self, x):
        s4 = self.stem(x)
        s8 = self.stage2(s4)
        s16 = self.stage3(s8)
        x = self.conv5(self.stage4(s16))
        for blk, skip in zip((self.dec1, self.dec2, self.dec3), (s16, s8, s4)):
            x = blk(x, skip if self.skips else None)
        return self.hm(x), self.wh(x), self.reg(x)


ZOO = {
    'codenet-tiny': dict(channels=[8, 28, 56, 116, 256], repeats=[3, 7, 3], decoder=[64, 32, 16], head=16, stem='s4', dmax=7),
    'codenet-tiny-skip': dict(channels=[24, 48, 96, 192, 128], repeats=[1, 2, 1], decoder=[64, 48, 32], head=32, stem='s2+maxpool', dmax=7, skips=True),
    'codenet-a': dict(channels=[24, 116, 232, 464, 1024], repeats=[3, 7, 3], decoder=[256, 128, 64], head=64, stem='s4', dmax=7),
}


def export(model, path, size, opset=17, keep_bn=False):
    """Writes `model` (eval mode) as ONNX for a fixed 1x3xSxS image; outputs hm, wh, reg."""
    model.eval()
    kw = {}
    if keep_bn:  # batch norm stays a node (codenet maps it to a BN layer) instead of folding into the conv
        kw['training'] = torch.onnx.TrainingMode.PRESERVE
    try:
        import inspect
        if 'dynamo' in inspect.signature(torch.onnx.export).parameters:
            kw['dynamo'] = False  # the TorchScript exporter calls SquareDeformFn.symbolic
    except (TypeError, ValueError):
        pass
    torch.onnx.export(model, torch.zeros(1, 3, size, size), path, opset_version=opset, input_names=['image'],
                      output_names=['hm', 'wh', 'reg'], do_constant_folding=True,
                      custom_opsets={DOMAIN: 1} if opset < 19 else None, **kw)
