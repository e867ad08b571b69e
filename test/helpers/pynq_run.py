"""The generated PYNQ driver on the Verilator model (test/driver-sim.test.ts), through the pynq shim
(test/helpers/pynq-shim on PYTHONPATH):  python3 pynq_run.py SW_DIR memory.bin relocs.bin codes.bin OUT_DIR
Writes OUT_DIR/py<i>.bin (output i of OUTPUTS, HWC int8) and, with heads, OUT_DIR/py_boxes.json
(detect()); prints the counters as one JSON line."""
import json
import os
import sys

import numpy as np

sw, memory_bin, relocs_bin, codes_bin, out = sys.argv[1:]
sys.path.insert(0, sw)
import codenet_accel as ca  # noqa: E402

acc = ca.CodenetAccel("codenet_sim.bit", memory_bin, relocs_bin)
codes = np.fromfile(codes_bin, dtype=np.int8).reshape(ca.TENSORS[ca.INPUT]["shape"])
outputs = acc.run(codes, timeout_s=3600.0)
for i, name in enumerate(ca.OUTPUTS):
    np.ascontiguousarray(outputs[name]).tofile(os.path.join(out, f"py{i}.bin"))
if hasattr(ca, "decode"):
    with open(os.path.join(out, "py_boxes.json"), "w") as f:
        json.dump([[float(v) for v in b] for b in ca.decode(outputs)], f)
print(json.dumps([acc.counter(k) for k in range(len(ca.COUNTERS))]))
