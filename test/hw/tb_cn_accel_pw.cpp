// Testbench of hw/cn_accel_pw.v: runs a sequence of output-channel tiles with random input
// bubbles and output backpressure, and writes every output beat.
// Stimulus (whitespace-separated integers): T, then per tile:
//   G n lo mode dmax stem P NW NP
//   NW lines "pair group b0 .. b(LANES-1)"   (b = {w1, w0} byte of each lane)
//   NP lines "ch S B"
//   P*G lines of LANES activations (pixel-major, channel group inner)
// Output: per tile, P lines of OUTS raw output bytes (0..255).
#include <cstdio>
#include <fstream>
#include <random>
#include <vector>
#include "Vcn_accel_pw.h"
#include "verilated.h"
#include "cn_tb.h"

#ifndef LANES
#error "compile with -DLANES and -DOUTS"
#endif

int main(int argc, char** argv) {
  cntb::EngineRun run;
  if (!cntb::openEngineRun(argc, argv, run)) return 2;
  std::ifstream& in = run.in;
  std::FILE* out = run.out;
  std::mt19937& rng = run.rng;
  auto* top = new Vcn_accel_pw;
  auto tick = [&]() { cntb::cycle(top); };
  cntb::resetEngine(top);
  long long T;
  in >> T;
  long long cycles = 0;
  for (long long t = 0; t < T; t++) {
    long long G, n, lo, mode, dmax, stem, P, NW, NP;
    in >> G >> n >> lo >> mode >> dmax >> stem >> P >> NW >> NP;
    top->groups = G; top->n = n; top->lo = static_cast<uint8_t>(lo); top->mode = mode; top->dmax = dmax; top->stem = stem;
    top->in_valid = 0; top->out_ready = 0;
    for (long long i = 0; i < NW; i++) {
      long long pair, group;
      in >> pair >> group;
      top->wcfg_we = 1; top->wcfg_pair = pair; top->wcfg_group = group;
      for (int k = 0; k < LANES; k++) { long long b; in >> b; cntb::put(top->wcfg_data, k * 8, 8, b); }
      tick();
    }
    top->wcfg_we = 0;
    for (long long i = 0; i < NP; i++) {
      long long ch, s, b;
      in >> ch >> s >> b;
      top->pcfg_we = 1; top->pcfg_ch = ch; top->pcfg_s = static_cast<uint16_t>(s); top->pcfg_b = static_cast<uint16_t>(b);
      tick();
    }
    top->pcfg_we = 0;
    std::vector<std::vector<long long>> beats(P * G, std::vector<long long>(LANES));
    for (auto& b : beats) for (auto& v : b) in >> v;
    const long long c = cntb::streamBeats(top, beats, P, OUTS, rng, out, 100000 + 50 * P * G);
    if (c < 0) { std::fprintf(stderr, "tile %lld timed out\n", t); return 1; }
    cycles += c;
  }
  std::fclose(out);
  std::printf("cycles %lld\n", cycles);
  delete top;
  return 0;
}
