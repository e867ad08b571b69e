// tb_axil_regs.cpp -- Verilator testbench for hw/cn_axil_regs.v (NUM_COUNTERS = 4, defaults).
// A small AXI4-Lite master drives writes with AW/W in every order and delay and reads with RREADY
// delays; a monitor checks that BVALID/RVALID and their payloads hold until accepted. Covers the
// register map, byte strobes, the start pulse (exactly one cycle, ignored while busy), sticky
// done / W1C / irq, SLVERR for unmapped addresses, the 64-bit counter latch, and a random
// read/write sequence against a reference model. Last line: RESULT errors=E checks=C
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "Vcn_axil_regs.h"
#include "axi_ddr_model.h"  // axi_ddr::Sig, to set the wide counters vector
#include "cn_isa.h"         // register offsets and bits (hw/cn_isa.h, generated from src/isa)
#include "verilated.h"

namespace {

const uint32_t VERSION = 0xC0DE0100u;
const int NUM_COUNTERS = 4;
enum : uint32_t {
  CTRL = CN_REG_CTRL, STATUS = CN_REG_STATUS, IRQ = CN_REG_IRQ_STATUS, PADDR_L = CN_REG_PROGRAM_ADDR_LO, PADDR_H = CN_REG_PROGRAM_ADDR_HI,
  PLEN = CN_REG_PROGRAM_LEN, VER = CN_REG_VERSION
};
constexpr uint32_t START = CN_CTRL_START, IRQ_EN = CN_CTRL_IRQ_ENABLE, BUSY = CN_STATUS_BUSY, DONE = CN_STATUS_DONE, ERROR = CN_STATUS_ERROR,
                   IRQ_DONE = CN_IRQ_DONE;
constexpr uint32_t cnt_lo(int k) { return CN_REG_COUNTER_LO(uint32_t(k)); }
constexpr uint32_t cnt_hi(int k) { return CN_REG_COUNTER_HI(uint32_t(k)); }

std::unique_ptr<VerilatedContext> ctx;
std::unique_ptr<Vcn_axil_regs> top;
long errors = 0, checks = 0;
uint64_t cycle = 0;
int start_cycles = 0;  // cycles with start = 1
struct Hold {
  bool valid = false, ready = false;
  uint32_t data = 0, resp = 0;
} b_prev, r_prev;

void err(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void err(const char* fmt, ...) {
  if (errors++ < 30) {
    va_list ap;
    va_start(ap, fmt);
    std::printf("ERROR (cycle %" PRIu64 "): ", cycle);
    std::vprintf(fmt, ap);
    std::printf("\n");
    va_end(ap);
  }
}
void check(bool ok, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void check(bool ok, const char* fmt, ...) {
  checks++;
  if (ok) return;
  if (errors++ < 30) {
    va_list ap;
    va_start(ap, fmt);
    std::printf("ERROR (cycle %" PRIu64 "): ", cycle);
    std::vprintf(fmt, ap);
    std::printf("\n");
    va_end(ap);
  }
}

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 7) {}
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  uint32_t below(uint32_t n) { return uint32_t(next() % n); }
};

// clk low + settle + monitors (everything sampled here is "just before the rising edge")
void settle() {
  top->clk = 0;
  top->eval();
  if (top->start) start_cycles++;
  if (b_prev.valid && !b_prev.ready && (!top->s_axil_bvalid || top->s_axil_bresp != b_prev.resp)) err("BVALID/BRESP changed before BREADY");
  if (r_prev.valid && !r_prev.ready && (!top->s_axil_rvalid || top->s_axil_rdata != r_prev.data || top->s_axil_rresp != r_prev.resp))
    err("RVALID/RDATA/RRESP changed before RREADY");
  b_prev = {bool(top->s_axil_bvalid), bool(top->s_axil_bready), 0, top->s_axil_bresp};
  r_prev = {bool(top->s_axil_rvalid), bool(top->s_axil_rready), top->s_axil_rdata, top->s_axil_rresp};
}
void edge() {
  top->clk = 1;
  top->eval();
  cycle++;
}
void tick(int n = 1) {
  for (int i = 0; i < n; i++) {
    settle();
    edge();
  }
}

// AXI4-Lite write: AW presented after aw_delay cycles, W after w_delay, BREADY after b_delay.
// Returns BRESP. *w_before_aw (optional) reports whether W was accepted before AW was presented.
uint32_t axil_write(uint32_t addr, uint32_t data, uint32_t strb = 0xF, int aw_delay = 0, int w_delay = 0, int b_delay = 0, bool* w_first = nullptr) {
  bool aw_done = false, w_done = false, w_before = false;
  int t = 0;
  top->s_axil_bready = 0;
  while (!aw_done || !w_done) {
    top->s_axil_awvalid = !aw_done && t >= aw_delay;
    top->s_axil_awaddr = addr;
    top->s_axil_awprot = 0;
    top->s_axil_wvalid = !w_done && t >= w_delay;
    top->s_axil_wdata = data;
    top->s_axil_wstrb = strb;
    settle();
    bool aw_hs = top->s_axil_awvalid && top->s_axil_awready, w_hs = top->s_axil_wvalid && top->s_axil_wready;
    if (w_hs && !aw_done && !top->s_axil_awvalid) w_before = true;
    edge();
    aw_done |= aw_hs;
    w_done |= w_hs;
    if (++t > 200) {
      err("write 0x%x: AW/W not accepted", addr);
      break;
    }
  }
  top->s_axil_awvalid = 0;
  top->s_axil_wvalid = 0;
  uint32_t resp = 0;
  for (t = 0;; t++) {
    top->s_axil_bready = t >= b_delay;
    settle();
    bool hs = top->s_axil_bvalid && top->s_axil_bready;
    resp = top->s_axil_bresp;
    edge();
    if (hs) break;
    if (t > 200) {
      err("write 0x%x: no B response", addr);
      break;
    }
  }
  top->s_axil_bready = 0;
  if (w_first) *w_first = w_before;
  return resp;
}

uint32_t axil_read(uint32_t addr, uint32_t* resp = nullptr, int ar_delay = 0, int r_delay = 0) {
  int t = 0;
  top->s_axil_rready = 0;
  for (;; t++) {
    top->s_axil_arvalid = t >= ar_delay;
    top->s_axil_araddr = addr;
    top->s_axil_arprot = 0;
    settle();
    bool hs = top->s_axil_arvalid && top->s_axil_arready;
    edge();
    if (hs) break;
    if (t > 200) {
      err("read 0x%x: AR not accepted", addr);
      break;
    }
  }
  top->s_axil_arvalid = 0;
  uint32_t data = 0, rr = 0;
  for (t = 0;; t++) {
    top->s_axil_rready = t >= r_delay;
    settle();
    bool hs = top->s_axil_rvalid && top->s_axil_rready;
    data = top->s_axil_rdata;
    rr = top->s_axil_rresp;
    edge();
    if (hs) break;
    if (t > 200) {
      err("read 0x%x: no R response", addr);
      break;
    }
  }
  top->s_axil_rready = 0;
  if (resp) *resp = rr;
  return data;
}

axi_ddr::Sig counters_sig;
uint64_t counters[NUM_COUNTERS];
void set_counters() { counters_sig.set_bytes(reinterpret_cast<const uint8_t*>(counters), sizeof counters); }

void pulse_done() {
  top->done_set = 1;
  tick();
  top->done_set = 0;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1;
  int random_ops = 3000;
  for (int i = 1; i < argc; i++) {
    if (std::sscanf(argv[i], "--seed=%" SCNu64, &seed) == 1) continue;
    if (std::sscanf(argv[i], "--ops=%d", &random_ops) == 1) continue;
  }
  ctx = std::make_unique<VerilatedContext>();
  top = std::make_unique<Vcn_axil_regs>(ctx.get());
  counters_sig = axi_ddr::sig(top->counters);
  Rng rng(seed);

  top->rst_n = 0;
  tick(3);
  top->rst_n = 1;
  tick();

  // --- reset values and identification
  uint32_t resp = 9;
  check(axil_read(VER, &resp) == VERSION && resp == 0, "VERSION read");
  check(axil_read(STATUS) == 0, "STATUS after reset");
  check(axil_read(CTRL) == 0 && axil_read(PADDR_L) == 0 && axil_read(PADDR_H) == 0 && axil_read(PLEN) == 0, "RW registers reset to 0");
  check(!top->irq && !top->start && !top->irq_enable, "outputs after reset");

  // --- program registers, every AW/W ordering
  bool w_first = false;
  check(axil_write(PADDR_L, 0x89abcdefu, 0xF, 0, 0) == 0, "write PADDR_L (AW and W together)");
  check(axil_write(PADDR_H, 0x01234567u, 0xF, 4, 0, 0, &w_first) == 0 && w_first, "write PADDR_H (W accepted before AW is presented)");
  check(axil_write(PLEN, 1000, 0xF, 0, 5, 3) == 0, "write PLEN (AW first, late BREADY)");
  check(top->prog_addr == 0x0123456789abcdefull && top->prog_len == 1000, "prog_addr/prog_len outputs (0x%" PRIx64 ", %u)", uint64_t(top->prog_addr),
        top->prog_len);
  check(axil_read(PADDR_L, nullptr, 2, 4) == 0x89abcdefu && axil_read(PADDR_H) == 0x01234567u && axil_read(PLEN) == 1000, "read back program registers");
  check(axil_write(PADDR_L, 0x55aa0000u, 0x4) == 0 && axil_read(PADDR_L) == 0x89aacdefu, "byte strobe 0b0100");
  check(axil_write(PLEN, 0xffffffffu, 0x9) == 0 && axil_read(PLEN) == 0xff0003ffu, "byte strobes 0b1001");
  check(axil_write(VER, 0, 0xF) == 0 && axil_read(VER) == VERSION, "VERSION is read-only (write OKAY, ignored)");

  // --- start pulse
  start_cycles = 0;
  check(axil_write(CTRL, START) == 0, "write CTRL.start");
  tick(3);
  check(start_cycles == 1, "start pulses for exactly one cycle (saw %d)", start_cycles);
  check((axil_read(CTRL) & START) == 0, "CTRL.start reads 0");
  start_cycles = 0;
  check(axil_write(CTRL, START, 0xFu & ~(1u << (CN_CTRL_START_BIT / 8))) == 0, "CTRL write with START's byte strobed off");
  tick(2);
  check(start_cycles == 0, "no start without the WSTRB bit of START's byte");
  top->busy = 1;
  tick();
  check((axil_read(STATUS) & BUSY) == BUSY, "STATUS.busy follows input");
  start_cycles = 0;
  axil_write(CTRL, START);
  tick(2);
  check(start_cycles == 0, "start ignored while busy");

  // --- done / irq
  pulse_done();
  top->busy = 0;
  tick();
  check(axil_read(STATUS) == DONE, "STATUS.done set, busy clear");
  check(axil_read(IRQ) == IRQ_DONE, "IRQ_STATUS.done pending");
  check(!top->irq, "no irq while IRQ_ENABLE = 0");
  axil_write(CTRL, IRQ_EN);
  check(top->irq_enable && top->irq, "irq = done & irq_enable");
  check(axil_read(CTRL) == IRQ_EN, "CTRL reads IRQ_ENABLE");
  axil_write(IRQ, 0x0);
  check(top->irq, "IRQ_STATUS write 0 does not clear");
  axil_write(IRQ, IRQ_DONE);
  check(!top->irq && axil_read(STATUS) == 0, "IRQ_STATUS W1C clears done and irq");
  pulse_done();
  check(top->irq && axil_read(STATUS) == DONE, "done set again");
  axil_write(STATUS, ~DONE);  // DONE not set: no effect
  check(axil_read(STATUS) == DONE, "STATUS write without DONE keeps done");
  axil_write(STATUS, DONE);
  check(axil_read(STATUS) == 0 && !top->irq, "STATUS.DONE W1C clears done");
  pulse_done();
  start_cycles = 0;
  axil_write(CTRL, START | IRQ_EN);  // start with irq still enabled: clears done
  tick();
  check(start_cycles == 1 && axil_read(STATUS) == 0 && !top->irq, "start clears done");
  top->error = 1;
  tick();
  check(axil_read(STATUS) == ERROR, "STATUS.error follows input");
  top->error = 0;
  // done_set wins over a simultaneous clear: hold done_set high across the W1C write
  top->done_set = 1;
  axil_write(IRQ, IRQ_DONE);
  top->done_set = 0;
  tick();
  check(axil_read(STATUS) == DONE, "done_set wins over W1C in the same cycle");
  axil_write(IRQ, IRQ_DONE);
  axil_write(CTRL, 0x0);

  // --- unmapped addresses
  // every word up to two slots past the last counter that is neither a register nor a counter, and two far ones
  const uint32_t regs[] = {CTRL, STATUS, IRQ, PADDR_L, PADDR_H, PLEN, VER};
  std::vector<uint32_t> probe = {0x200, 0xFFC}, unmapped;
  for (uint32_t a = 0; a < cnt_lo(NUM_COUNTERS + 2); a += 4) probe.push_back(a);
  for (uint32_t a : probe) {
    bool mapped = a >= cnt_lo(0) && a < cnt_lo(NUM_COUNTERS);
    for (uint32_t r : regs) mapped = mapped || a == r;
    if (!mapped) unmapped.push_back(a);
  }
  check(unmapped.size() >= 4, "unmapped words to test");
  for (uint32_t a : unmapped) {
    uint32_t r = 0;
    uint32_t v = axil_read(a, &r);
    check(r == 2 && v == 0, "read unmapped 0x%x: RRESP %u data 0x%x", a, r, v);
    check(axil_write(a, 0xdeadbeef) == 2, "write unmapped 0x%x gives SLVERR", a);
  }
  check(axil_read(PADDR_L) == 0x89aacdefu, "unmapped writes changed nothing");

  // --- 64-bit counters: low read latches high
  for (int k = 0; k < NUM_COUNTERS; k++) counters[k] = (uint64_t(k + 1) << 32) | 0xfffffff0u;
  set_counters();
  for (int k = 0; k < NUM_COUNTERS; k++) {
    uint32_t lo = axil_read(cnt_lo(k), &resp);
    check(resp == 0 && lo == 0xfffffff0u, "counter %d low", k);
    counters[k] += 0x20;  // carries into the high word after the low read
    set_counters();
    tick();
    uint32_t hi = axil_read(cnt_hi(k), &resp);
    check(resp == 0 && hi == uint32_t(k + 1), "counter %d high latched: 0x%x (live 0x%x)", k, hi, uint32_t(counters[k] >> 32));
    check(axil_read(cnt_lo(k)) == 0x10u, "counter %d low is live", k);
  }
  // latch belongs to the counter read last: a high read of another counter is live
  counters[0] = 0x0000000700000000ull;
  counters[1] = 0x0000000900000000ull;
  set_counters();
  axil_read(cnt_lo(1));
  counters[1] = 0x0000000a00000000ull;
  set_counters();
  check(axil_read(cnt_hi(0)) == 7, "high word of a counter that is not latched reads live");
  check(axil_read(cnt_hi(1)) == 9, "latch kept across other reads");
  check(axil_write(cnt_lo(0), 0) == 0, "counter write OKAY (ignored)");

  // --- random sequence against a reference model
  uint32_t ref[3] = {axil_read(PADDR_L), axil_read(PADDR_H), axil_read(PLEN)};
  const uint32_t rw_addr[3] = {PADDR_L, PADDR_H, PLEN};
  bool ref_irq_en = false;
  for (int op = 0; op < random_ops; op++) {
    int aw = int(rng.below(4)), w = int(rng.below(4)), bd = int(rng.below(3));
    switch (rng.below(5)) {
      case 0:
      case 1: {
        int i = int(rng.below(3));
        uint32_t v = uint32_t(rng.next()), s = rng.below(16);
        check(axil_write(rw_addr[i], v, s, aw, w, bd) == 0, "random write");
        uint32_t m = 0;
        for (int b = 0; b < 4; b++)
          if (s >> b & 1) m |= 0xffu << (8 * b);
        ref[i] = (ref[i] & ~m) | (v & m);
        break;
      }
      case 2: {
        int i = int(rng.below(3));
        uint32_t v = axil_read(rw_addr[i], &resp, aw, w);
        check(resp == 0 && v == ref[i], "random read 0x%x: 0x%x expected 0x%x", rw_addr[i], v, ref[i]);
        break;
      }
      case 3: {
        bool en = rng.below(2);
        axil_write(CTRL, en ? IRQ_EN : 0, 0xF, aw, w, bd);
        ref_irq_en = en;
        check(axil_read(CTRL) == (en ? IRQ_EN : 0u), "random CTRL");
        break;
      }
      default: {  // consistent 64-bit counter snapshot while the counter keeps counting
        int k = int(rng.below(NUM_COUNTERS));
        counters[k] = rng.next() >> 1;
        set_counters();
        uint64_t before = counters[k];
        uint32_t lo = axil_read(cnt_lo(k), nullptr, aw, w);
        counters[k] += 1 + (rng.next() & 0xffffffffffull);
        set_counters();
        uint32_t hi = axil_read(cnt_hi(k), nullptr, aw, w);
        check(((uint64_t(hi) << 32) | lo) == before, "counter %d snapshot", k);
        break;
      }
    }
  }
  check(bool(top->irq_enable) == ref_irq_en, "irq_enable output");
  check(top->prog_addr == ((uint64_t(ref[1]) << 32) | ref[0]) && top->prog_len == ref[2], "final program outputs");
  tick(2);

  std::printf("RESULT errors=%ld checks=%ld cycles=%" PRIu64 "\n", errors, checks, cycle);
  top->final();
  return errors ? 1 : 0;
}
