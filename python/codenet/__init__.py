"""codenet for notebooks: call the codenet CLI and get NumPy arrays back.

Pure Python + NumPy (no torch). Every function runs ``node bin/codenet.mjs ...`` (the repository's
CLI, found as described in :func:`find_cli`) in a temporary folder, reads the ``.npy`` / JSON it
writes and returns NumPy arrays and dicts::

    import codenet
    out = codenet.golden("codenet-tiny")               # {"hm": int8 [16,16,20], "wh": ..., "reg": ...}
    layers = codenet.trace("codenet-tiny")             # every tensor of the graph, by layer name
    p = codenet.perf("codenet-tiny", board="pynq-z2")  # the analytic model (perf --json)
    boxes = codenet.detect("codenet-tiny", "img.png")  # [{"box": [x0, y0, x1, y1], "label": ..., "score": ...}]
    sim = codenet.simulate("build/codenet-tiny-pynq-z2", simulator="verilator")

A model is a zoo name (``codenet-tiny``, ``codenet-a``, ...) or an integer model file
(``codenet export`` / ``codenet quantize``); an input is ``None`` (the CLI's seeded random image),
a path (JPEG, PNG or ``.npy``) or a NumPy array (uint8 ``[H, W, 3]`` image or int8 codes, written
to a temporary ``.npy``). A user error of the CLI (exit code 2: bad file, shape, flag) raises
:class:`CodenetError` with the CLI's message; any other non-zero exit raises it too, with the exit
code and the last lines of the output.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

__all__ = [
    "CodenetError",
    "find_cli",
    "run_cli",
    "golden",
    "predict",
    "trace",
    "simulate",
    "detect",
    "perf",
]
__version__ = "0.1.0"

PathLike = Union[str, "os.PathLike[str]"]
InputLike = Union[None, PathLike, np.ndarray]


class CodenetError(RuntimeError):
    """The CLI failed. ``returncode`` is its exit code (2: a user error), ``message`` its error
    text (``codenet: error: ...`` without the prefix), ``argv`` the command line, ``output`` its stdout and stderr."""

    def __init__(self, message: str, returncode: int, argv: Sequence[str], output: str = ""):
        super().__init__(message)
        self.message = message
        self.returncode = returncode
        self.argv = list(argv)
        self.output = output


def find_cli() -> List[str]:
    """The command that runs codenet, as a list for subprocess.

    In order: the ``CODENET_CLI`` environment variable (a path to ``bin/codenet.mjs`` or to a
    ``codenet`` executable); ``bin/codenet.mjs`` of the repository this package sits in
    (``python/codenet/`` -> ``../../bin/codenet.mjs``, run with ``node``); ``codenet`` on PATH
    (``npm link`` / ``npm install -g``).
    """
    env = os.environ.get("CODENET_CLI")
    candidates = []
    if env:
        candidates.append(Path(env))
    candidates.append(Path(__file__).resolve().parents[2] / "bin" / "codenet.mjs")
    for c in candidates:
        if c.is_file():
            if c.suffix in (".mjs", ".js"):
                node = shutil.which("node")
                if node is None:
                    raise CodenetError("node is not on PATH (codenet needs Node.js >= 20)", 127, [str(c)])
                return [node, str(c)]
            return [str(c)]
    exe = shutil.which("codenet")
    if exe:
        return [exe]
    raise CodenetError(
        "cannot find the codenet CLI: set CODENET_CLI to bin/codenet.mjs, install this package from "
        "the repository (pip install -e python/) or put codenet on PATH", 127, [])


def _error_message(stderr: str, stdout: str) -> str:
    lines = [l for l in stderr.splitlines() if l.strip()]
    for i, l in enumerate(lines):
        if l.startswith("codenet: error: "):
            return "\n".join([l[len("codenet: error: "):]] + lines[i + 1:])
    tail = lines[-20:] if lines else [l for l in stdout.splitlines() if l.strip()][-20:]
    return "\n".join(tail)


def run_cli(args: Sequence[str], cwd: Optional[PathLike] = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``codenet <args>`` and return the CompletedProcess (text stdout/stderr). With ``check``
    a non-zero exit raises :class:`CodenetError`."""
    argv = find_cli() + [str(a) for a in args]
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        msg = _error_message(p.stderr, p.stdout)
        if p.returncode != 2:
            msg = f"codenet exited with {p.returncode}: {msg}"
        raise CodenetError(msg, p.returncode, argv, p.stdout + p.stderr)
    return p


