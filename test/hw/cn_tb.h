// Shared helpers of the compute-datapath Verilator testbenches (test/hw/tb_cn_*.cpp).
// Stimulus: a text file, one clock cycle per line of whitespace-separated signed integers.
// Output: a text file the TypeScript test parses. Fields of packed multi-lane ports are read and
// written bit by bit so the same code serves narrow (CData..QData) and wide (VlWide) ports.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <random>
#include "verilated.h"

namespace cntb {

template <typename T>
inline void put(T& port, int lsb, int width, int64_t v) {
  for (int i = 0; i < width; i++) {
    const T bit = static_cast<T>(1) << (lsb + i);
    if ((v >> i) & 1) port = static_cast<T>(port | bit);
    else port = static_cast<T>(port & ~bit);
  }
}
template <std::size_t N>
inline void put(VlWide<N>& port, int lsb, int width, int64_t v) {
  for (int i = 0; i < width; i++) {
    const int b = lsb + i;
    const uint32_t bit = 1u << (b & 31);
    if ((v >> i) & 1) port.at(b >> 5) |= bit;
    else port.at(b >> 5) &= ~bit;
  }
}
template <typename T>
inline uint64_t get(const T& port, int lsb, int width) {
  uint64_t r = 0;
  for (int i = 0; i < width; i++) r |= static_cast<uint64_t>((static_cast<uint64_t>(port) >> (lsb + i)) & 1u) << i;
  return r;
}
template <std::size_t N>
inline uint64_t get(const VlWide<N>& port, int lsb, int width) {
  uint64_t r = 0;
  for (int i = 0; i < width; i++) {
    const int b = lsb + i;
    r |= static_cast<uint64_t>((port.at(b >> 5) >> (b & 31)) & 1u) << i;
  }
  return r;
}
/** Sign-extends the low `width` bits of v. */
inline int64_t sext(uint64_t v, int width) {
  const uint64_t m = 1ull << (width - 1);
  v &= (width == 64) ? ~0ull : ((1ull << width) - 1);
  return static_cast<int64_t>(v ^ m) - static_cast<int64_t>(m);
}

/** Reads every line of integers; aborts on a malformed file. */
inline std::vector<std::vector<int64_t>> readStimulus(const char* path, std::size_t fields) {
  std::ifstream in(path);
  if (!in) { std::fprintf(stderr, "cannot open %s\n", path); std::exit(2); }
  std::vector<std::vector<int64_t>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream ss(line);
    std::vector<int64_t> row;
    row.reserve(fields);
    int64_t v;
    while (ss >> v) row.push_back(v);
    if (row.size() != fields) {
      std::fprintf(stderr, "%s: line %zu has %zu fields, expected %zu\n", path, rows.size() + 1, row.size(), fields);
      std::exit(2);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

inline int argInt(int argc, char** argv, int i) {
  if (i >= argc) { std::fprintf(stderr, "missing argument %d\n", i); std::exit(2); }
  return std::atoi(argv[i]);
}

/** One rising edge and the following falling edge. */
template <typename M>
inline void tick(M* m) {
  m->clk = 1;
  m->eval();
  m->clk = 0;
  m->eval();
}

/** Synchronous reset: rst = 1 for a few enabled cycles with everything else idle. */
template <typename M>
inline void reset(M* m) {
  m->clk = 0;
  m->rst = 1;
  m->en = 1;
  m->in_valid = 0;
  m->eval();
  for (int i = 0; i < 4; i++) tick(m);
  m->rst = 0;
  m->eval();
}

/** Files and random source of an engine testbench: argv = stimulus, output, seed. */
struct EngineRun {
  std::ifstream in;
  std::FILE* out;
  std::mt19937 rng;
};

inline bool openEngineRun(int argc, char** argv, EngineRun& r) {
  if (argc < 4) { std::fprintf(stderr, "usage: %s stimulus output seed\n", argv[0]); return false; }
  r.in.open(argv[1]);
  r.out = std::fopen(argv[2], "w");
  r.rng.seed(static_cast<unsigned>(std::atoi(argv[3])));
  if (!r.in || !r.out) { std::fprintf(stderr, "cannot open %s or %s\n", argv[1], argv[2]); return false; }
  Verilated::commandArgs(argc, argv);
  return true;
}

/** One full clock cycle from a low clock, and the engines' synchronous reset (rst high, 4 cycles). */
template <typename M>
inline void cycle(M* m) { m->clk = 0; m->eval(); m->clk = 1; m->eval(); }
template <typename M>
inline void resetEngine(M* m) {
  m->rst = 1;
  for (int i = 0; i < 4; i++) cycle(m);
  m->rst = 0;
}

/**
 * Streams `beats` (LANES_IN values of 8 bits each) into an engine's in_valid/in_ready/in_data port
 * with random bubbles while taking `want` output beats (outLanes bytes each) from
 * out_valid/out_ready/out_data with random backpressure; writes each output beat as a line of raw
 * bytes. Returns the cycles taken, or -1 on a timeout (reported on stderr).
 */
template <typename M>
inline long long streamBeats(M* m, const std::vector<std::vector<long long>>& beats, long long want, int outLanes,
                             std::mt19937& rng, std::FILE* out, long long budget) {
  size_t next = 0;
  long long got = 0, cycles = 0;
  while (got < want) {
    if (++cycles > budget) {
      std::fprintf(stderr, "timeout: %lld of %lld outputs, %zu of %zu inputs\n", got, want, next, beats.size());
      return -1;
    }
    m->clk = 0;
    const bool offer = next < beats.size() && (rng() % 4 != 0);
    m->in_valid = offer;
    if (offer) for (size_t k = 0; k < beats[next].size(); k++) put(m->in_data, static_cast<int>(k) * 8, 8, beats[next][k]);
    m->out_ready = (rng() % 3 != 0);
    m->eval();
    const bool took = offer && m->in_ready;
    if (m->out_valid && m->out_ready) {
      for (int c = 0; c < outLanes; c++) std::fprintf(out, "%llu%c", (unsigned long long)get(m->out_data, c * 8, 8), c + 1 < outLanes ? ' ' : '\n');
      got++;
    }
    m->clk = 1;
    m->eval();
    if (took) next++;
  }
  return cycles;
}

}  // namespace cntb
