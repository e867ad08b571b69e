// driver_sim.cpp -- simulation backend of the generated drivers: the whole accelerator RTL
// (Verilated, top codenet_accel) behind the C API the C driver calls when built with -DCODENET_SIM
// (templates/drivers/codenet_accel.{c,h}.hbs) and that the PYNQ shim (test/helpers/pynq-shim) loads
// through ctypes. Built as one shared library, libcodenet_sim.so, by test/driver-sim.test.ts:
//   verilator --cc --exe --build -CFLAGS "-fPIC -I<bundle>/sim" -LDFLAGS -shared rtl/*.v sim/driver_sim.cpp
//
// The library owns the Verilated top, the AXI4 DDR model (sim/axi_ddr_model.h), which is the
// "physical memory" at [mem_base, mem_base + mem_bytes), and the clock. A register access is an
// AXI4-Lite transaction on s_axil (a few clock cycles); while a run is in progress (CTRL.START
// written, STATUS not yet DONE or ERROR) a STATUS read first advances the clock by a batch of
// cycles, so a driver that polls STATUS moves the simulation forward. codenet_sim_mem_write/read
// copy between the caller's memory and the DDR model, as the cache maintenance of a driver would.
//
// Errors (an AXI4 protocol error, an AXI4-Lite timeout) print a message and end the process with
// exit status 5, as the generated testbench does.
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "Vcodenet_accel.h"
#include "verilated.h"
#include "axi_ddr_model.h"
#include "cn_isa.h"  // register map (src/isa, docs/isa.md), from the generated sim/ folder

namespace {

constexpr int kAxilTimeout = 1000;   // cycles an AXI4-Lite channel may take to answer
constexpr uint64_t kPollStep = 1024; // cycles a STATUS read advances while a run is in progress

struct Sim {
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vcodenet_accel> top;
  std::unique_ptr<axi_ddr::AxiDdrModel> ddr;
  uint64_t cycle = 0;
  uint64_t start_cycle = 0;
  bool running = false;
};

[[noreturn]] void die(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::fprintf(stderr, "codenet_sim: ");
  std::vfprintf(stderr, fmt, ap);
  std::fprintf(stderr, "\n");
  va_end(ap);
  std::fflush(stderr);
  std::exit(5);
}

void settle(Sim& s) {
  s.top->clk = 0;
  s.top->eval();
  s.ddr->pre_edge();
}
void edge(Sim& s) {
  s.top->clk = 1;
  s.top->eval();
  s.ddr->post_edge();
  s.cycle++;
  if (s.ddr->protocol_errors()) die("AXI4 protocol error at cycle %" PRIu64 ": %s", s.cycle, s.ddr->error_log().empty() ? "?" : s.ddr->error_log()[0].c_str());
}
void tick(Sim& s, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    settle(s);
    edge(s);
  }
}

void axil_write(Sim& s, uint32_t addr, uint32_t data) {
  auto* top = s.top.get();
  top->s_axil_awaddr = addr;
  top->s_axil_awprot = 0;
  top->s_axil_awvalid = 1;
  top->s_axil_wdata = data;
  top->s_axil_wstrb = 0xF;
  top->s_axil_wvalid = 1;
  top->s_axil_bready = 1;
  bool aw = false, w = false;
  for (int t = 0; !(aw && w); t++) {
    if (t > kAxilTimeout) die("AXI4-Lite write of register 0x%02x: %s never accepted", addr, aw ? "W" : "AW");
    settle(s);
    bool aw_hs = top->s_axil_awvalid && top->s_axil_awready, w_hs = top->s_axil_wvalid && top->s_axil_wready;
    edge(s);
    if (aw_hs) { aw = true; top->s_axil_awvalid = 0; }
    if (w_hs) { w = true; top->s_axil_wvalid = 0; }
  }
  for (int t = 0;; t++) {
    if (t > kAxilTimeout) die("AXI4-Lite write of register 0x%02x: no BVALID", addr);
    settle(s);
    bool hs = top->s_axil_bvalid && top->s_axil_bready;
    uint32_t resp = top->s_axil_bresp;
    edge(s);
    if (hs) {
      top->s_axil_bready = 0;
      if (resp) die("AXI4-Lite write of register 0x%02x: BRESP = %u, expected OKAY", addr, resp);
      return;
    }
  }
}

uint32_t axil_read(Sim& s, uint32_t addr) {
  auto* top = s.top.get();
  top->s_axil_araddr = addr;
  top->s_axil_arprot = 0;
  top->s_axil_arvalid = 1;
  top->s_axil_rready = 1;
  for (int t = 0;; t++) {
    if (t > kAxilTimeout) die("AXI4-Lite read of register 0x%02x: AR never accepted", addr);
    settle(s);
    bool hs = top->s_axil_arvalid && top->s_axil_arready;
    edge(s);
    if (hs) break;
  }
  top->s_axil_arvalid = 0;
  for (int t = 0;; t++) {
    if (t > kAxilTimeout) die("AXI4-Lite read of register 0x%02x: no RVALID", addr);
    settle(s);
    bool hs = top->s_axil_rvalid && top->s_axil_rready;
    uint32_t data = top->s_axil_rdata, resp = top->s_axil_rresp;
    edge(s);
    if (hs) {
      top->s_axil_rready = 0;
      if (resp) die("AXI4-Lite read of register 0x%02x: RRESP = %u, expected OKAY", addr, resp);
      return data;
    }
  }
}

