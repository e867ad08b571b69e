// Verilator testbench of hw/cn_dw3x3_pe.v.
// argv: <stimulus> <output> <LANES>
// Stimulus line (one clock cycle): en valid x[t][c] (t-major: t*L + c, 9*L values) w[t][c] (9*L)
// Output line, for every cycle with en = 1 and out_valid = 1:
//     <number of en = 1 cycles before this one> acc[0..L-1]   (signed decimal)
#include <memory>
#include "Vcn_dw3x3_pe.h"
#include "cn_tb.h"

int main(int argc, char** argv) {
  const char* stimPath = argc > 1 ? argv[1] : "";
  const char* outPath = argc > 2 ? argv[2] : "";
  const int L = cntb::argInt(argc, argv, 3);
  auto ctx = std::make_unique<VerilatedContext>();
  auto m = std::make_unique<Vcn_dw3x3_pe>(ctx.get());
  const std::size_t taps = 9 * static_cast<std::size_t>(L);
  const auto rows = cntb::readStimulus(stimPath, 2 + 2 * taps);
  FILE* out = std::fopen(outPath, "w");
  if (!out) return 2;
  cntb::reset(m.get());
  if (m->out_valid) std::fprintf(out, "X out_valid after reset\n");
  long long ecount = 0;
  for (const auto& r : rows) {
    m->en = static_cast<uint8_t>(r[0]);
    m->in_valid = static_cast<uint8_t>(r[1]);
    for (std::size_t i = 0; i < taps; i++) {
      cntb::put(m->in_x, static_cast<int>(i) * 8, 8, r[2 + i]);
      cntb::put(m->in_w, static_cast<int>(i) * 4, 4, r[2 + taps + i]);
    }
    m->eval();
    if (m->en && m->out_valid) {
      std::fprintf(out, "%lld", ecount);
      for (int l = 0; l < L; l++) std::fprintf(out, " %lld", static_cast<long long>(cntb::sext(cntb::get(m->out_acc, l * 24, 24), 24)));
      std::fprintf(out, "\n");
    }
    cntb::tick(m.get());
    if (r[0]) ecount++;
  }
  m->final();
  std::fclose(out);
  return 0;
}
