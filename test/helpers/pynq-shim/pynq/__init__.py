"""A stand-in for the parts of PYNQ the generated driver (sw/codenet_accel.py) uses, backed by the
Verilator model of the accelerator: libcodenet_sim.so (sim/driver_sim.cpp) through ctypes. Put this
folder first on PYTHONPATH (test/driver-sim.test.ts does) and set

    CODENET_SIM_LIB    path of libcodenet_sim.so
    CODENET_SIM_BYTES  size of the simulated memory (at least the image's IMAGE_BYTES)
    CODENET_SIM_BASE   its physical address (default 0x30000000; 4 KiB aligned)
    CODENET_SIM_OPTIONS  DDR model options, "latency=N bytes_per_cycle=X" (default: none)

Overlay(bitfile) starts a simulation (the bitfile is not read), its `accel` attribute (any name)
has the register window as .mmio (MMIO.read/write: AXI4-Lite transactions), and allocate() hands
out buffers of the simulated memory: flush() copies a buffer into it, invalidate() back, as cache
maintenance does on the board.
"""
import ctypes
import os

import numpy as np

_lib = ctypes.CDLL(os.environ["CODENET_SIM_LIB"])
_lib.codenet_sim_open.restype = ctypes.c_void_p
_lib.codenet_sim_open.argtypes = [ctypes.c_char_p, ctypes.c_uint64, ctypes.c_uint64]
_lib.codenet_sim_close.argtypes = [ctypes.c_void_p]
_lib.codenet_sim_reg_read.restype = ctypes.c_uint32
_lib.codenet_sim_reg_read.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
_lib.codenet_sim_reg_write.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32]
_lib.codenet_sim_mem_write.restype = ctypes.c_int
_lib.codenet_sim_mem_write.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t]
_lib.codenet_sim_mem_read.restype = ctypes.c_int
_lib.codenet_sim_mem_read.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t]

_BASE = int(os.environ.get("CODENET_SIM_BASE", "0x30000000"), 0)
_BYTES = int(os.environ["CODENET_SIM_BYTES"], 0)
_state = {"sim": None, "next": _BASE}


def _sim():
    if _state["sim"] is None:
        raise RuntimeError("pynq shim: no Overlay loaded")
    return _state["sim"]


class MMIO:
    def __init__(self, sim):
        self._sim = sim

    def read(self, offset, length=4):
        assert length == 4 and offset % 4 == 0, "32-bit aligned register reads only"
        return int(_lib.codenet_sim_reg_read(self._sim, offset))

    def write(self, offset, value):
        assert offset % 4 == 0, "32-bit aligned register writes only"
        _lib.codenet_sim_reg_write(self._sim, offset, int(value) & 0xFFFFFFFF)


class _Ip:
    def __init__(self, sim):
        self.mmio = MMIO(sim)


class Overlay:
    def __init__(self, bitfile, download=True):
        if _state["sim"] is not None:
            _lib.codenet_sim_close(_state["sim"])
        options = os.environ.get("CODENET_SIM_OPTIONS")
        sim = _lib.codenet_sim_open(options.encode() if options else None, _BASE, _BYTES)
        if not sim:
            raise RuntimeError("pynq shim: codenet_sim_open failed")
        _state["sim"], _state["next"] = sim, _BASE
        self.bitfile_name = bitfile
        self._ip = _Ip(sim)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._ip  # the accelerator, whatever the block design calls it


class PynqBuffer(np.ndarray):
    """A contiguous buffer in the simulated memory at device_address."""

    def flush(self):
        if _lib.codenet_sim_mem_write(_sim(), self.device_address, self.ctypes.data, self.nbytes) != 0:
            raise RuntimeError("pynq shim: flush outside the simulated memory")

    def invalidate(self):
        if _lib.codenet_sim_mem_read(_sim(), self.device_address, self.ctypes.data, self.nbytes) != 0:
            raise RuntimeError("pynq shim: invalidate outside the simulated memory")

    def freebuffer(self):
        pass


def allocate(shape, dtype="u4", **kwargs):
    _sim()
    buf = np.zeros(shape, dtype=dtype).view(PynqBuffer)
    size = (buf.nbytes + 4095) // 4096 * 4096
    if _state["next"] + size > _BASE + _BYTES:
        raise MemoryError(f"pynq shim: {buf.nbytes} bytes do not fit the simulated memory (CODENET_SIM_BYTES={_BYTES})")
    buf.device_address = _state["next"]
    buf.physical_address = buf.device_address
    _state["next"] += size
    return buf