def _model_arg(model: PathLike) -> str:
    s = os.fspath(model)
    # A file (relative to the caller's folder) is passed as an absolute path: the CLI runs elsewhere.
    return str(Path(s).resolve()) if os.path.exists(s) else s


def _input_args(inp: InputLike, tmp: str, flag: str = "--input") -> List[str]:
    if inp is None:
        return []
    if isinstance(inp, np.ndarray):
        path = os.path.join(tmp, "input.npy")
        np.save(path, inp)
        return [flag, path]
    return [flag, str(Path(os.fspath(inp)).resolve())]


def _read_npys(folder: str) -> Dict[str, np.ndarray]:
    return {f[:-4]: np.load(os.path.join(folder, f)) for f in sorted(os.listdir(folder)) if f.endswith(".npy")}


def _run_golden(model: PathLike, input: InputLike, seed: Optional[int], fit: Optional[str],
                extra: List[str]) -> Dict[str, np.ndarray]:
    """``codenet golden`` with ``extra`` flags; the .npy files it writes, keyed by file name."""
    with tempfile.TemporaryDirectory(prefix="codenet-py-") as tmp:
        out = os.path.join(tmp, "out")
        args = ["golden", _model_arg(model), "--out", out] + extra + _input_args(input, tmp)
        if seed is not None:
            args += ["--seed", str(seed)]
        if fit is not None:
            args += ["--fit", fit]
        run_cli(args, cwd=tmp)
        return _read_npys(out)


def golden(model: PathLike, input: InputLike = None, seed: Optional[int] = None,
           fit: Optional[str] = None) -> Dict[str, np.ndarray]:
    """The integer golden model's graph outputs (``codenet golden``): a dict of int8 HWC arrays
    keyed by output name (the ``.npy`` file names the CLI writes)."""
    return _run_golden(model, input, seed, fit, [])


predict = golden
"""``predict(model, input)``: the graph outputs, as hls4ml's ``predict`` (an alias of :func:`golden`)."""


def trace(model: PathLike, input: InputLike = None, seed: Optional[int] = None,
          fit: Optional[str] = None) -> Dict[str, np.ndarray]:
    """Every tensor of the graph (``codenet golden --dump-layers``), keyed by the layer that writes
    it (the file name without ``.npy``; sorted by name, not in graph order), as hls4ml's ``trace``."""
    return _run_golden(model, input, seed, fit, ["--dump-layers"])


def perf(model: PathLike, board: Optional[str] = None, clock: Optional[float] = None,
         hw: Optional[PathLike] = None) -> Dict[str, Any]:
    """The analytic performance model (``codenet perf --json``): the parsed JSON (board, clockMHz,
    per-layer cycles, FPS, DDR traffic)."""
    args = ["perf", _model_arg(model), "--json"]
    if board is not None:
        args += ["--board", board]
    if clock is not None:
        args += ["--clock", str(clock)]
    if hw is not None:
        args += ["--hw", str(Path(os.fspath(hw)).resolve())]
    return json.loads(run_cli(args).stdout)


