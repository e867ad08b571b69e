#!/usr/bin/env python3
"""Writes the ONNX fixtures of test/import-onnx.test.ts with PyTorch's outputs on a fixed input.

    /usr/bin/python3 python/make_fixtures.py [-o test/fixtures/onnx]

Every fixture is a CoDeNet of python/codenet_torch.py with seeded weights, batch-norm statistics
drawn away from the identity (so folding them matters) and offset convs scaled so the dilation maps
span 0..dmax. For each: <name>.onnx, <data>.input.npy (float32 NCHW) and <data>.<head>.npy (PyTorch's
hm, wh, reg; <data> is the fixture's own name unless it re-exports another's model) and an entry in
fixtures.json.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from codenet_torch import ZOO, CoDeNet, export  # noqa: E402
from export_onnx import to_deformconv  # noqa: E402

# A network that is not in the zoo: other widths and unit counts, 96 px, ReLU6 in the 1x1 convs of one variant.
SMALL = dict(channels=[8, 16, 32, 48, 32], repeats=[1, 0, 2], decoder=[24, 16, 16], head=16, stem='s4', dmax=5)

FIXTURES = [
    # name, spec, classes, size, seed, export options
    ('tiny-skip', ZOO['codenet-tiny-skip'], 6, 64, 1, dict()),  # 6 classes: the built-in data set's (train --qat)
    ('small', SMALL, 3, 96, 2, dict()),
    ('small-deformconv', SMALL, 3, 96, 2, dict(deformconv=True)),  # the same model and data as 'small'
    ('small-bn-relu6', dict(SMALL, relu6=True), 3, 64, 3, dict(deformconv=True, keep_bn=True)),
]


def prepare(model, size, seed):
    """Seeded batch-norm statistics and offset convs whose dilations span 0..dmax; returns the input."""
    g = torch.Generator().manual_seed(seed)
    u = lambda t, lo, hi: t.copy_(torch.rand(t.shape, generator=g) * (hi - lo) + lo)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                u(m.weight, 0.5, 1.5), u(m.bias, -0.2, 0.2), u(m.running_mean, -0.3, 0.3), u(m.running_var, 0.5, 2.0)
        model.eval()
        x = torch.randn(1, 3, size, size, generator=g)
        hist = []
        for blk in (model.dec1, model.dec2, model.dec3):
            seen = {}
            h = blk.offset.register_forward_hook(lambda m, i, o: seen.update(v=o - m.bias.view(1, -1, 1, 1)))
            model(x)
            h.remove()
            dmax = blk.deform.dmax
            k = (dmax / 3) / seen['v'].std()
            blk.offset.weight.mul_(k)
            blk.offset.bias.fill_(dmax / 2 - float((seen['v'] * k).mean()))
        for blk in (model.dec1, model.dec2, model.dec3):
            seen = {}
            h = blk.offset.register_forward_hook(lambda m, i, o: seen.update(v=o))
            model(x)
            h.remove()
            d = torch.clamp(torch.floor(seen['v'] + 0.5), 0, blk.deform.dmax)
            hist.append([int((d == k).sum()) for k in range(blk.deform.dmax + 1)])
    return x, hist


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('-o', '--out', default=str(Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'onnx'))
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for name, spec, classes, size, seed, opts in FIXTURES:
        torch.manual_seed(seed)
        model = CoDeNet(classes=classes, **spec)
        x, hist = prepare(model, size, seed)
        with torch.no_grad():
            ys = model(x)
        path = out / f'{name}.onnx'
        export(model, str(path), size, keep_bn=opts.get('keep_bn', False))
        if opts.get('deformconv'):
            to_deformconv(str(path))
        data = next((m['data'] for m in manifest if m['seed'] == seed and m['size'] == size), name)
        if data == name:
            np.save(out / f'{name}.input.npy', x.numpy().astype(np.float32))
            for head, y in zip(('hm', 'wh', 'reg'), ys):
                np.save(out / f'{name}.{head}.npy', y.numpy().astype(np.float32))
        manifest.append(dict(name=name, data=data, seed=seed, size=size, classes=classes, dmax=spec['dmax'], deform='DeformConv' if opts.get('deformconv') else 'codenet.DeformDepthwise',
                             batchNormNodes=bool(opts.get('keep_bn')), relu6=bool(spec.get('relu6')), dilations=hist, torch=torch.__version__))
        print(f'{path}: {path.stat().st_size} bytes, dilation histograms {hist}')
    (out / 'fixtures.json').write_text('[\n' + ',\n'.join('  ' + json.dumps(m) for m in manifest) + '\n]\n')


if __name__ == '__main__':
    main()
