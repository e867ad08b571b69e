// axi_ddr_model.h -- header-only AXI4 slave DDR model for Verilator testbenches.
//
// One AxiDdrModel is a byte-addressed memory (sparse 4 KiB pages, or bounded to [mem_base,
// mem_base + mem_size)) shared by any number of AXI4 ports. Each port is a set of pointers to the
// Verilated model's signals (any data width: CData/SData/IData/QData or VlWide<N>). The model
// enforces a shared bandwidth budget in bytes per cycle (token bucket with fractional credit in
// 1/65536-byte units, integer arithmetic, so it is exact and deterministic), a read latency, and
// checks the master's protocol (VALID held until READY with a stable payload, 4 KiB boundary,
// WLAST position, burst type/size).
//
// ---------------------------------------------------------------------------------------------
// Clocking protocol (one call of each per clock cycle, in this order)
//
//   top->clk = 0; top->eval();   // settle combinational logic with the current inputs
//   ddr.pre_edge();              // SAMPLE: read DUT outputs (VALIDs, payloads, READYs); a
//                                // handshake happens in this cycle iff VALID && READY now
//   top->clk = 1; top->eval();   // rising edge: the DUT registers see the handshakes too
//   ddr.post_edge();             // UPDATE + DRIVE: apply the sampled handshakes, advance one
//                                // cycle, write the model's new outputs to the DUT inputs
//   (the next iteration's clk = 0 eval propagates them)
//
// Every model output (ARREADY, RVALID/RDATA/..., AWREADY, WREADY, BVALID/...) is a register: it
// changes only in post_edge() and never depends combinationally on a DUT output of the same cycle,
// exactly like a registered AXI slave. The DUT may have combinational paths from these inputs to
// its outputs (e.g. RREADY = f(RVALID)); the clk = 0 eval before pre_edge() resolves them.
//
// Reset: while the DUT is in reset call ddr.reset() once per cycle instead of pre/post_edge (or
// once after releasing reset): it drops every transaction in flight and drives all READY/VALID
// outputs low. Memory contents and statistics are kept (clear_stats() clears statistics).
//
// Timing model (per port, in order; different ports are independent except for bandwidth)
//   AR/AW: ARREADY/AWREADY are high while fewer than max_outstanding_reads/writes bursts are
//     queued on that port (and no random stall is drawn).
//   R: a read burst accepted at the edge of cycle c may present its first beat (RVALID rises)
//     right after the edge of cycle c + read_latency (read_latency = 0: right after the accepting
//     edge), i.e. the first R handshake is at the earliest read_latency + 1 edges after the AR
//     handshake. Then one beat per cycle while bandwidth credit allows. A beat's data are read
//     from memory when it is presented; RVALID/RDATA then stay until RREADY.
//   W: WREADY is high when the port's W buffer (w_buffer_beats) has room and bandwidth credit for
//     one beat is reserved (unused reservations are refunded the next cycle). W beats may arrive
//     before their AW (AXI4 allows it); they are written to memory as soon as both the AW and the
//     beat are known (writes are visible to later reads from then on).
//   B: BVALID rises write_latency edges after the later of (AW handshake, last W handshake); held
//     until BREADY. BRESP/RRESP = OKAY, or SLVERR for bytes outside [mem_base, mem_base+mem_size)
//     when mem_size != 0.
//   Bandwidth: each cycle the shared credit grows by bytes_per_cycle (capped at bytes_per_cycle +
//     the widest beat, so idle time does not bank a burst); presenting an R beat or reserving a W
//     beat costs the beat's transfer size (2^AxSIZE; a W reservation costs a full bus beat).
//     Command granularity (dram_burst_bytes != 0): the DRAM moves whole bursts of dram_burst_bytes,
//     so an AR/AW burst costs every DRAM burst its bytes touch; what its beats do not pay (a 16-byte
//     one-beat write costs a 64-byte DRAM burst: 48 bytes) is taken from the credit when its data
//     start to move (a read burst's first R beat is presented, a write burst's AW is accepted), and
//     the credit may go negative (later beats wait until it is repaid). The
//     (port, direction) pairs are served by a round-robin arbiter (the search starts after the
//     last pair served), so ports share the bandwidth fairly and none starves. bytes_per_cycle = 0 means unlimited (every port
//     can do one R and one W beat per cycle).
//   Optional ready_stall_percent draws pseudo-random stalls (xorshift64, fixed seed: runs are
//     bit-for-bit repeatable) on ARREADY/AWREADY/WREADY and on presenting R and B, to exercise the
//     master's handshakes.
//
// Bursts: INCR (1..256 beats, must not cross 4 KiB), FIXED and WRAP (2/4/8/16 beats); AxSIZE up
// to the bus width (narrow transfers use the byte lanes of the addressed bus word). WSTRB honoured.
// IDs are echoed (RID = ARID, BID = AWID); each port answers in order.
//
// Binding a port (DUT signals named <prefix>araddr, <prefix>arlen, ...):
//   axi_ddr::PortSignals ps;
//   AXI_DDR_BIND_READ(ps, top, m_axi_);    // ar{addr,len,size,burst,valid,ready} r{data,resp,last,valid,ready}
//   AXI_DDR_BIND_WRITE(ps, top, m_axi_);   // aw{addr,len,size,burst,valid,ready} w{data,strb,last,valid,ready} b{resp,valid,ready}
//   AXI_DDR_BIND_READ_ID(ps, top, m_axi_); // optional arid/rid; AXI_DDR_BIND_WRITE_ID for awid/bid
//   int port = ddr.add_port(ps, "name");
// or assign fields by hand: ps.araddr = axi_ddr::sig(top->whatever). Unbound optional signals:
// arsize/awsize (= bus width), arburst/awburst (= INCR), wstrb (= all ones), ids (= 0),
// rresp/rlast/bresp (not driven). A port needs a complete read side, write side, or both.
//
// Requires a little-endian host (Verilator's word layout then matches a byte array).
#pragma once

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace axi_ddr {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "axi_ddr_model.h needs a little-endian host");

