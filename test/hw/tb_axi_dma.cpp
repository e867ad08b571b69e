// tb_axi_dma.cpp -- Verilator testbench: cn_axi_rd -> FIFO -> cn_axi_wr (tb_axi_dma_top.v) copying
// memory region A to region B through the AXI DDR model (sim/axi_ddr_model.h).
//
// Usage: Vtb_axi_dma_top [--seed=N] [--cmds=N] [--max-beats=N] [--bpc=X] [--lat=N] [--wlat=N]
//                        [--stall=PCT] [--throttle=PCT] [--strb=0|1] [--long=BYTES]
//   random mode (default): --cmds random copies of 1..max-beats beats, many placed across 4 KiB
//     boundaries on the source, the destination or both; issued back to back (pipelined).
//   --long=BYTES: one long copy (for bandwidth measurement).
// Checks every byte of region B against a shadow copy, the per-command out_last position, done
// counts, the DMA byte counters, idle flags and the model's protocol checker. Last line:
//   RESULT errors=E cycles=C bytes=B bw=X cfg=Y util=U rd_stall=S wr_stall=T
// (bw = (bytes read + bytes written) / cycles between the first command and the last done).
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "Vtb_axi_dma_top.h"
#include "axi_ddr_model.h"
#include "verilated.h"

namespace {

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  uint64_t below(uint64_t n) { return next() % n; }
  bool pct(unsigned p) { return below(100) < p; }
};

struct Cmd {
  uint64_t src, dst;
  uint32_t beats;
};

long errors = 0;
void err(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void err(const char* fmt, ...) {
  if (errors++ < 20) {
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stdout, "ERROR: ");
    std::vfprintf(stdout, fmt, ap);
    std::fprintf(stdout, "\n");
    va_end(ap);
  }
}