// "latency=N bytes_per_cycle=X" (either, in any order; spaces or commas between).
bool parse_options(const char* opts, axi_ddr::Config& cfg) {
  if (!opts) return true;
  std::string o(opts);
  for (char& c : o)
    if (c == ',') c = ' ';
  size_t i = 0;
  while (i < o.size()) {
    while (i < o.size() && o[i] == ' ') i++;
    size_t j = o.find(' ', i);
    if (j == std::string::npos) j = o.size();
    if (j == i) break;
    const std::string kv = o.substr(i, j - i);
    i = j;
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) return false;
    const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    char* end = nullptr;
    if (k == "latency") {
      unsigned long n = std::strtoul(v.c_str(), &end, 0);
      if (v.empty() || *end || n > 100000) return false;
      cfg.read_latency = static_cast<unsigned>(n);
    } else if (k == "bytes_per_cycle") {
      double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end || !(d >= 0)) return false;
      cfg.bytes_per_cycle = d;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" {

// Starts a simulation whose memory answers [mem_base, mem_base + mem_bytes) (others get SLVERR),
// resets the accelerator. options: NULL, "" or "latency=N bytes_per_cycle=X" for the DDR model.
// Returns NULL (message on stderr) on bad arguments.
void* codenet_sim_open(const char* options, uint64_t mem_base, uint64_t mem_bytes) {
  axi_ddr::Config cfg;
  if (!parse_options(options, cfg)) {
    std::fprintf(stderr, "codenet_sim: bad options \"%s\" (expected \"latency=N bytes_per_cycle=X\")\n", options);
    return nullptr;
  }
  if (mem_bytes == 0 || mem_base % 4096) {
    std::fprintf(stderr, "codenet_sim: the memory [0x%" PRIx64 ", +%" PRIu64 ") must be non-empty and 4 KiB aligned\n", mem_base, mem_bytes);
    return nullptr;
  }
  cfg.mem_base = mem_base;
  cfg.mem_size = mem_bytes;
  auto* s = new Sim;
  s->ctx = std::make_unique<VerilatedContext>();
  s->top = std::make_unique<Vcodenet_accel>(s->ctx.get(), "codenet_accel");
  s->ddr = std::make_unique<axi_ddr::AxiDdrModel>(cfg);
  axi_ddr::PortSignals ps;
  AXI_DDR_BIND_READ(ps, s->top, m_axi_);
  AXI_DDR_BIND_WRITE(ps, s->top, m_axi_);
  AXI_DDR_BIND_READ_ID(ps, s->top, m_axi_);
  AXI_DDR_BIND_WRITE_ID(ps, s->top, m_axi_);
  s->ddr->add_port(ps, "m_axi");
  s->top->rst_n = 0;
  for (int i = 0; i < 16; i++) {
    s->top->clk = 0;
    s->top->eval();
    s->top->clk = 1;
    s->top->eval();
    s->ddr->reset();
    s->cycle++;
  }
  s->top->rst_n = 1;
  tick(*s, 2);
  return s;
}

void codenet_sim_close(void* h) {
  auto* s = static_cast<Sim*>(h);
  if (!s) return;
  s->top->final();
  s->top.reset();
  s->ddr.reset();
  s->ctx.reset();
  delete s;
}

uint32_t codenet_sim_reg_read(void* h, uint32_t off) {
  Sim& s = *static_cast<Sim*>(h);
  if (off == CN_REG_STATUS && s.running) tick(s, kPollStep);
  const uint32_t v = axil_read(s, off);
  if (off == CN_REG_STATUS && (v & (CN_STATUS_DONE | CN_STATUS_ERROR))) s.running = false;
  return v;
}

void codenet_sim_reg_write(void* h, uint32_t off, uint32_t value) {
  Sim& s = *static_cast<Sim*>(h);
  const bool start = off == CN_REG_CTRL && (value & CN_CTRL_START);
  if (start) s.ddr->clear_stats();
  axil_write(s, off, value);
  if (start) {
    s.running = true;
    s.start_cycle = s.cycle;
  }
}

// Copies n bytes to / from the simulated memory at physical address phys. 0, or -1 outside it.
int codenet_sim_mem_write(void* h, uint64_t phys, const void* src, size_t n) {
  Sim& s = *static_cast<Sim*>(h);
  const axi_ddr::Config& c = s.ddr->config();
  if (phys < c.mem_base || n > c.mem_size || phys - c.mem_base > c.mem_size - n) return -1;
  s.ddr->write(phys, src, n);
  return 0;
}

int codenet_sim_mem_read(void* h, uint64_t phys, void* dst, size_t n) {
  Sim& s = *static_cast<Sim*>(h);
  const axi_ddr::Config& c = s.ddr->config();
  if (phys < c.mem_base || n > c.mem_size || phys - c.mem_base > c.mem_size - n) return -1;
  s.ddr->read(phys, dst, n);
  return 0;
}

// Clock cycles since power-up, since the last START, and the DDR model's byte counts since it.
void codenet_sim_stats(void* h, uint64_t* cycles, uint64_t* since_start, uint64_t* bytes_read, uint64_t* bytes_written) {
  Sim& s = *static_cast<Sim*>(h);
  const axi_ddr::Stats st = s.ddr->stats();
  *cycles = s.cycle;
  *since_start = s.cycle - s.start_cycle;
  *bytes_read = st.bytes_read;
  *bytes_written = st.bytes_written;
}

// 1 while the irq output is high.
int codenet_sim_irq(void* h) { return static_cast<Sim*>(h)->top->irq ? 1 : 0; }

}  // extern "C"