def detect(model: PathLike, image: Union[PathLike, np.ndarray], backend: Optional[str] = None,
           simulator: Optional[str] = None, top_k: Optional[int] = None, threshold: Optional[float] = None,
           fit: Optional[str] = None, classes: Optional[PathLike] = None, full: bool = False):
    """Boxes of a detector on one image (``codenet detect -o out.json --no-draw``).

    ``image``: a JPEG or PNG file, or a uint8 ``[H, W, 3]`` array (written to a temporary PNG).
    Returns the image's list of detections, each ``{"box": [x0, y0, x1, y1] in image pixels,
    "inputBox": the same in the model's input pixels, "cls", "label", "score"}``, best first; with
    ``full=True`` the whole codenet-detections JSON instead. ``backend``: golden (default), float
    or sim (``model`` is then a folder from codenet gen / bundle; ``simulator``: verilator, icarus
    or hls).
    """
    with tempfile.TemporaryDirectory(prefix="codenet-py-") as tmp:
        if isinstance(image, np.ndarray):
            path = os.path.join(tmp, "image.png")
            _write_png(path, image)
        else:
            path = str(Path(os.fspath(image)).resolve())
        out = os.path.join(tmp, "detections.json")
        args = ["detect", _model_arg(model), path, "-o", out, "--no-draw"]
        for flag, v in (("--backend", backend), ("--simulator", simulator), ("--top-k", top_k),
                        ("--threshold", threshold), ("--fit", fit)):
            if v is not None:
                args += [flag, str(v)]
        if classes is not None:
            args += ["--classes", str(Path(os.fspath(classes)).resolve())]
        run_cli(args, cwd=tmp)
        with open(out, encoding="utf-8") as f:
            doc = json.load(f)
    return doc if full else doc["images"][0]["detections"]


def simulate(folder: PathLike, input: InputLike = None, simulator: str = "verilator",
             model: Optional[PathLike] = None, layers: bool = False,
             extra_args: Sequence[str] = ()) -> Dict[str, Any]:
    """Run the accelerator of a generated folder (``codenet sim``) and return its report.

    ``codenet sim`` compares every tensor with the golden model and exits 1 (raised as
    :class:`CodenetError`) on any differing element; after a run that matched it writes
    ``<folder>/sim-report.json``, returned here as a dict with its ``totalCycles``, ``fps``,
    ``macUtilisation``, per-layer ``layers`` (cycles, loader wait), ``counters`` and ``ddr``.
    The CLI writes no tensors from the simulation; since they equal the golden model's element for
    element, ``result["outputs"]`` holds the golden outputs of the folder's model
    (``data/model.json``, or ``model``) on ``input`` -- only when ``input`` is given (the default
    input, ``data/input.bin``, is already in the accelerator's layout), else ``None``.
    ``result["cycles"]`` is ``totalCycles`` (0 for the untimed ``simulator="hls"``).
    """
    folder = Path(os.fspath(folder)).resolve()
    with tempfile.TemporaryDirectory(prefix="codenet-py-") as tmp:
        args = ["sim", str(folder), "--simulator", simulator] + _input_args(input, tmp)
        if model is not None:
            args += ["--model", _model_arg(model)]
        if layers:
            args.append("--layers")
        args += list(extra_args)
        p = run_cli(args)
        # sim-report.json (or, for a run with --model in newer versions, sim-report-<model>.json):
        # the one this run wrote is the newest.
        written = sorted(folder.glob("sim-report*.json"), key=lambda f: f.stat().st_mtime_ns)
        if not written:
            raise CodenetError(f"codenet sim wrote no sim-report.json in {folder}", p.returncode, args, p.stdout)
        with open(written[-1], encoding="utf-8") as f:
            report = json.load(f)
        report["stdout"] = p.stdout
        report["cycles"] = report.get("totalCycles")
        outputs = None
        if input is not None:
            m = model if model is not None else folder / "data" / "model.json"
            outputs = golden(m, input)
        report["outputs"] = outputs
    return report


def _write_png(path: str, image: np.ndarray) -> None:
    """A uint8 [H, W, 3] (or [H, W]) array as a PNG, with zlib only (no PIL)."""
    import struct
    import zlib

    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise ValueError(f"image must be uint8, got {a.dtype}")
    if a.ndim == 2:
        a, colour = a[:, :, None], 0
    elif a.ndim == 3 and a.shape[2] == 3:
        colour = 2
    else:
        raise ValueError(f"image must be [H, W, 3] or [H, W], got {list(a.shape)}")
    h, w = a.shape[:2]
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw)))
        f.write(chunk(b"IEND", b""))
