// Testbench of hw/cn_accel_dw.v: per layer, writes the configuration, pulses start, streams the
// input rows with random bubbles while taking outputs with random backpressure.
// Stimulus: T, then per layer "H W HO WO G stride use_map dconst dmax_map n lo pool", G pad lines
// "g p..", G weight lines "g w(tap 0 lane 0) .. w(tap 8 lane L-1)", G lines "g S.. B..",
// HO*WO dilations when use_map, then H*W*G lines of LANES activations.
// Output: per layer HO*WO*G lines of LANES raw output bytes.
#include <cstdio>
#include <fstream>
#include <random>
#include <vector>
#include "Vcn_accel_dw.h"
#include "verilated.h"
#include "cn_tb.h"

int main(int argc, char** argv) {
  cntb::EngineRun run;
  if (!cntb::openEngineRun(argc, argv, run)) return 2;
  std::ifstream& in = run.in;
  std::FILE* out = run.out;
  std::mt19937& rng = run.rng;
  auto* top = new Vcn_accel_dw;
  auto tick = [&]() { cntb::cycle(top); };
  cntb::resetEngine(top);
  long long T;
  in >> T;
  long long cycles = 0;
  for (long long t = 0; t < T; t++) {
    long long H, W, HO, WO, G, stride, use_map, dconst, dmax_map, n, lo, pool;
    in >> H >> W >> HO >> WO >> G >> stride >> use_map >> dconst >> dmax_map >> n >> lo >> pool;
    top->height = H; top->width = W; top->out_height = HO; top->out_width = WO; top->groups = G;
    top->stride = stride; top->use_map = use_map; top->dconst = dconst; top->dmax_map = dmax_map;
    top->n = n; top->lo = static_cast<uint8_t>(lo); top->pool = pool;
    top->in_valid = 0; top->out_ready = 0;
    for (long long i = 0; i < G; i++) {
      long long g; in >> g; top->cfg_group = g; top->pad_we = 1;
      for (int k = 0; k < LANES; k++) { long long v; in >> v; cntb::put(top->cfg_pad, k * 8, 8, v); }
      tick(); top->pad_we = 0;
    }
    for (long long i = 0; i < G; i++) {
      long long g; in >> g; top->cfg_group = g; top->w_we = 1;
      for (int k = 0; k < 9 * LANES; k++) { long long v; in >> v; cntb::put(top->cfg_w, k * 4, 4, v); }
      tick(); top->w_we = 0;
    }
    for (long long i = 0; i < G; i++) {
      long long g; in >> g; top->cfg_group = g; top->sb_we = 1;
      for (int k = 0; k < LANES; k++) { long long v; in >> v; cntb::put(top->cfg_s, k * 16, 16, v); }
      for (int k = 0; k < LANES; k++) { long long v; in >> v; cntb::put(top->cfg_b, k * 16, 16, v); }
      tick(); top->sb_we = 0;
    }
    if (use_map) for (long long p = 0; p < HO * WO; p++) {
      long long d; in >> d; top->map_we = 1; top->map_addr = p; top->map_d = d; tick(); top->map_we = 0;
    }
    std::vector<std::vector<long long>> beats(H * W * G, std::vector<long long>(LANES));
    for (auto& b : beats) for (auto& v : b) in >> v;
    top->start = 1; tick(); top->start = 0;
    const long long c = cntb::streamBeats(top, beats, HO * WO * G, LANES, rng, out, 200000 + 40 * (HO * WO * G + (long long)beats.size()));
    if (c < 0) { std::fprintf(stderr, "layer %lld timed out\n", t); return 1; }
    cycles += c;
    for (int i = 0; i < 20 && top->busy; i++) tick();
  }
  std::fclose(out);
  std::printf("cycles %lld\n", cycles);
  delete top;
  return 0;
}
