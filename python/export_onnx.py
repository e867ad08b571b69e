#!/usr/bin/env python3
"""Exports a CoDeNet (python/codenet_torch.py) to ONNX for `codenet import`.

    /usr/bin/python3 python/export_onnx.py --arch codenet-tiny-skip --classes 20 --size 64 \
        [--weights model.pt] [--opset 17|19] [--deformconv] [--keep-bn] -o model.onnx

PyTorch 1.13 (Debian's python3-torch) writes opset 17, where the deformable layer is one node of the
`codenet` domain (DeformDepthwise); with --opset 19 (a newer PyTorch) it is the standard DeformConv
with square offsets. --deformconv rewrites an opset-17 export into that opset-19 form with the onnx
package, so that ONNX Runtime can run it (it has no codenet.DeformDepthwise).
"""
import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from codenet_torch import ZOO, CoDeNet, export  # noqa: E402


def to_deformconv(path):
    """Replaces every codenet.DeformDepthwise(x, W, v) of an ONNX file by standard opset-19 ops:
    DeformConv(x, W, (clip(floor(v + 0.5), 0, dmax) - 1) * template), in place."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    m = onnx.load(path)
    g = m.graph
    weights = {t.name: t for t in g.initializer}
    nodes = []
    for n in g.node:
        if n.domain != 'codenet':
            nodes.append(n)
            continue
        x, w, v = n.input[:3]
        dmax = next(a.i for a in n.attribute if a.name == 'dmax')
        channels = weights[w].dims[0]
        p = n.name.rsplit('/', 1)[0] + '/' if '/' in n.name else n.name + '_'
        template = np.array([t for k in range(9) for t in (k // 3 - 1, k % 3 - 1)], np.float32).reshape(1, 18, 1, 1)
        consts = {'half': np.float32(0.5), 'zero': np.float32(0), 'dmax': np.float32(dmax), 'one': np.float32(1), 'template': template}
        for k, val in consts.items():
            g.initializer.append(numpy_helper.from_array(np.asarray(val), p + k))
        nodes += [
            helper.make_node('Add', [v, p + 'half'], [p + 'Add_output_0'], name=p + 'Add'),
            helper.make_node('Floor', [p + 'Add_output_0'], [p + 'Floor_output_0'], name=p + 'Floor'),
            helper.make_node('Clip', [p + 'Floor_output_0', p + 'zero', p + 'dmax'], [p + 'Clip_output_0'], name=p + 'Clip'),
            helper.make_node('Sub', [p + 'Clip_output_0', p + 'one'], [p + 'Sub_output_0'], name=p + 'Sub'),
            helper.make_node('Mul', [p + 'Sub_output_0', p + 'template'], [p + 'Mul_output_0'], name=p + 'Mul'),
            helper.make_node('DeformConv', [x, w, p + 'Mul_output_0'], list(n.output), name=p + 'DeformConv', group=channels,
                             kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1], offset_group=1),
        ]
    del g.node[:]
    g.node.extend(nodes)
    imports = [o for o in m.opset_import if o.domain not in ('', 'ai.onnx', 'codenet')]
    del m.opset_import[:]
    m.opset_import.extend([helper.make_opsetid('', 19), *imports])
    onnx.save(m, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--arch', default='codenet-tiny-skip', help=f'one of {", ".join(ZOO)}, or a JSON file of CoDeNet arguments')
    ap.add_argument('--classes', type=int, default=20)
    ap.add_argument('--size', type=int, default=64, help='input height = width in pixels')
    ap.add_argument('--weights', help='a state_dict saved with torch.save (default: random weights)')
    ap.add_argument('--opset', type=int, default=17)
    ap.add_argument('--deformconv', action='store_true', help='rewrite the deformable layers as opset-19 DeformConv')
    ap.add_argument('--keep-bn', action='store_true', help='keep batch norm as nodes instead of folding it into the convs')
    ap.add_argument('-o', '--out', required=True)
    a = ap.parse_args()
    spec = ZOO.get(a.arch) or json.loads(Path(a.arch).read_text())
    model = CoDeNet(classes=a.classes, **spec)
    if a.weights:
        model.load_state_dict(torch.load(a.weights, map_location='cpu'))
    export(model, a.out, a.size, opset=a.opset, keep_bn=a.keep_bn)
    if a.deformconv:
        to_deformconv(a.out)
    print(f'wrote {a.out} (opset {19 if a.deformconv else a.opset}, torch {torch.__version__})')


if __name__ == '__main__':
    main()
