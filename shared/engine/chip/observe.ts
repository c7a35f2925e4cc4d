/**
 * What the lab can read off the chip. Spike events (neuron, time) are always available;
 * membrane potentials only through the 8-bit column ADC, sampled every `adcSamplePeriodUs` of
 * hardware time (1 µs = 1 ms of model time at the 1000× speed-up), over a limited window:
 * codes 0…255 cover [E_L − 0.5 s, E_L + 1.5 s] of a neuron with span s = ϑ − E_L (model values);
 * potentials outside the window read as the end codes.
 */

export const ADC_BITS = 8;
export const ADC_CODES = 1 << ADC_BITS;
/** Lower and upper end of the ADC window, in spans above the model leak potential. */
export const ADC_WINDOW_LOW_SPAN = -0.5;
export const ADC_WINDOW_HIGH_SPAN = 1.5;

/** The ADC code of a potential v for a neuron with model leak `vLeak` and span `span`. */
export function adcCode(v: number, vLeak: number, span: number): number {
  const lo = vLeak + ADC_WINDOW_LOW_SPAN * span;
  const hi = vLeak + ADC_WINDOW_HIGH_SPAN * span;
  const code = Math.round(((v - lo) / (hi - lo)) * (ADC_CODES - 1));
  return Math.max(0, Math.min(ADC_CODES - 1, code));
}

/** The potential a code stands for (the reading the lab gets back). */
export function adcValue(code: number, vLeak: number, span: number): number {
  const lo = vLeak + ADC_WINDOW_LOW_SPAN * span;
  const hi = vLeak + ADC_WINDOW_HIGH_SPAN * span;
  return lo + (code / (ADC_CODES - 1)) * (hi - lo);
}

/** Reads a potential through the ADC: quantised to 8 bits and clipped to the window. */
export function adcRead(v: number, vLeak: number, span: number): number {
  return adcValue(adcCode(v, vLeak, span), vLeak, span);
}

/** Model time between two ADC samples, ms (the chip runs 1000× faster than the model). */
export function adcSamplePeriodModelMs(adcSamplePeriodUs: number): number {
  return adcSamplePeriodUs; // 1 µs of hardware time = 1000 µs = 1 ms of model time
}
