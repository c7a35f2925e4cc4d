/**
 * Adam (Kingma & Ba 2015) over named parameter arrays, in place:
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ − η·m̂/(√v̂ + ε),
 *   m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
 * The step counter and the moments are part of a checkpoint (`getState`/`setState`).
 */
import type { ParamSet } from '../methods/types.ts';

export interface AdamOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export interface AdamState {
  readonly step: number;
  readonly m: Readonly<Record<string, number[]>>;
  readonly v: Readonly<Record<string, number[]>>;
}

export class Adam {
  private step = 0;
  private readonly m: Record<string, Float64Array> = {};
  private readonly v: Record<string, Float64Array> = {};

  constructor(
    private readonly params: ParamSet,
    private readonly options: AdamOptions,
  ) {
    for (const [name, p] of Object.entries(params)) {
      this.m[name] = new Float64Array(p.length);
      this.v[name] = new Float64Array(p.length);
    }
  }

  /** One update of every parameter from the same-named gradient array. */
  update(grads: ParamSet, learningRate: number): void {
    const { beta1, beta2, epsilon } = this.options;
    this.step++;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    for (const [name, p] of Object.entries(this.params)) {
      const g = grads[name]!;
      const m = this.m[name]!;
      const v = this.v[name]!;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        const mi = beta1 * m[i]! + (1 - beta1) * gi;
        const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i]! - (learningRate * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
      }
    }
  }

  getState(): AdamState {
    const m: Record<string, number[]> = {};
    const v: Record<string, number[]> = {};
    for (const name of Object.keys(this.m)) {
      m[name] = Array.from(this.m[name]!);
      v[name] = Array.from(this.v[name]!);
    }
    return { step: this.step, m, v };
  }

  setState(state: AdamState): void {
    this.step = state.step;
    for (const name of Object.keys(this.m)) {
      this.m[name]!.set(state.m[name] ?? []);
      this.v[name]!.set(state.v[name] ?? []);
    }
  }
}
