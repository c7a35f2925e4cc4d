/**
 * The method registry: one `MethodDefinition` per built method, keyed by `config.method`
 * (see ./types.ts for how to add one). A method the contracts know but the engine has not
 * built yet has no entry; `parseTrialConfig` rejects it before it gets here.
 */
import type { MethodName, TrialConfig } from '../../contracts/trial.ts';
import { NotImplementedError } from '../../contracts/errors.ts';
import type { MethodDefinition } from './types.ts';
import { surrogateMethod } from './surrogate/index.ts';
import { spikeTimeMethod } from './spike-time/index.ts';
import { eventPropMethod } from './eventprop/index.ts';

type MethodRegistry = { readonly [M in TrialConfig['method']]: MethodDefinition<Extract<TrialConfig, { method: M }>> };

export const METHODS: MethodRegistry = {
  surrogate: surrogateMethod,
  'spike-time': spikeTimeMethod,
  eventprop: eventPropMethod,
};

/** The definition that runs `config` (typed for that config's method). */
export function methodFor<C extends TrialConfig>(config: C): MethodDefinition<C> {
  const method = (METHODS as Partial<Record<MethodName, MethodDefinition<C>>>)[config.method];
  if (!method) throw new NotImplementedError(`method: '${config.method}' is not built yet`);
  return method;
}
