/**
 * Surrogate derivatives of the spike nonlinearity s = H(x), x = U − ϑ, H(0) = 1. The forward pass
 * keeps the Heaviside; the backward pass uses σ'(x) in place of δ(x):
 * - `superspike` (Zenke & Ganguli 2018, fast sigmoid): σ'(x) = 1 / (β|x| + 1)²
 * - `sigmoid` (logistic): σ'(x) = β·S(βx)(1 − S(βx)), S(z) = 1 / (1 + e^{−z})
 * - `triangle` (Esser et al. 2016; Bellec et al. 2018): σ'(x) = max(0, 1 − β|x|)
 * `smoothSpike` is an antiderivative of each, a smooth spike function whose exact derivative is
 * the surrogate: a network using it in the forward pass (the proxy network of the gradient
 * tests) has the BPTT gradient of the surrogate network as its true gradient.
 */
export type SurrogateShape = 'superspike' | 'sigmoid' | 'triangle';

export const SURROGATE_SHAPES: Readonly<Record<SurrogateShape, { derivative(x: number, beta: number): number; smoothSpike(x: number, beta: number): number }>> = {
  superspike: {
    derivative: (x, beta) => {
      const d = beta * Math.abs(x) + 1;
      return 1 / (d * d);
    },
    smoothSpike: (x, beta) => 0.5 + x / (1 + beta * Math.abs(x)),
  },
  sigmoid: {
    derivative: (x, beta) => {
      const s = 1 / (1 + Math.exp(-beta * x));
      return beta * s * (1 - s);
    },
    smoothSpike: (x, beta) => 1 / (1 + Math.exp(-beta * x)),
  },
  triangle: {
    derivative: (x, beta) => Math.max(0, 1 - beta * Math.abs(x)),
    smoothSpike: (x, beta) => {
      const a = Math.abs(x);
      const r = 1 / beta;
      // ∫₀^|x| max(0, 1 − βy) dy, odd in x, shifted by the half area so it rises from 0 to 1/β.
      const half = a >= r ? r / 2 : a - (beta * a * a) / 2;
      return r / 2 + Math.sign(x) * half;
    },
  },
};
