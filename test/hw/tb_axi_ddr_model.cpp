// tb_axi_ddr_model.cpp -- unit test of sim/axi_ddr_model.h without Verilator: the "DUT" signals
// are plain C++ variables of Verilator's types (uint8_t/uint64_t, uint32_t[4] for a 128-bit
// VlWide) driven by a small scripted AXI master. Checks read latency, INCR/FIXED/WRAP and narrow
// bursts, IDs, write strobes, W before AW, B latency, SLVERR outside the memory range, shared
// bandwidth and its fairness, DRAM-burst command granularity, the protocol checker, file load/dump and determinism.
// Build: g++ -std=c++17 -O2 -I sim test/hw/tb_axi_ddr_model.cpp. Last line: RESULT errors=E checks=C
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "axi_ddr_model.h"

namespace {

long errors = 0, checks = 0;
void check(bool ok, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void check(bool ok, const char* fmt, ...) {
  checks++;
  if (ok) return;
  if (errors++ < 40) {
    va_list ap;
    va_start(ap, fmt);
    std::printf("ERROR: ");
    std::vprintf(fmt, ap);
    std::printf("\n");
    va_end(ap);
  }
}

const int BUS = 16;  // 128-bit port

// Signals of one AXI4 port, typed as Verilator would type them.
struct Wires {
  uint8_t arid = 0, arlen = 0, arsize = 4, arburst = 1, arvalid = 0, arready = 0;
  uint64_t araddr = 0;
  uint8_t rid = 0, rresp = 0, rlast = 0, rvalid = 0, rready = 0;
  uint32_t rdata[4] = {0, 0, 0, 0};
  uint8_t awid = 0, awlen = 0, awsize = 4, awburst = 1, awvalid = 0, awready = 0;
  uint64_t awaddr = 0;
  uint32_t wdata[4] = {0, 0, 0, 0};
  uint16_t wstrb = 0;
  uint8_t wlast = 0, wvalid = 0, wready = 0;
  uint8_t bid = 0, bresp = 0, bvalid = 0, bready = 0;
};

axi_ddr::PortSignals bind(Wires& w) {
  axi_ddr::PortSignals ps;
  AXI_DDR_BIND_READ(ps, &w, );
  AXI_DDR_BIND_READ_ID(ps, &w, );
  AXI_DDR_BIND_WRITE(ps, &w, );
  AXI_DDR_BIND_WRITE_ID(ps, &w, );
  return ps;
}

struct Ax {
  uint64_t addr;
  unsigned len, size, burst, id;
};
struct RBeat {
  std::vector<uint8_t> data;
  unsigned id, resp;
  bool last;
  uint64_t cycle;
};
struct WBeat {
  std::vector<uint8_t> data;
  uint16_t strb;
  bool last;
};
struct B {
  unsigned id, resp;
  uint64_t cycle;
};

// A scripted master: presents queued AR / AW / W in order (AW may be held back), always ready
// on R and B unless told otherwise.
struct Master {
  Wires w;
  std::deque<Ax> ar, aw;
  std::deque<WBeat> wq;
  std::vector<RBeat> r;
  std::vector<B> b;
  std::vector<uint64_t> ar_cycles, aw_cycles;
  uint64_t aw_hold_until = 0;  // do not present AW before this cycle
  bool rready = true;
  bool hs_ar = false, hs_r = false, hs_aw = false, hs_w = false, hs_b = false;

  void present(uint64_t cycle) {
    w.arvalid = !ar.empty();
    if (!ar.empty()) {
      w.araddr = ar.front().addr;
      w.arlen = uint8_t(ar.front().len - 1);
      w.arsize = uint8_t(ar.front().size);
      w.arburst = uint8_t(ar.front().burst);
      w.arid = uint8_t(ar.front().id);
    }
    w.awvalid = !aw.empty() && cycle >= aw_hold_until;
    if (!aw.empty()) {
      w.awaddr = aw.front().addr;
      w.awlen = uint8_t(aw.front().len - 1);
      w.awsize = uint8_t(aw.front().size);
      w.awburst = uint8_t(aw.front().burst);
      w.awid = uint8_t(aw.front().id);
    }
    w.wvalid = !wq.empty();
    if (!wq.empty()) {
      std::memcpy(w.wdata, wq.front().data.data(), BUS);
      w.wstrb = wq.front().strb;
      w.wlast = wq.front().last;
    }
    w.rready = rready;
    w.bready = 1;
  }
  // "just before the edge": compute the handshakes (same values the model samples)
  void sample(uint64_t cycle) {
    hs_ar = w.arvalid && w.arready;
    hs_aw = w.awvalid && w.awready;
    hs_w = w.wvalid && w.wready;
    hs_r = w.rvalid && w.rready;
    hs_b = w.bvalid && w.bready;
    if (hs_r) {
      RBeat rb;
      rb.data.assign(reinterpret_cast<uint8_t*>(w.rdata), reinterpret_cast<uint8_t*>(w.rdata) + BUS);
      rb.id = w.rid;
      rb.resp = w.rresp;
      rb.last = w.rlast;
      rb.cycle = cycle;
      r.push_back(rb);
    }
    if (hs_b) b.push_back({w.bid, w.bresp, cycle});
    if (hs_ar) ar_cycles.push_back(cycle);
    if (hs_aw) aw_cycles.push_back(cycle);
  }
  void update() {
    if (hs_ar) ar.pop_front();
    if (hs_aw) aw.pop_front();
    if (hs_w) wq.pop_front();
  }
  bool busy() const { return !ar.empty() || !aw.empty() || !wq.empty(); }
};

struct Bench {
  axi_ddr::AxiDdrModel ddr;
  std::vector<Master*> ms;
  uint64_t cycle = 0;
  explicit Bench(const axi_ddr::Config& c) : ddr(c) {}
  void add(Master& m) {
    ms.push_back(&m);
    ddr.add_port(bind(m.w), "p" + std::to_string(ms.size() - 1));
  }
  void step() {
    for (Master* m : ms) m->present(cycle);
    for (Master* m : ms) m->sample(cycle);
    ddr.pre_edge();
    for (Master* m : ms) m->update();
    ddr.post_edge();
    cycle++;
  }
  // run until all masters are idle and the model has answered everything
  void run(uint64_t max = 100000) {
    uint64_t start = cycle;
    while (cycle - start < max) {
      bool busy = !ddr.idle();
      for (Master* m : ms) busy |= m->busy();
      if (!busy) return;
      step();
    }
    check(false, "run did not finish");
  }
};

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (auto& x : v) {
    s = s * 1103515245u + 12345u;
    x = uint8_t(s >> 16);
  }
  return v;
}

void test_read_latency_and_incr() {
  for (unsigned lat : {0u, 1u, 40u}) {
    axi_ddr::Config c;
    c.read_latency = lat;
    Bench t(c);
    Master m;
    t.add(m);
    auto mem = pattern(8192, 1);
    t.ddr.write_vec(0x1000, mem);
    m.ar.push_back({0x1000 + 48, 20, 4, 1, 3});
    t.run();
    check(m.r.size() == 20, "lat %u: 20 beats (got %zu)", lat, m.r.size());
    if (m.r.size() != 20) continue;
    check(m.r[0].cycle == m.ar_cycles[0] + lat + 1, "lat %u: first R handshake %" PRIu64 " cycles after AR", lat, m.r[0].cycle - m.ar_cycles[0]);
    for (unsigned i = 0; i < 20; i++) {
      check(m.r[i].data == std::vector<uint8_t>(mem.begin() + 48 + 16 * i, mem.begin() + 64 + 16 * i), "lat %u beat %u data", lat, i);
      check(m.r[i].last == (i == 19) && m.r[i].id == 3 && m.r[i].resp == 0, "lat %u beat %u last/id/resp", lat, i);
      if (i) check(m.r[i].cycle == m.r[i - 1].cycle + 1, "lat %u: beats back to back", lat);
    }
  }
}

void test_fixed_wrap_narrow() {
  axi_ddr::Config c;
  c.read_latency = 3;
  Bench t(c);
  Master m;
  t.add(m);
  auto mem = pattern(4096, 2);
  t.ddr.write_vec(0x2000, mem);
  m.ar.push_back({0x2040, 4, 4, 0, 0});      // FIXED: 4 x the same word
  m.ar.push_back({0x2000 + 0x30, 4, 4, 2, 1}); // WRAP 4 x 16 B from 0x30: 0x30 0x00 0x10 0x20
  m.ar.push_back({0x2104, 6, 2, 1, 2});      // narrow INCR, 4-byte beats from 0x104
  t.run();
  check(m.r.size() == 14, "fixed/wrap/narrow: 14 beats (got %zu)", m.r.size());
  if (m.r.size() != 14) return;
  auto word = [&](uint64_t off) { return std::vector<uint8_t>(mem.begin() + off, mem.begin() + off + 16); };
  for (int i = 0; i < 4; i++) check(m.r[i].data == word(0x40), "FIXED beat %d", i);
  const uint64_t wrap[4] = {0x30, 0x00, 0x10, 0x20};
  for (int i = 0; i < 4; i++) check(m.r[4 + i].data == word(wrap[i]) && m.r[4 + i].id == 1, "WRAP beat %d", i);
  for (int i = 0; i < 6; i++) {
    uint64_t a = 0x104 + 4 * i, lane = a & 15;
    bool ok = std::equal(mem.begin() + a, mem.begin() + a + 4, m.r[8 + i].data.begin() + lane);
    check(ok && m.r[8 + i].last == (i == 5), "narrow beat %d (lane %" PRIu64 ")", i, lane);
  }
  check(t.ddr.stats().bytes_read == 8 * 16 + 6 * 4, "bytes_read counts 2^ARSIZE per beat (%" PRIu64 ")", t.ddr.stats().bytes_read);
  check(t.ddr.protocol_errors() == 0, "no protocol errors for legal bursts");
}

void test_writes() {
  axi_ddr::Config c;
  c.write_latency = 7;
  Bench t(c);
  Master m;
  t.add(m);
  t.ddr.fill(0x3000, 4096, 0xEE);
  auto d = pattern(64, 3);
  // burst 1: 4 beats, full strobes, W presented 10 cycles before AW
  m.aw.push_back({0x3000, 4, 4, 1, 5});
  for (int i = 0; i < 4; i++) m.wq.push_back({std::vector<uint8_t>(d.begin() + 16 * i, d.begin() + 16 * i + 16), 0xFFFF, i == 3});
  m.aw_hold_until = 10;
  t.run();
  check(m.b.size() == 1 && m.b[0].id == 5 && m.b[0].resp == 0, "B for burst 1");
  check(t.ddr.read_vec(0x3000, 64) == d, "burst 1 data");
  if (m.b.size() == 1) check(m.b[0].cycle == m.aw_cycles[0] + 7 + 1, "B handshake write_latency + 1 after the later of AW / last W (got %" PRIu64 ")", m.b[0].cycle - m.aw_cycles[0]);
  // burst 2: strobes 0x00FF on beat 0, 0xF00F on beat 1
  m.aw.push_back({0x3100, 2, 4, 1, 6});
  m.wq.push_back({d, 0x00FF, false});
  m.wq.push_back({std::vector<uint8_t>(d.begin() + 16, d.begin() + 32), 0xF00F, true});
  t.run();
  auto got = t.ddr.read_vec(0x3100, 32);
  bool ok = true;
  for (int i = 0; i < 16; i++) ok &= got[i] == (i < 8 ? d[i] : 0xEE);
  for (int i = 0; i < 16; i++) ok &= got[16 + i] == ((i < 4 || i >= 12) ? d[16 + i] : 0xEE);
  check(ok, "write strobes");
  check(t.ddr.protocol_errors() == 0, "no protocol errors for legal writes");
  check(t.ddr.stats().write_bursts == 2 && t.ddr.stats().b_responses == 2 && t.ddr.stats().bytes_written == 96, "write stats");
}

void test_range() {
  axi_ddr::Config c;
  c.mem_base = 0x10000;
  c.mem_size = 0x1000;
  c.print_errors = false;
  Bench t(c);
  Master m;
  t.add(m);
  m.ar.push_back({0x10FE0, 4, 4, 1, 0});  // 2 beats inside, 2 outside (also crosses 4 KiB)
  m.aw.push_back({0x20000, 1, 4, 1, 0});
  m.wq.push_back({std::vector<uint8_t>(16, 1), 0xFFFF, true});
  t.run();
  check(m.r.size() == 4 && m.r[0].resp == 0 && m.r[1].resp == 0 && m.r[2].resp == 2 && m.r[3].resp == 2, "RRESP SLVERR outside the range");
  check(m.b.size() == 1 && m.b[0].resp == 2, "BRESP SLVERR outside the range");
  check(t.ddr.protocol_errors() == 1, "the 4 KiB crossing is reported (%" PRIu64 ")", t.ddr.protocol_errors());
}

void test_protocol_checker() {
  axi_ddr::Config c;
  c.print_errors = false;
  c.ready_stall_percent = 100;  // never ready: the master's VALID must hold
  {
    Bench t(c);
    Master m;
    t.add(m);
    m.ar.push_back({0x0, 1, 4, 1, 0});
    t.step();
    t.step();
    m.ar.clear();  // drops ARVALID without a handshake
    t.step();
    t.step();
    check(t.ddr.protocol_errors() == 1, "ARVALID drop detected (%" PRIu64 ")", t.ddr.protocol_errors());
    m.aw.push_back({0x0, 1, 4, 1, 0});
    t.step();
    m.aw.front().addr = 0x40;  // payload change while waiting
    t.step();
    check(t.ddr.protocol_errors() == 2, "AW payload change detected");
  }
  c.ready_stall_percent = 0;
  {
    Bench t(c);
    Master m;
    t.add(m);
    m.aw.push_back({0x0, 3, 4, 1, 0});
    for (int i = 0; i < 3; i++) m.wq.push_back({std::vector<uint8_t>(16, 0), 0xFFFF, i == 1});  // WLAST on beat 2 of 3
    t.run();
    check(t.ddr.protocol_errors() == 2, "wrong WLAST detected twice (%" PRIu64 ")", t.ddr.protocol_errors());
    m.ar.push_back({0xFF0, 2, 4, 1, 0});  // crosses 4 KiB
    m.ar.push_back({0x1000, 3, 4, 2, 0});  // WRAP of 3 beats is illegal
    t.run();
    check(t.ddr.protocol_errors() == 4, "4 KiB crossing and illegal WRAP detected (%" PRIu64 ")", t.ddr.protocol_errors());
  }
}

// Two ports reading 128-bit bursts as fast as they can, bandwidth 10 B/cycle shared.
uint64_t bandwidth_run(double bpc, unsigned stall, uint64_t* per_port) {
  axi_ddr::Config c;
  c.bytes_per_cycle = bpc;
  c.read_latency = 20;
  c.ready_stall_percent = stall;
  Bench t(c);
  Master m0, m1;
  t.add(m0);
  t.add(m1);
  for (int i = 0; i < 256; i++) {
    m0.ar.push_back({0x100000 + 256ull * i, 16, 4, 1, 0});
    m1.ar.push_back({0x200000 + 256ull * i, 16, 4, 1, 0});
    if (i < 64) {
      m1.aw.push_back({0x300000 + 256ull * i, 16, 4, 1, 0});
      for (int k = 0; k < 16; k++) m1.wq.push_back({std::vector<uint8_t>(16, uint8_t(i)), 0xFFFF, k == 15});
    }
  }
  t.run(1000000);
  if (per_port) {
    per_port[0] = t.ddr.port_stats(0).bytes_read;
    per_port[1] = t.ddr.port_stats(1).bytes_read + t.ddr.port_stats(1).bytes_written;
  }
  return t.cycle;
}

void test_bandwidth() {
  uint64_t pp[2];
  uint64_t cyc = bandwidth_run(10.0, 0, pp);
  double total = double(pp[0] + pp[1]);
  double bw = total / double(cyc);
  std::printf("bandwidth: 2 ports, 10 B/cycle configured, %.3f B/cycle achieved over %" PRIu64 " cycles\n", bw, cyc);
  check(total <= 10.0 * double(cyc) + 32.0 && bw > 9.8, "shared bandwidth %.3f B/cycle for 10 configured", bw);
  check(pp[0] == 256 * 256 && pp[1] == 256 * 256 + 64 * 256, "all bytes moved");
  uint64_t unl = bandwidth_run(0.0, 0, nullptr);
  check(unl < 256 * 16 + 200, "unlimited: one beat per cycle per port (%" PRIu64 " cycles)", unl);
  // fairness: with both ports saturating, neither gets less than 45% while both are active
  axi_ddr::Config c;
  c.bytes_per_cycle = 10.0;
  c.read_latency = 5;
  Bench t(c);
  Master a, b;
  t.add(a);
  t.add(b);
  for (int i = 0; i < 64; i++) {
    a.ar.push_back({0x100000 + 256ull * i, 16, 4, 1, 0});
    b.ar.push_back({0x200000 + 256ull * i, 16, 4, 1, 0});
  }
  for (int i = 0; i < 500; i++) t.step();
  double fa = double(t.ddr.port_stats(0).bytes_read), fb = double(t.ddr.port_stats(1).bytes_read);
  check(fa / (fa + fb) > 0.45 && fb / (fa + fb) > 0.45, "fair sharing %.0f / %.0f", fa, fb);
  // determinism with random stalls
  uint64_t x0[2], x1[2];
  uint64_t c0 = bandwidth_run(10.0, 25, x0), c1 = bandwidth_run(10.0, 25, x1);
  check(c0 == c1 && x0[0] == x1[0] && x0[1] == x1[1], "deterministic with random stalls (%" PRIu64 " vs %" PRIu64 ")", c0, c1);
}

// Command granularity: each burst costs the whole DRAM bursts it touches, so one-beat writes pay a
// 64-byte DRAM burst each and an unaligned 16-beat read touches five; the bandwidth follows.
uint64_t granularity_run(unsigned dram, uint64_t ar_addr, uint64_t* dram_bytes) {
  axi_ddr::Config c;
  c.bytes_per_cycle = 8.0;
  c.read_latency = 4;
  c.dram_burst_bytes = dram;
  Bench t(c);
  Master m;
  t.add(m);
  for (int i = 0; i < 64; i++) {
    m.aw.push_back({0x10000 + 64ull * i, 1, 4, 1, 0});
    m.wq.push_back({std::vector<uint8_t>(16, uint8_t(i)), 0xFFFF, true});
    m.ar.push_back({ar_addr + 512ull * i, 16, 4, 1, 0});  // never across 4 KiB
  }
  t.run(1000000);
  *dram_bytes = t.ddr.stats().dram_bytes;
  check(t.ddr.stats().bytes_written == 64 * 16 && t.ddr.stats().bytes_read == 64 * 256, "granularity run moved every byte");
  return t.cycle;
}

void test_dram_bursts() {
  uint64_t d0, d64, du;
  uint64_t c0 = granularity_run(0, 0x20000, &d0), c64 = granularity_run(64, 0x20000, &d64), cu = granularity_run(64, 0x20010, &du);
  check(d0 == 64 * 16 + 64 * 256, "no granularity: DRAM bytes = bytes moved (%" PRIu64 ")", d0);
  check(d64 == 64 * 64 + 64 * 256, "64-byte DRAM bursts: a one-beat write costs 64 bytes (%" PRIu64 ")", d64);
  check(du == 64 * 64 + 64 * 320, "an unaligned 16-beat read touches 5 DRAM bursts (%" PRIu64 ")", du);
  // the time follows the DRAM bytes at 8 B/cycle (plus latency and the last burst)
  check(c64 * 8 >= d64 && c64 * 8 < d64 + 8 * 100, "granular run takes its DRAM time (%" PRIu64 " cycles for %" PRIu64 " bytes)", c64, d64);
  check(cu * 8 >= du && cu > c64 && c64 > c0, "unaligned and one-beat commands cost time (%" PRIu64 " > %" PRIu64 " > %" PRIu64 ")", cu, c64, c0);
}

void test_files() {
  axi_ddr::AxiDdrModel ddr;
  auto d = pattern(10000, 9);
  ddr.write(0xFFFF0F00ull, d.data(), d.size());  // spans several pages
  std::string f = std::string(std::getenv("TB_TMP") ? std::getenv("TB_TMP") : "/tmp") + "/axi_ddr_model_test.bin";
  ddr.dump_file(f, 0xFFFF0F00ull, d.size());
  axi_ddr::AxiDdrModel d2;
  size_t n = d2.load_file(f, 0x40);
  check(n == d.size() && d2.read_vec(0x40, n) == d, "dump_file / load_file round trip");
  std::remove(f.c_str());
  check(ddr.read_u8(0x5) == 0 && d2.read_u32(0x40) == (uint32_t(d[0]) | uint32_t(d[1]) << 8 | uint32_t(d[2]) << 16 | uint32_t(d[3]) << 24), "read helpers");
}

}  // namespace

int main() {
  test_read_latency_and_incr();
  test_fixed_wrap_narrow();
  test_writes();
  test_range();
  test_protocol_checker();
  test_bandwidth();
  test_dram_bursts();
  test_files();
  std::printf("RESULT errors=%ld checks=%ld\n", errors, checks);
  return errors ? 1 : 0;
}