// A reference to one Verilated signal, stored as a little-endian byte array of sizeof(T) bytes
// (CData/SData/IData/QData or VlWide<N>, whose EData words are least significant first).
class Sig {
 public:
  Sig() = default;
  Sig(void* p, size_t bytes) : p_(static_cast<uint8_t*>(p)), bytes_(bytes) {}
  bool bound() const { return p_ != nullptr; }
  size_t bytes() const { return bytes_; }
  uint64_t get() const {
    uint64_t v = 0;
    std::memcpy(&v, p_, std::min<size_t>(bytes_, 8));
    return v;
  }
  void set(uint64_t v) const {
    std::memcpy(p_, &v, std::min<size_t>(bytes_, 8));
    if (bytes_ > 8) std::memset(p_ + 8, 0, bytes_ - 8);
  }
  void get_bytes(uint8_t* dst, size_t n) const { std::memcpy(dst, p_, std::min(n, bytes_)); }
  void set_bytes(const uint8_t* src, size_t n) const {
    size_t k = std::min(n, bytes_);
    std::memcpy(p_, src, k);
    if (bytes_ > k) std::memset(p_ + k, 0, bytes_ - k);
  }

 private:
  uint8_t* p_ = nullptr;
  size_t bytes_ = 0;
};

// Binds a Verilated signal: axi_ddr::sig(top->m_axi_araddr).
template <class T>
Sig sig(T& ref) {
  return Sig(static_cast<void*>(&ref), sizeof(T));
}

// Signal pointers of one AXI4 port. "in" = DUT output read by the model, "out" = driven by it.
struct PortSignals {
  // read address (in) / ready (out)
  Sig arid, araddr, arlen, arsize, arburst, arvalid;
  Sig arready;
  // read data (out) / ready (in)
  Sig rid, rdata, rresp, rlast, rvalid;
  Sig rready;
  // write address (in) / ready (out)
  Sig awid, awaddr, awlen, awsize, awburst, awvalid;
  Sig awready;
  // write data (in) / ready (out)
  Sig wdata, wstrb, wlast, wvalid;
  Sig wready;
  // write response (out) / ready (in)
  Sig bid, bresp, bvalid;
  Sig bready;
};

