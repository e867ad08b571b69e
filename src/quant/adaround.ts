/**
 * Learned rounding of one output channel's weights (AdaRound, Nagel et al. 2020), on the moments
 * of its input taps: each weight rounds down or up, q = floor(w / s) + h with h in {0, 1}, chosen to
 * minimise the channel's output error. h is relaxed to a rectified sigmoid of a free variable v,
 * h = clamp(sigmoid(v) (ZETA - GAMMA) + GAMMA, 0, 1), started at the weight's fractional part; Adam
 * minimises the error plus LAMBDA sum(1 - |2h - 1|^beta), the regulariser switched on after WARMUP
 * of the iterations with beta annealed from 20 to 2, which drives every h to 0 or 1; then h rounds,
 * and a coordinate descent over single weights (floor or ceil) takes the flips that still pay.
 * Plain Float64Array loops: a channel's fan-in is at most a few hundred. No TensorFlow.js here
 * (the CLI reads ADAROUND_ITERATIONS without starting it).
 */

/** Adam steps of learned rounding per output channel. */
export const ADAROUND_ITERATIONS = 400;

export const dot = (q: ArrayLike<number>, x: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < q.length; i++) s += q[i] * x[i];
  return s;
};

/** q^T G q for a symmetric F x F matrix G. */
export function quadratic(G: Float64Array, q: ArrayLike<number>): number {
  const F = q.length;
  let s = 0;
  for (let i = 0; i < F; i++) {
    let r = 0;
    for (let j = 0; j < F; j++) r += G[i * F + j] * q[j];
    s += q[i] * r;
  }
  return s;
}

/** The rounding's error up to a constant: s^2 q^T G q - 2 s q . h (E[(s q . x - t)^2] - E[t^2]). */
export function roundingError(G: Float64Array, h: Float64Array, q: ArrayLike<number>, s: number): number {
  return s * s * quadratic(G, q) - 2 * s * dot(q, h);
}

// Rectified sigmoid of AdaRound: h = clamp(sigmoid(v) (ZETA - GAMMA) + GAMMA, 0, 1).
const ZETA = 1.1, GAMMA = -0.1;
/** Weight of the regulariser against the error of one step flip of a weight. */
const LAMBDA = 0.1;
/** Adam on the rounding variables. */
const LR = 0.05, BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;
/** The regulariser starts after this share of the iterations, its exponent annealed from 20 to 2. */
const WARMUP = 0.2;

/**
 * Learned rounding of one output channel's weights `w` at scale `s` to codes in qmin..qmax,
 * minimising s^2 q^T G q - 2 s q . h (G: E[x x^T] of the input taps, h: E[x t]).
 */
export function learnedRounding(G: Float64Array, h: Float64Array, w: ArrayLike<number>, s: number, qmin: number, qmax: number, iterations: number): Int8Array {
  const F = w.length;
  const base = Float64Array.from(w, (v) => Math.floor(v / s));
  const v = Float64Array.from(w, (x, i) => {
    const frac = x / s - base[i];
    return -Math.log((ZETA - GAMMA) / (frac - GAMMA) - 1);
  });
  // The error's scale: one weight moved by one step changes it by about s^2 G_ii.
  let diag = 0;
  for (let i = 0; i < F; i++) diag += G[i * F + i];
  const norm = (s * s * diag) / F || 1;
  const m1 = new Float64Array(F), m2 = new Float64Array(F), q = new Float64Array(F), g = new Float64Array(F), hv = new Float64Array(F), dh = new Float64Array(F);
  const warm = Math.floor(WARMUP * iterations);
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < F; i++) {
      const sg = 1 / (1 + Math.exp(-v[i])), raw = sg * (ZETA - GAMMA) + GAMMA;
      hv[i] = raw < 0 ? 0 : raw > 1 ? 1 : raw;
      dh[i] = raw > 0 && raw < 1 ? sg * (1 - sg) * (ZETA - GAMMA) : 0;
      const c = base[i] + hv[i];
      q[i] = c < qmin ? qmin : c > qmax ? qmax : c;
      if (c < qmin || c > qmax) dh[i] = 0;
    }
    const beta = it < warm ? 0 : 20 + ((2 - 20) * (it - warm)) / Math.max(1, iterations - warm);
    for (let i = 0; i < F; i++) {
      let r = 0;
      for (let j = 0; j < F; j++) r += G[i * F + j] * q[j];
      let grad = (2 * s * s * r - 2 * s * h[i]) / norm; // d error / d q_i
      if (beta) {
        const u = 2 * hv[i] - 1, a = Math.abs(u);
        grad += LAMBDA * -beta * a ** (beta - 1) * Math.sign(u) * 2; // d (1 - |2h - 1|^beta) / d h
      }
      g[i] = grad * dh[i];
    }
    const t = it + 1, c1 = 1 - BETA1 ** t, c2 = 1 - BETA2 ** t;
    for (let i = 0; i < F; i++) {
      m1[i] = BETA1 * m1[i] + (1 - BETA1) * g[i];
      m2[i] = BETA2 * m2[i] + (1 - BETA2) * g[i] * g[i];
      v[i] -= (LR * (m1[i] / c1)) / (Math.sqrt(m2[i] / c2) + EPS);
    }
  }
  // h >= 0.5 exactly where v >= 0.
  const out = Int8Array.from(base, (b, i) => Math.max(qmin, Math.min(qmax, b + (v[i] >= 0 ? 1 : 0))));
  polish(G, h, w, s, qmin, qmax, out);
  return out;
}

/** Sweeps of the final descent over single weights. */
const POLISH_SWEEPS = 8;

/**
 * Coordinate descent on the rounded codes: each weight moves to its other rounding (floor or
 * ceil of w / s, within the codes) where that lowers the error, until a sweep changes nothing.
 * The relaxation's rounding can leave single flips that pay; each costs O(F) with G q kept.
 */
function polish(G: Float64Array, h: Float64Array, w: ArrayLike<number>, s: number, qmin: number, qmax: number, q: Int8Array): void {
  const F = q.length;
  const r = new Float64Array(F); // G q
  for (let i = 0; i < F; i++) for (let j = 0; j < F; j++) r[i] += G[i * F + j] * q[j];
  for (let sweep = 0; sweep < POLISH_SWEEPS; sweep++) {
    let moved = false;
    for (let i = 0; i < F; i++) {
      const lo = Math.floor(w[i] / s);
      const other = q[i] === lo ? lo + 1 : lo;
      if (other < qmin || other > qmax) continue;
      const d = other - q[i];
      // The error's change: s^2 (2 d (G q)_i + d^2 G_ii) - 2 s d h_i.
      if (s * s * (2 * d * r[i] + d * d * G[i * F + i]) - 2 * s * d * h[i] >= -1e-12 * s * s * G[i * F + i]) continue;
      q[i] = other;
      for (let k = 0; k < F; k++) r[k] += d * G[k * F + i];
      moved = true;
    }
    if (!moved) break;
  }
}
