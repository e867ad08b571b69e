// codenet_expect.h -- checks a memory dump against the golden model's graph outputs, so the
// generated testbenches (sim/tb_codenet.cpp, hls/tb_codenet_hls.cpp) fail on their own, without
// codenet, when one output element differs (`make -C sim`, `make -C hls`).
//
// data/expected.bin, written by codenet gen / codenet bundle: one 5-byte record per element of
// every graph output of the sample input, { uint32 little-endian byte offset in the image, int8
// value from the golden model }. Where each element lives comes from the memory map.
#ifndef CODENET_EXPECT_H
#define CODENET_EXPECT_H

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

// Compares `mem` (the image, `n` bytes) with every record of `path`. Returns the number of
// differing elements (-1 when the file is unreadable or malformed); prints the first few.
inline long codenet_check_expected(const std::string &path, const uint8_t *mem, size_t n, size_t *checked) {
  std::ifstream f(path, std::ios::binary);
  if (!f) { std::fprintf(stderr, "cannot open expected outputs %s\n", path.c_str()); return -1; }
  const std::vector<uint8_t> r((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (r.size() % 5) { std::fprintf(stderr, "%s: %zu bytes is not a whole number of 5-byte records\n", path.c_str(), r.size()); return -1; }
  long bad = 0;
  for (size_t i = 0; i < r.size(); i += 5) {
    const uint32_t off = uint32_t(r[i]) | uint32_t(r[i + 1]) << 8 | uint32_t(r[i + 2]) << 16 | uint32_t(r[i + 3]) << 24;
    if (off >= n) { std::fprintf(stderr, "%s: record %zu points at byte %u, outside the image of %zu bytes\n", path.c_str(), i / 5, off, n); return -1; }
    if (mem[off] != r[i + 4]) {
      if (bad < 5) std::fprintf(stderr, "MISMATCH: output element %zu at image byte %u: golden %d, got %d\n", i / 5, off, int(int8_t(r[i + 4])), int(int8_t(mem[off])));
      bad++;
    }
  }
  *checked = r.size() / 5;
  return bad;
}

#endif