const uint64_t A_BASE = 0x100000000ull;  // above 4 GiB: exercises the upper address bits
const uint64_t B_BASE = 0x200000000ull;
const uint64_t REGION = 1ull << 20;

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1, long_bytes = 0;
  int ncmds = 40, max_beats = 600, strb = 0;
  double bpc = 17.08;
  unsigned lat = 40, wlat = 20, stall = 0, throttle = 0;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    auto val = [&](const char* key) -> const char* {
      size_t n = std::strlen(key);
      return std::strncmp(a, key, n) == 0 && a[n] == '=' ? a + n + 1 : nullptr;
    };
    if (const char* v = val("--seed")) seed = std::strtoull(v, nullptr, 0);
    else if (const char* v = val("--cmds")) ncmds = std::atoi(v);
    else if (const char* v = val("--max-beats")) max_beats = std::atoi(v);
    else if (const char* v = val("--bpc")) bpc = std::atof(v);
    else if (const char* v = val("--lat")) lat = unsigned(std::atoi(v));
    else if (const char* v = val("--wlat")) wlat = unsigned(std::atoi(v));
    else if (const char* v = val("--stall")) stall = unsigned(std::atoi(v));
    else if (const char* v = val("--throttle")) throttle = unsigned(std::atoi(v));
    else if (const char* v = val("--strb")) strb = std::atoi(v);
    else if (const char* v = val("--long")) long_bytes = std::strtoull(v, nullptr, 0);
    else if (a[0] == '+') continue;  // Verilator plusargs
    else {
      std::fprintf(stderr, "unknown argument %s\n", a);
      return 2;
    }
  }

  auto ctx = std::make_unique<VerilatedContext>();
  auto top = std::make_unique<Vtb_axi_dma_top>(ctx.get());

  axi_ddr::Config cfg;
  cfg.bytes_per_cycle = bpc;
  cfg.read_latency = lat;
  cfg.write_latency = wlat;
  cfg.ready_stall_percent = stall;
  cfg.seed = seed + 17;
  axi_ddr::AxiDdrModel ddr(cfg);
  axi_ddr::PortSignals ps;
  AXI_DDR_BIND_READ(ps, top, m_axi_);
  AXI_DDR_BIND_READ_ID(ps, top, m_axi_);
  AXI_DDR_BIND_WRITE(ps, top, m_axi_);
  AXI_DDR_BIND_WRITE_ID(ps, top, m_axi_);
  ddr.add_port(ps, "hp0");
  const uint64_t bus = ps.rdata.bytes();

  // memory contents: A random, B random (so strobed-off bytes are visible)
  Rng rng(seed);
  std::vector<uint8_t> a(REGION), b(REGION);
  for (auto& x : a) x = uint8_t(rng.next());
  for (auto& x : b) x = uint8_t(rng.next());
  ddr.write_vec(A_BASE, a);
  ddr.write_vec(B_BASE, b);

  // commands
  std::vector<Cmd> cmds;
  if (long_bytes) {
    uint64_t beats = long_bytes / bus;
    if (beats * bus > REGION - 4096) beats = (REGION - 4096) / bus;
    cmds.push_back({A_BASE + 3 * bus, B_BASE + 7 * bus, uint32_t(beats)});
  } else {
    auto place = [&](uint32_t beats) -> uint64_t {
      uint64_t span = uint64_t(beats) * bus, max_off = REGION - span;
      if (rng.pct(50)) {  // start a few beats before a 4 KiB boundary
        uint64_t page = 1 + rng.below(max_off / 4096 - 1);
        uint64_t off = page * 4096 - bus * (1 + rng.below(8));
        if (off <= max_off) return off;
      }
      return rng.below(max_off / bus + 1) * bus;
    };
    for (int i = 0; i < ncmds; i++) {
      uint32_t beats;
      switch (rng.below(4)) {
        case 0: beats = 1 + uint32_t(rng.below(4)); break;
        case 1: beats = 1 + uint32_t(rng.below(uint64_t(max_beats))); break;
        case 2: beats = uint32_t(std::min<uint64_t>(uint64_t(max_beats), (4096 / bus) * (1 + rng.below(3)) + rng.below(3) - 1)); break;
        default: beats = uint32_t(max_beats - rng.below(8)); break;
      }
      if (beats < 1) beats = 1;
      cmds.push_back({A_BASE + place(beats), B_BASE + place(beats), beats});
    }
  }
  // expected B: apply the copies in order
  std::vector<uint8_t> expect = b;
  uint64_t total_beats = 0, crossings = 0;
  for (const Cmd& c : cmds) {
    uint64_t n = uint64_t(c.beats) * bus;
    for (uint64_t i = 0; i < n; i++) {
      uint8_t v = a[c.src - A_BASE + i];
      if (!strb || (v & 1)) expect[c.dst - B_BASE + i] = v;
    }
    total_beats += c.beats;
    crossings += ((c.src + n - 1) >> 12) != (c.src >> 12);
    crossings += ((c.dst + n - 1) >> 12) != (c.dst >> 12);
  }

  // reset
  top->strb_odd = uint8_t(strb);
  top->rst_n = 0;
  for (int i = 0; i < 4; i++) {
    top->clk = 0;
    top->eval();
    top->clk = 1;
    top->eval();
    ddr.reset();
  }
  top->rst_n = 1;

  size_t rd_i = 0, wr_i = 0, mon_cmd = 0;
  uint64_t mon_beats = 0, rd_done = 0, wr_done = 0, cycles = 0, t0 = 0, t1 = 0;
  const uint64_t limit = 20000 + total_beats * 40 + cmds.size() * 1000;  // generous: a hang, not slowness
  auto drive_cmds = [&]() {
    top->rd_cmd_valid = rd_i < cmds.size();
    top->rd_cmd_addr = rd_i < cmds.size() ? cmds[rd_i].src : 0;
    top->rd_cmd_beats = rd_i < cmds.size() ? cmds[rd_i].beats : 0;
    top->wr_cmd_valid = wr_i < cmds.size();
    top->wr_cmd_addr = wr_i < cmds.size() ? cmds[wr_i].dst : 0;
    top->wr_cmd_beats = wr_i < cmds.size() ? cmds[wr_i].beats : 0;
    top->rd_hold = throttle && rng.pct(throttle);
    top->wr_hold = throttle && rng.pct(throttle);
  };
  drive_cmds();
  bool started = false;
  while (wr_done < cmds.size() || rd_done < cmds.size()) {
    if (cycles > limit) {
      err("timeout after %" PRIu64 " cycles: rd cmds %zu/%zu wr cmds %zu/%zu rd_done %" PRIu64 " wr_done %" PRIu64, cycles, rd_i, cmds.size(), wr_i,
          cmds.size(), rd_done, wr_done);
      break;
    }
    top->clk = 0;
    top->eval();
    ddr.pre_edge();
    bool rd_hs = top->rd_cmd_valid && top->rd_cmd_ready, wr_hs = top->wr_cmd_valid && top->wr_cmd_ready;
    if (!started && (rd_hs || wr_hs)) {
      started = true;
      t0 = cycles;
    }
    if (top->mon_fire) {
      mon_beats++;
      if (mon_cmd >= cmds.size()) {
        err("read beat after the last command");
      } else if (top->mon_last) {
        if (mon_beats != cmds[mon_cmd].beats) err("cmd %zu: out_last on beat %" PRIu64 " of %u", mon_cmd, mon_beats, cmds[mon_cmd].beats);
        mon_cmd++;
        mon_beats = 0;
      } else if (mon_beats >= cmds[mon_cmd].beats) {
        err("cmd %zu: no out_last on beat %" PRIu64, mon_cmd, mon_beats);
      }
    }
    if (top->rd_done) rd_done++;
    if (top->wr_done) {
      wr_done++;
      t1 = cycles + 1;
    }
    if (top->rd_error || top->wr_error) err("DMA error flag set (rd %d wr %d)", top->rd_error, top->wr_error);
    top->clk = 1;
    top->eval();
    ddr.post_edge();
    cycles++;
    rd_i += rd_hs;
    wr_i += wr_hs;
    drive_cmds();
  }
  // drain a few cycles: everything must go idle and stay quiet
  top->rd_hold = top->wr_hold = 0;
  for (int i = 0; i < 8; i++) {
    top->clk = 0;
    top->eval();
    ddr.pre_edge();
    if (top->rd_done || top->wr_done || top->mon_fire) err("activity after the last done");
    top->clk = 1;
    top->eval();
    ddr.post_edge();
  }
  top->clk = 0;
  top->eval();
  if (!top->rd_idle || !top->wr_idle) err("DMA not idle at the end (rd %d wr %d)", top->rd_idle, top->wr_idle);
  if (!ddr.idle()) err("memory model not idle at the end");
  if (rd_done != cmds.size() || wr_done != cmds.size()) err("done pulses rd %" PRIu64 " wr %" PRIu64 ", expected %zu", rd_done, wr_done, cmds.size());
  if (mon_cmd != cmds.size()) err("saw %zu out_last, expected %zu", mon_cmd, cmds.size());

  const uint64_t bytes = total_beats * bus;
  if (top->rd_bytes != bytes) err("rd bytes counter %" PRIu64 " != %" PRIu64, uint64_t(top->rd_bytes), bytes);
  if (top->wr_bytes != bytes) err("wr bytes counter %" PRIu64 " != %" PRIu64, uint64_t(top->wr_bytes), bytes);
  const axi_ddr::Stats& st = ddr.stats();
  if (st.bytes_read != bytes || st.bytes_written != bytes)
    err("model saw %" PRIu64 " B read / %" PRIu64 " B written, expected %" PRIu64, st.bytes_read, st.bytes_written, bytes);
  if (ddr.protocol_errors()) err("%" PRIu64 " AXI protocol errors (first: %s)", ddr.protocol_errors(), ddr.error_log().front().c_str());

  // every byte of B (and A untouched)
  std::vector<uint8_t> got = ddr.read_vec(B_BASE, REGION);
  uint64_t bad = 0;
  for (uint64_t i = 0; i < REGION; i++)
    if (got[i] != expect[i] && bad++ < 5) err("B[0x%" PRIx64 "] = 0x%02x, expected 0x%02x", i, got[i], expect[i]);
  if (bad) err("%" PRIu64 " wrong bytes in B", bad);
  if (ddr.read_vec(A_BASE, REGION) != a) err("region A was modified");

  const uint64_t span = t1 > t0 ? t1 - t0 : 1;
  const double bw = double(st.bytes_read + st.bytes_written) / double(span);
  std::printf("config: bus %" PRIu64 " B, %zu commands, %" PRIu64 " beats, %" PRIu64 " src/dst ranges crossing 4 KiB, latency %u/%u, stall %u%%, throttle %u%%, strb %d\n",
              bus, cmds.size(), total_beats, crossings, lat, wlat, stall, throttle, strb);
  std::printf("bandwidth: configured %.3f B/cycle, achieved %.3f B/cycle (%.1f%%) over %" PRIu64 " cycles; model busy %" PRIu64 " cycles\n", bpc, bw,
              bpc > 0 ? 100.0 * bw / bpc : 0.0, span, st.busy_cycles);
  std::printf("RESULT errors=%ld cycles=%" PRIu64 " bytes=%" PRIu64 " bw=%.4f cfg=%.4f util=%.4f rd_stall=%" PRIu64 " wr_stall=%" PRIu64 "\n", errors, span,
              st.bytes_read + st.bytes_written, bw, bpc, bpc > 0 ? bw / bpc : 0.0, uint64_t(top->rd_stalls), uint64_t(top->wr_stalls));
  top->final();
  return errors ? 1 : 0;
}