#define AXI_DDR_BIND_READ(ps, top, p)                 \
  do {                                                \
    (ps).araddr = ::axi_ddr::sig((top)->p##araddr);   \
    (ps).arlen = ::axi_ddr::sig((top)->p##arlen);     \
    (ps).arsize = ::axi_ddr::sig((top)->p##arsize);   \
    (ps).arburst = ::axi_ddr::sig((top)->p##arburst); \
    (ps).arvalid = ::axi_ddr::sig((top)->p##arvalid); \
    (ps).arready = ::axi_ddr::sig((top)->p##arready); \
    (ps).rdata = ::axi_ddr::sig((top)->p##rdata);     \
    (ps).rresp = ::axi_ddr::sig((top)->p##rresp);     \
    (ps).rlast = ::axi_ddr::sig((top)->p##rlast);     \
    (ps).rvalid = ::axi_ddr::sig((top)->p##rvalid);   \
    (ps).rready = ::axi_ddr::sig((top)->p##rready);   \
  } while (0)
#define AXI_DDR_BIND_READ_ID(ps, top, p)        \
  do {                                          \
    (ps).arid = ::axi_ddr::sig((top)->p##arid); \
    (ps).rid = ::axi_ddr::sig((top)->p##rid);   \
  } while (0)
#define AXI_DDR_BIND_WRITE(ps, top, p)                \
  do {                                                \
    (ps).awaddr = ::axi_ddr::sig((top)->p##awaddr);   \
    (ps).awlen = ::axi_ddr::sig((top)->p##awlen);     \
    (ps).awsize = ::axi_ddr::sig((top)->p##awsize);   \
    (ps).awburst = ::axi_ddr::sig((top)->p##awburst); \
    (ps).awvalid = ::axi_ddr::sig((top)->p##awvalid); \
    (ps).awready = ::axi_ddr::sig((top)->p##awready); \
    (ps).wdata = ::axi_ddr::sig((top)->p##wdata);     \
    (ps).wstrb = ::axi_ddr::sig((top)->p##wstrb);     \
    (ps).wlast = ::axi_ddr::sig((top)->p##wlast);     \
    (ps).wvalid = ::axi_ddr::sig((top)->p##wvalid);   \
    (ps).wready = ::axi_ddr::sig((top)->p##wready);   \
    (ps).bresp = ::axi_ddr::sig((top)->p##bresp);     \
    (ps).bvalid = ::axi_ddr::sig((top)->p##bvalid);   \
    (ps).bready = ::axi_ddr::sig((top)->p##bready);   \
  } while (0)
#define AXI_DDR_BIND_WRITE_ID(ps, top, p)       \
  do {                                          \
    (ps).awid = ::axi_ddr::sig((top)->p##awid); \
    (ps).bid = ::axi_ddr::sig((top)->p##bid);   \
  } while (0)

struct Config {
  double bytes_per_cycle = 0.0;          // shared by all ports; 0 = unlimited. 4.27e9/250e6 = 17.08
  unsigned dram_burst_bytes = 0;         // 2^n: bursts are charged in whole DRAM bursts; 0 = beats only
  unsigned read_latency = 40;            // cycles, see "Timing model"
  unsigned write_latency = 20;           // cycles from the burst's last W (and AW) to BVALID
  unsigned max_outstanding_reads = 32;   // per port: queued read bursts before ARREADY drops
  unsigned max_outstanding_writes = 32;  // per port: AW bursts not yet answered on B
  unsigned w_buffer_beats = 512;         // per port: W beats accepted ahead of their AW
  uint64_t mem_base = 0;                 // with mem_size != 0: valid range [mem_base, +mem_size)
  uint64_t mem_size = 0;                 // 0 = the whole 64-bit space (sparse)
  uint8_t fill = 0;                      // content of never-written memory
  unsigned ready_stall_percent = 0;      // 0..100: random READY / VALID stalls
  uint64_t seed = 0x9E3779B97F4A7C15ull; // seed of the stall generator
  size_t max_logged_errors = 32;         // protocol errors kept as text (all are counted)
  bool print_errors = true;              // also print them to stderr as they happen
};

struct Stats {
  uint64_t cycles = 0;         // post_edge() calls since construction / clear_stats()
  uint64_t busy_cycles = 0;    // cycles with at least one R or W data handshake on any port
  uint64_t bytes_read = 0;     // sum of 2^ARSIZE over R handshakes
  uint64_t bytes_written = 0;  // sum of 2^AWSIZE over W beats written (once their AW is known)
  uint64_t read_bursts = 0;    // AR handshakes
  uint64_t write_bursts = 0;   // AW handshakes
  uint64_t r_beats = 0;
  uint64_t w_beats = 0;
  uint64_t b_responses = 0;
  uint64_t dram_bytes = 0;     // DRAM time charged: the whole DRAM bursts of every AR/AW burst (= bytes moved if dram_burst_bytes = 0)
  // (bytes_read + bytes_written) / cycles
  double bytes_per_cycle() const { return cycles ? double(bytes_read + bytes_written) / double(cycles) : 0.0; }
};

class AxiDdrModel {
 public:
  explicit AxiDdrModel(const Config& cfg = Config()) : cfg_(cfg), rng_(cfg.seed ? cfg.seed : 1) {
    if (cfg_.bytes_per_cycle < 0) throw std::invalid_argument("axi_ddr: bytes_per_cycle < 0");
    if (cfg_.dram_burst_bytes & (cfg_.dram_burst_bytes - 1)) throw std::invalid_argument("axi_ddr: dram_burst_bytes must be 0 or a power of two");
    credit_inc_ = static_cast<int64_t>(cfg_.bytes_per_cycle * kUnit + 0.5);
  }

  const Config& config() const { return cfg_; }

  // Adds a port and returns its index. Its data width is the size of the bound rdata/wdata signal.
  int add_port(const PortSignals& s, const std::string& name = "") {
    Port p;
    p.s = s;
    p.name = name.empty() ? "port" + std::to_string(ports_.size()) : name;
    p.has_read = s.araddr.bound() && s.arlen.bound() && s.arvalid.bound() && s.arready.bound() && s.rdata.bound() &&
                 s.rvalid.bound() && s.rready.bound();
    p.has_write = s.awaddr.bound() && s.awlen.bound() && s.awvalid.bound() && s.awready.bound() && s.wdata.bound() &&
                  s.wvalid.bound() && s.wready.bound() && s.bvalid.bound() && s.bready.bound();
    if (!p.has_read && !p.has_write) throw std::invalid_argument("axi_ddr: port " + p.name + " has neither a complete read nor write side");
    size_t rb = p.has_read ? s.rdata.bytes() : 0, wb = p.has_write ? s.wdata.bytes() : 0;
    if (rb && wb && rb != wb) throw std::invalid_argument("axi_ddr: port " + p.name + " rdata and wdata widths differ");
    p.bus = rb ? rb : wb;
    if (p.bus == 0 || (p.bus & (p.bus - 1)) || p.bus > 128) throw std::invalid_argument("axi_ddr: port " + p.name + " data width must be 2^n bytes <= 128");
    p.rdata.assign(p.bus, 0);
    max_beat_ = std::max<uint64_t>(max_beat_, p.bus);
    ports_.push_back(std::move(p));
    Port& q = ports_.back();
    drive(q);
    return static_cast<int>(ports_.size() - 1);
  }
  size_t num_ports() const { return ports_.size(); }

  // ------------------------------------------------------------------------- clocking
  void reset() {
    for (Port& p : ports_) {
      p.rq.clear();
      p.awq.clear();
      p.wbuf.clear();
      p.bq.clear();
      p.arready = p.rvalid = p.awready = p.wready = p.bvalid = false;
      p.w_reserved = 0;
      p.ar_pend = p.aw_pend = p.w_pend = false;
      p.r_pend = p.b_pend = false;
      p.ar_hs = p.r_hs = p.aw_hs = p.w_hs = p.b_hs = false;
      drive(p);
    }
    credit_ = 0;
  }

  // Before the rising edge: sample the DUT's outputs and decide the handshakes of this cycle.
  void pre_edge() {
    bool data_hs = false;
    for (Port& p : ports_) {
      const PortSignals& s = p.s;
      if (p.has_read) {
        bool arvalid = s.arvalid.get() & 1;
        Ax ar;
        if (arvalid) ar = sample_ax(p, true);
        if (p.ar_pend && (!arvalid || !(ar == p.ar_last)))
          error(p, "ARVALID dropped or AR payload changed before ARREADY");
        p.ar_hs = arvalid && p.arready;
        p.ar_pend = arvalid && !p.arready;
        if (arvalid) p.ar_last = ar;
        bool rready = s.rready.get() & 1;
        p.r_hs = p.rvalid && rready;
        data_hs |= p.r_hs;
      }
      if (p.has_write) {
        bool awvalid = s.awvalid.get() & 1;
        Ax aw;
        if (awvalid) aw = sample_ax(p, false);
        if (p.aw_pend && (!awvalid || !(aw == p.aw_last)))
          error(p, "AWVALID dropped or AW payload changed before AWREADY");
        p.aw_hs = awvalid && p.awready;
        p.aw_pend = awvalid && !p.awready;
        if (awvalid) p.aw_last = aw;

        bool wvalid = s.wvalid.get() & 1;
        WBeat w;
        if (wvalid) {
          w.data.resize(p.bus);
          s.wdata.get_bytes(w.data.data(), p.bus);
          w.strb.assign(p.bus, 1);
          if (s.wstrb.bound()) {
            uint8_t sb[16] = {0};
            s.wstrb.get_bytes(sb, std::min<size_t>(s.wstrb.bytes(), 16));
            for (size_t i = 0; i < p.bus; i++) w.strb[i] = (sb[i / 8] >> (i % 8)) & 1;
          }
          w.last = s.wlast.bound() ? (s.wlast.get() & 1) : false;
        }
        if (p.w_pend && (!wvalid || !(w == p.w_last))) error(p, "WVALID dropped or W payload changed before WREADY");
        p.w_hs = wvalid && p.wready;
        p.w_pend = wvalid && !p.wready;
        if (wvalid) p.w_last = std::move(w);
        p.b_hs = p.bvalid && (s.bready.get() & 1);
        data_hs |= p.w_hs;
      }
    }
    if (data_hs) stats_.busy_cycles++;
  }

  // After the rising edge: apply the handshakes, advance one cycle, drive the new outputs.
  void post_edge() {
    // 1. consume handshakes
    int64_t refund = 0;
    for (Port& p : ports_) {
      if (p.has_read) {
        if (p.ar_hs) accept_ar(p);
        if (p.r_hs) {
          p.rvalid = false;
          p.st.r_beats++;
          stats_.r_beats++;
          p.st.bytes_read += p.r_bytes;
          stats_.bytes_read += p.r_bytes;
        }
      }
      if (p.has_write) {
        if (p.aw_hs) accept_aw(p);
        if (p.w_hs) {
          p.wbuf.push_back(p.w_last);
          p.wbuf.back().cycle = cycle_;
          p.st.w_beats++;
          stats_.w_beats++;
          p.w_reserved = 0;  // spent
        }
        if (p.b_hs) {
          p.bvalid = false;
          p.bq.pop_front();
          p.st.b_responses++;
          stats_.b_responses++;
        }
        refund += p.w_reserved;  // an unused reservation goes back to the bucket
        p.w_reserved = 0;
        apply_writes(p);
      }
      p.ar_hs = p.r_hs = p.aw_hs = p.w_hs = p.b_hs = false;
    }
    // 2. bandwidth credit for this cycle
    if (credit_inc_) {
      credit_ += credit_inc_;
      int64_t cap = credit_inc_ + static_cast<int64_t>(max_beat_) * kUnit;
      if (credit_ > cap) credit_ = cap;
    }
    credit_ += refund;  // after the cap: a refunded reservation was never lost
    // 3. serve (port, direction) pairs round-robin: the search starts after the last pair served
    size_t n = ports_.size() * 2;
    size_t next_rr = rr_;
    for (size_t k = 0; k < n; k++) {
      size_t idx = (rr_ + k) % n;
      Port& p = ports_[idx / 2];
      bool granted = false;
      if (idx % 2 == 0) {
        if (p.has_read && !p.rvalid) granted = present_r(p);
      } else if (p.has_write) {
        p.wready = false;
        if (p.wbuf.size() < cfg_.w_buffer_beats && !stall()) {
          uint64_t bytes = p.bus;  // a W beat may be a narrow transfer, but reserve a full one
          if (take_credit(bytes)) {
            p.wready = true;
            p.w_reserved = credit_inc_ ? static_cast<int64_t>(bytes) * kUnit : 0;
            granted = true;
          }
        }
      }
      if (granted) next_rr = (idx + 1) % n;
    }
    rr_ = next_rr;
    // 4. address READYs and B
    for (Port& p : ports_) {
      if (p.has_read) p.arready = p.rq.size() < cfg_.max_outstanding_reads && !stall();
      if (p.has_write) {
        p.awready = p.awq.size() + p.bq.size() < cfg_.max_outstanding_writes && !stall();
        if (!p.bvalid && !p.bq.empty() && p.bq.front().ready <= cycle_ && !stall()) {
          p.bvalid = true;
        }
      }
      drive(p);
    }
    cycle_++;
    stats_.cycles++;
    for (Port& p : ports_) p.st.cycles++;
  }

  // ------------------------------------------------------------------------- memory access
  void write(uint64_t addr, const void* src, size_t n) {
    const uint8_t* s = static_cast<const uint8_t*>(src);
    while (n) {
      size_t off = addr & (kPage - 1), k = std::min<size_t>(n, kPage - off);
      std::memcpy(page(addr) + off, s, k);
      addr += k;
      s += k;
      n -= k;
    }
  }
  void read(uint64_t addr, void* dst, size_t n) const {
    uint8_t* d = static_cast<uint8_t*>(dst);
    while (n) {
      size_t off = addr & (kPage - 1), k = std::min<size_t>(n, kPage - off);
      auto it = pages_.find(addr / kPage);
      if (it == pages_.end())
        std::memset(d, cfg_.fill, k);
      else
        std::memcpy(d, it->second.get() + off, k);
      addr += k;
      d += k;
      n -= k;
    }
  }
  std::vector<uint8_t> read_vec(uint64_t addr, size_t n) const {
    std::vector<uint8_t> v(n);
    read(addr, v.data(), n);
    return v;
  }
  void write_vec(uint64_t addr, const std::vector<uint8_t>& v) { write(addr, v.data(), v.size()); }
  void fill(uint64_t addr, size_t n, uint8_t value) {
    std::vector<uint8_t> v(std::min<size_t>(n, kPage), value);
    while (n) {
      size_t k = std::min(n, v.size());
      write(addr, v.data(), k);
      addr += k;
      n -= k;
    }
  }
  uint8_t read_u8(uint64_t a) const { uint8_t v; read(a, &v, 1); return v; }
  uint32_t read_u32(uint64_t a) const { uint32_t v; read(a, &v, 4); return v; }
  uint64_t read_u64(uint64_t a) const { uint64_t v; read(a, &v, 8); return v; }
  void write_u32(uint64_t a, uint32_t v) { write(a, &v, 4); }
  void write_u64(uint64_t a, uint64_t v) { write(a, &v, 8); }
  // Loads a whole file at addr; returns its size.
  size_t load_file(const std::string& path, uint64_t addr) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("axi_ddr: cannot open " + path);
    std::vector<char> buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    write(addr, buf.data(), buf.size());
    return buf.size();
  }
  void dump_file(const std::string& path, uint64_t addr, size_t n) const {
    std::vector<uint8_t> v = read_vec(addr, n);
    std::ofstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("axi_ddr: cannot create " + path);
    f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size()));
    if (!f) throw std::runtime_error("axi_ddr: cannot write " + path);
  }

  // ------------------------------------------------------------------------- status
  const Stats& stats() const { return stats_; }
  const Stats& port_stats(int port) const { return ports_.at(port).st; }
  void clear_stats() {
    stats_ = Stats();
    for (Port& p : ports_) p.st = Stats();
  }
  uint64_t cycle() const { return cycle_; }
  uint64_t protocol_errors() const { return errors_; }
  const std::vector<std::string>& error_log() const { return error_log_; }
  // True when no transaction is queued or in flight on any port.
  bool idle() const {
    for (const Port& p : ports_)
      if (!p.rq.empty() || p.rvalid || !p.awq.empty() || !p.wbuf.empty() || !p.bq.empty() || p.bvalid) return false;
    return true;
  }

 private:
  static constexpr int64_t kUnit = 65536;  // credit units per byte
  static constexpr uint64_t kPage = 4096;

  struct Ax {
    uint64_t addr = 0, id = 0;
    unsigned len = 0, size = 0, burst = 1;
    bool operator==(const Ax& o) const { return addr == o.addr && id == o.id && len == o.len && size == o.size && burst == o.burst; }
  };
  struct Burst {
    Ax ax;
    uint64_t ready = 0;  // reads: first cycle a beat may be presented
    unsigned beat = 0;
    bool err = false;    // out of range
    uint64_t debt = 0;   // reads: DRAM bytes its beats do not pay, taken with its first beat
  };
  struct WBeat {
    std::vector<uint8_t> data, strb;
    bool last = false;
    uint64_t cycle = 0;
    bool operator==(const WBeat& o) const { return data == o.data && strb == o.strb && last == o.last; }
  };
  struct BResp {
    uint64_t id = 0, ready = 0;
    unsigned resp = 0;
  };
  struct Port {
    PortSignals s;
    std::string name;
    bool has_read = false, has_write = false;
    size_t bus = 0;
    std::deque<Burst> rq, awq;
    std::deque<WBeat> wbuf;
    std::deque<BResp> bq;
    // registered outputs
    bool arready = false, rvalid = false, awready = false, wready = false, bvalid = false;
    std::vector<uint8_t> rdata;
    uint64_t rid = 0, r_bytes = 0;
    unsigned rresp = 0;
    bool rlast = false;
    int64_t w_reserved = 0;
    // sampled in pre_edge
    bool ar_hs = false, r_hs = false, aw_hs = false, w_hs = false, b_hs = false;
    bool ar_pend = false, aw_pend = false, w_pend = false, r_pend = false, b_pend = false;
    Ax ar_last, aw_last;
    WBeat w_last;
    Stats st;
  };

  Config cfg_;
  std::vector<Port> ports_;
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> pages_;
  uint64_t cycle_ = 0;
  int64_t credit_ = 0, credit_inc_ = 0;
  uint64_t max_beat_ = 0;
  size_t rr_ = 0;
  uint64_t rng_;
  uint64_t errors_ = 0;
  std::vector<std::string> error_log_;
  Stats stats_;

  uint8_t* page(uint64_t addr) {
    auto& pg = pages_[addr / kPage];
    if (!pg) {
      pg.reset(new uint8_t[kPage]);
      std::memset(pg.get(), cfg_.fill, kPage);
    }
    return pg.get();
  }

  bool stall() {
    if (!cfg_.ready_stall_percent) return false;
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return (rng_ % 100) < cfg_.ready_stall_percent;
  }

  bool take_credit(uint64_t bytes) {
    if (!credit_inc_) return true;
    int64_t need = static_cast<int64_t>(bytes) * kUnit;
    if (credit_ < need) return false;
    credit_ -= need;
    return true;
  }

  void error(Port& p, const std::string& what) {
    errors_++;
    if (error_log_.size() < cfg_.max_logged_errors) {
      std::string m = "axi_ddr: cycle " + std::to_string(cycle_) + " " + p.name + ": " + what;
      error_log_.push_back(m);
      if (cfg_.print_errors) std::fprintf(stderr, "%s\n", m.c_str());
    }
  }

  Ax sample_ax(const Port& p, bool rd) const {
    const PortSignals& s = p.s;
    Ax a;
    a.addr = (rd ? s.araddr : s.awaddr).get();
    a.len = static_cast<unsigned>((rd ? s.arlen : s.awlen).get() & 0xff) + 1;
    const Sig& sz = rd ? s.arsize : s.awsize;
    unsigned lg = 0;
    while ((1u << lg) < p.bus) lg++;
    a.size = sz.bound() ? static_cast<unsigned>(sz.get() & 7) : lg;
    const Sig& bu = rd ? s.arburst : s.awburst;
    a.burst = bu.bound() ? static_cast<unsigned>(bu.get() & 3) : 1;
    const Sig& id = rd ? s.arid : s.awid;
    a.id = id.bound() ? id.get() : 0;
    return a;
  }

  // Checks a burst; returns false (after logging) if it cannot be served as specified.
  bool check_burst(Port& p, const Ax& a, const char* ch) {
    bool ok = true;
    char buf[160];
    if ((1ull << a.size) > p.bus) {
      std::snprintf(buf, sizeof buf, "%s size 2^%u exceeds the %zu-byte bus", ch, a.size, p.bus);
      error(p, buf);
      ok = false;
    }
    uint64_t nb = 1ull << a.size;
    if (a.burst == 1) {
      uint64_t aligned = a.addr & ~(nb - 1);
      uint64_t last = aligned + uint64_t(a.len) * nb - 1;
      if ((a.addr >> 12) != (last >> 12)) {
        std::snprintf(buf, sizeof buf, "%s INCR burst 0x%" PRIx64 " len %u size %" PRIu64 " crosses a 4 KiB boundary", ch, a.addr, a.len, nb);
        error(p, buf);
      }
    } else if (a.burst == 2) {
      if (!(a.len == 2 || a.len == 4 || a.len == 8 || a.len == 16) || (a.addr & (nb - 1))) {
        std::snprintf(buf, sizeof buf, "%s WRAP burst 0x%" PRIx64 " len %u is illegal", ch, a.addr, a.len);
        error(p, buf);
      }
    } else if (a.burst == 3) {
      std::snprintf(buf, sizeof buf, "%s reserved burst type 3", ch);
      error(p, buf);
      ok = false;
    }
    return ok;
  }

  // Byte address of beat i of a burst (AXI4 spec A3.4.1).
  static uint64_t beat_addr(const Ax& a, unsigned i) {
    uint64_t nb = 1ull << a.size;
    if (a.burst == 0) return a.addr;
    uint64_t aligned = a.addr & ~(nb - 1);
    if (a.burst == 2) {
      uint64_t wrap = nb * a.len, lower = a.addr & ~(wrap - 1);
      return lower + ((a.addr - lower + uint64_t(i) * nb) & (wrap - 1));
    }
    return i == 0 ? a.addr : aligned + uint64_t(i) * nb;
  }

  bool in_range(uint64_t addr, uint64_t n) const {
    if (!cfg_.mem_size) return true;
    return addr >= cfg_.mem_base && addr - cfg_.mem_base + n <= cfg_.mem_size;
  }

  // Bytes the DRAM spends on a burst: the whole DRAM bursts its beats touch (dram_burst_bytes = 0:
  // the beats' own bytes). `paid` is what its beats pay from the credit.
  uint64_t dram_cost(const Ax& a, uint64_t paid) const {
    const uint64_t d = cfg_.dram_burst_bytes;
    if (!d) return paid;
    const uint64_t nb = 1ull << a.size;
    auto blocks = [d](uint64_t lo, uint64_t n) { return (lo + n - 1) / d - lo / d + 1; };
    uint64_t n;
    if (a.burst == 0) n = uint64_t(a.len) * blocks(a.addr & ~(nb - 1), nb);             // FIXED: one address
    else if (a.burst == 2) n = blocks(a.addr & ~(nb * a.len - 1), nb * a.len);          // WRAP: its window
    else n = blocks(a.addr & ~(nb - 1), uint64_t(a.len) * nb);                            // INCR
    return std::max(paid, n * d);
  }
  // Counts a burst's DRAM time; returns what its beats do not pay (command granularity).
  uint64_t charge_command(Port& p, const Ax& a, uint64_t paid) {
    uint64_t cost = dram_cost(a, paid);
    p.st.dram_bytes += cost;
    stats_.dram_bytes += cost;
    return cost - paid;
  }
  // Takes a debt from the credit (it may go negative: later beats wait until it is repaid).
  void take_debt(uint64_t bytes) {
    if (credit_inc_) credit_ -= static_cast<int64_t>(bytes) * kUnit;
  }

  void accept_ar(Port& p) {
    Burst b;
    b.ax = p.ar_last;
    if (!check_burst(p, b.ax, "AR")) b.err = true;
    b.debt = charge_command(p, b.ax, uint64_t(b.ax.len) * std::min<uint64_t>(1ull << std::min<unsigned>(b.ax.size, 7), p.bus));
    b.ready = cycle_ + cfg_.read_latency;
    p.rq.push_back(b);
    p.st.read_bursts++;
    stats_.read_bursts++;
  }

  void accept_aw(Port& p) {
    Burst b;
    b.ax = p.aw_last;
    if (!check_burst(p, b.ax, "AW")) b.err = true;
    take_debt(charge_command(p, b.ax, uint64_t(b.ax.len) * p.bus));  // a W reservation pays a full bus beat
    b.ready = cycle_;
    p.awq.push_back(b);
    p.st.write_bursts++;
    stats_.write_bursts++;
  }

  // Loads the next R beat of the port into its output register; false if none could be.
  bool present_r(Port& p) {
    if (p.rq.empty()) return false;
    Burst& b = p.rq.front();
    if (b.ready > cycle_) return false;
    uint64_t nb = 1ull << std::min<unsigned>(b.ax.size, 7);
    if (stall()) return false;
    if (!take_credit(std::min<uint64_t>(nb, p.bus))) return false;
    if (b.beat == 0) take_debt(b.debt);
    uint64_t a = beat_addr(b.ax, b.beat), base = a & ~uint64_t(p.bus - 1);
    bool ok = !b.err && in_range(base, p.bus);
    if (ok)
      read(base, p.rdata.data(), p.bus);
    else
      std::fill(p.rdata.begin(), p.rdata.end(), 0);
    p.rresp = ok ? 0 : 2;
    p.rid = b.ax.id;
    p.r_bytes = std::min<uint64_t>(nb, p.bus);
    p.rlast = b.beat + 1 == b.ax.len;
    p.rvalid = true;
    if (++b.beat == b.ax.len) p.rq.pop_front();
    return true;
  }

  void apply_writes(Port& p) {
    while (!p.wbuf.empty() && !p.awq.empty()) {
      Burst& b = p.awq.front();
      WBeat& w = p.wbuf.front();
      bool last = b.beat + 1 == b.ax.len;
      if (p.s.wlast.bound() && w.last != last) {
        char buf[120];
        std::snprintf(buf, sizeof buf, "WLAST=%d on beat %u of a %u-beat burst at 0x%" PRIx64, int(w.last), b.beat + 1, b.ax.len, b.ax.addr);
        error(p, buf);
      }
      uint64_t nb = 1ull << std::min<unsigned>(b.ax.size, 7);
      uint64_t a = beat_addr(b.ax, b.beat), base = a & ~uint64_t(p.bus - 1);
      if (!b.err && in_range(base, p.bus)) {
        for (size_t i = 0; i < p.bus; i++)
          if (w.strb[i]) page(base + i)[(base + i) & (kPage - 1)] = w.data[i];
      } else {
        b.err = true;
      }
      p.st.bytes_written += std::min<uint64_t>(nb, p.bus);
      stats_.bytes_written += std::min<uint64_t>(nb, p.bus);
      b.ready = std::max(b.ready, w.cycle);
      p.wbuf.pop_front();
      if (++b.beat == b.ax.len) {
        BResp r;
        r.id = b.ax.id;
        r.resp = b.err ? 2 : 0;
        r.ready = b.ready + cfg_.write_latency;
        p.bq.push_back(r);
        p.awq.pop_front();
      }
    }
  }

  void drive(Port& p) {
    const PortSignals& s = p.s;
    if (p.has_read) {
      s.arready.set(p.arready);
      s.rvalid.set(p.rvalid);
      s.rdata.set_bytes(p.rdata.data(), p.bus);
      if (s.rresp.bound()) s.rresp.set(p.rresp);
      if (s.rlast.bound()) s.rlast.set(p.rlast);
      if (s.rid.bound()) s.rid.set(p.rid);
    }
    if (p.has_write) {
      s.awready.set(p.awready);
      s.wready.set(p.wready);
      s.bvalid.set(p.bvalid);
      const BResp* r = p.bvalid ? &p.bq.front() : nullptr;
      if (s.bresp.bound()) s.bresp.set(r ? r->resp : 0);
      if (s.bid.bound()) s.bid.set(r ? r->id : 0);
    }
  }
};

}  // namespace axi_ddr
