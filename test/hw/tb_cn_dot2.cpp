// Verilator testbench of hw/cn_dot2.v.
// argv: <stimulus> <output> <K>
// Stimulus line (one clock cycle): en valid first last a[0..K-1] w0[0..K-1] w1[0..K-1]
// Output lines, for every cycle with en = 1 (the consumer's take), <e> = number of en = 1 cycles
// before this one:
//     S <e> sum0 sum1     when sum_valid = 1
//     A <e> acc0 acc1     when acc_valid = 1   (signed decimal)
#include <memory>
#include "Vcn_dot2.h"
#include "cn_tb.h"

int main(int argc, char** argv) {
  const char* stimPath = argc > 1 ? argv[1] : "";
  const char* outPath = argc > 2 ? argv[2] : "";
  const int K = cntb::argInt(argc, argv, 3);
  auto ctx = std::make_unique<VerilatedContext>();
  auto m = std::make_unique<Vcn_dot2>(ctx.get());
  const auto rows = cntb::readStimulus(stimPath, 4 + 3 * static_cast<std::size_t>(K));
  FILE* out = std::fopen(outPath, "w");
  if (!out) return 2;
  m->in_first = 0;
  m->in_last = 0;
  cntb::reset(m.get());
  if (m->sum_valid || m->acc_valid) std::fprintf(out, "X valid after reset\n");
  long long ecount = 0;
  for (const auto& r : rows) {
    m->en = static_cast<uint8_t>(r[0]);
    m->in_valid = static_cast<uint8_t>(r[1]);
    m->in_first = static_cast<uint8_t>(r[2]);
    m->in_last = static_cast<uint8_t>(r[3]);
    for (int k = 0; k < K; k++) {
      cntb::put(m->in_a, k * 8, 8, r[4 + k]);
      cntb::put(m->in_w0, k * 4, 4, r[4 + K + k]);
      cntb::put(m->in_w1, k * 4, 4, r[4 + 2 * K + k]);
    }
    m->eval();
    if (m->en && m->sum_valid)
      std::fprintf(out, "S %lld %lld %lld\n", ecount, static_cast<long long>(cntb::sext(m->sum0, 24)), static_cast<long long>(cntb::sext(m->sum1, 24)));
    if (m->en && m->acc_valid)
      std::fprintf(out, "A %lld %lld %lld\n", ecount, static_cast<long long>(cntb::sext(m->acc0, 24)), static_cast<long long>(cntb::sext(m->acc1, 24)));
    cntb::tick(m.get());
    if (r[0]) ecount++;
  }
  m->final();
  std::fclose(out);
  return 0;
}
