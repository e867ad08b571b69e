// Verilator testbench of hw/cn_requant.v.
// argv: <stimulus> <output> <LANES>
// Stimulus line (one clock cycle): en valid n lo mode dmax acc[0..L-1] S[0..L-1] B[0..L-1]
// Output line, for every cycle with en = 1 and out_valid = 1 (the consumer's take):
//     <number of en = 1 cycles before this one> q[0..L-1]   (q as unsigned 8-bit codes)
#include <memory>
#include "Vcn_requant.h"
#include "cn_tb.h"

int main(int argc, char** argv) {
  const char* stimPath = argc > 1 ? argv[1] : "";
  const char* outPath = argc > 2 ? argv[2] : "";
  const int L = cntb::argInt(argc, argv, 3);
  auto ctx = std::make_unique<VerilatedContext>();
  auto m = std::make_unique<Vcn_requant>(ctx.get());
  const auto rows = cntb::readStimulus(stimPath, 6 + 3 * static_cast<std::size_t>(L));
  FILE* out = std::fopen(outPath, "w");
  if (!out) return 2;
  cntb::reset(m.get());
  if (m->out_valid) std::fprintf(out, "X out_valid after reset\n");
  long long ecount = 0;
  for (const auto& r : rows) {
    m->en = static_cast<uint8_t>(r[0]);
    m->in_valid = static_cast<uint8_t>(r[1]);
    m->in_n = static_cast<uint8_t>(r[2] & 31);
    m->in_lo = static_cast<uint8_t>(r[3] & 255);
    m->in_mode = static_cast<uint8_t>(r[4] & 1);
    m->in_dmax = static_cast<uint8_t>(r[5] & 15);
    for (int l = 0; l < L; l++) {
      cntb::put(m->in_acc, l * 24, 24, r[6 + l]);
      cntb::put(m->in_s, l * 16, 16, r[6 + L + l]);
      cntb::put(m->in_b, l * 16, 16, r[6 + 2 * L + l]);
    }
    m->eval();
    if (m->en && m->out_valid) {
      std::fprintf(out, "%lld", ecount);
      for (int l = 0; l < L; l++) std::fprintf(out, " %llu", static_cast<unsigned long long>(cntb::get(m->out_q, l * 8, 8)));
      std::fprintf(out, "\n");
    }
    cntb::tick(m.get());
    if (r[0]) ecount++;
  }
  m->final();
  std::fclose(out);
  return 0;
}
