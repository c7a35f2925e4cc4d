import { createHash } from 'node:crypto';
import {
  AxisSpec,
  canonicalJson,
  parseTrialConfig,
  NotImplementedError,
  SweepSpec,
  trialIdOf,
  ValidationError,
  type TrialConfig,
} from '../contracts/index.ts';
import { formatPath } from '../contracts/validate.ts';
import { methodFor } from '../engine/methods/index.ts';
import { modeFor } from '../engine/modes.ts';

/**
 * Planning: a sweep spec becomes an ordered list of validated trials. Pure and deterministic:
 * the same spec always gives the same sweep id, the same trials and the same order, on any
 * machine, so submitting a spec twice (or resuming it) finds the trials it already has.
 */

export interface PlannedTrial {
  readonly trialId: string;
  readonly config: TrialConfig;
}

export interface SweepPlan {
  /** Hash of the canonical validated spec and its trial ids (see sweepIdOf). */
  readonly sweepId: string;
  readonly spec: SweepSpec;
  /** Distinct trials in plan order (a config planned twice appears once). */
  readonly trials: readonly PlannedTrial[];
  /** Axis paths the spec varies, `seed` included when repeats > 1. */
  readonly axes: readonly string[];
}

/** Renders a spec issue path, quoting axis keys: `axes["training.learningRate"].loguniform[0]`. */
export function formatSpecPath(path: readonly PropertyKey[]): string {
  if (path[0] === 'axes' && typeof path[1] === 'string') {
    const rest = formatPath(path.slice(2));
    return `axes[${JSON.stringify(path[1])}]${rest === '' || rest.startsWith('[') ? rest : '.' + rest}`;
  }
  return formatPath(path);
}

/** Validates a spec (parsed YAML/JSON), filling defaults; issues name the spec path. */
export function parseSweepSpec(input: unknown): SweepSpec {
  const parsed = SweepSpec.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    'spikesweep:invalid-spec',
    parsed.error.issues.map((issue) => ({ path: formatSpecPath(issue.path), message: issue.message })),
    { cause: parsed.error },
  );
}

/**
 * Sweep id: the first 16 hex digits of the SHA-256 of the canonical validated spec together
 * with its planned trial ids. The ids make it the identity of the expanded study: if a
 * release changes a config default, the same spec plans other trials and gets a new id,
 * rather than mixing old and new trials under one sweep.
 */
export function sweepIdOf(spec: SweepSpec, trialIds: readonly string[]): string {
  return createHash('sha256').update(canonicalJson({ spec, trialIds })).digest('hex').slice(0, 16);
}

/**
 * A uniform draw in [0, 1) that depends only on (seed, point, axis): adding an axis or
 * raising `count` leaves the other draws unchanged. 53 bits from SHA-256.
 */
export function uniformDraw(seed: number, point: number, axis: string): number {
  const digest = createHash('sha256').update(`${seed}\u0000${point}\u0000${axis}`).digest();
  const hi = digest.readUInt32BE(0) >>> 5; // 27 bits
  const lo = digest.readUInt32BE(4) >>> 6; // 26 bits
  return (hi * 67108864 + lo) / 9007199254740992;
}

type Axis = AxisSpec;

function isGridAxis(axis: Axis): axis is unknown[] | { range: [number, number] } {
  return Array.isArray(axis) || 'range' in axis;
}

function gridValues(axis: unknown[] | { range: [number, number] }): unknown[] {
  if (Array.isArray(axis)) return axis;
  const [a, b] = axis.range;
  return Array.from({ length: b - a }, (_, i) => a + i);
}

function sampleValue(axis: Exclude<Axis, unknown[] | { range: [number, number] }>, u: number): number {
  if ('uniform' in axis) return axis.uniform[0] + u * (axis.uniform[1] - axis.uniform[0]);
  if ('loguniform' in axis) {
    const [a, b] = axis.loguniform;
    return Math.exp(Math.log(a) + u * (Math.log(b) - Math.log(a)));
  }
  const [a, b] = axis.int;
  return a + Math.floor(u * (b - a + 1));
}

/** Sets `path` (dot-separated) in a deep copy of `target`, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const out = structuredClone(target);
  const keys = path.split('.');
  let node: Record<string, unknown> = out;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (!next || typeof next !== 'object' || Array.isArray(next)) {
      throw new ValidationError('spikesweep:invalid-spec', [
        { path: `axes[${JSON.stringify(path)}]`, message: `'${key}' in the base config is not an object` },
      ]);
    }
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = structuredClone(value);
  return out;
}

/** One planned point before validation: the values it sets and where each came from. */
interface Point {
  readonly values: ReadonlyMap<string, { value: unknown; source: string }>;
}

function cross(points: Point[], axis: string, values: unknown[], describe: (i: number) => string): Point[] {
  const out: Point[] = [];
  for (const point of points) {
    values.forEach((value, i) => {
      const next = new Map(point.values);
      next.set(axis, { value, source: describe(i) });
      out.push({ values: next });
    });
  }
  return out;
}

/**
 * Expands a spec into trials. Every config is validated with parseTrialConfig; an invalid one
 * fails the whole plan with issues that name the spec path (`axes["seed"][2]: …` for a value
 * an axis set, `base.training.epochs: …` otherwise). Methods or modes the engine does not
 * run yet fail with NotImplementedError.
 */
export function planSweep(input: unknown): SweepPlan {
  const spec = parseSweepSpec(input);
  const axisEntries = Object.entries(spec.axes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const issues: { path: string; message: string }[] = [];

  if (spec.repeats > 1 && 'seed' in spec.axes) {
    issues.push({ path: 'repeats', message: 'repeats vary `seed`; use either repeats or a `seed` axis' });
  }
  const sampled = axisEntries.filter(([, axis]) => !isGridAxis(axis));
  if (spec.strategy.kind === 'grid') {
    for (const [path, axis] of sampled) {
      issues.push({ path: `axes[${JSON.stringify(path)}]`, message: `${Object.keys(axis)[0]} is sampled; it needs strategy {kind: random, count}` });
    }
  }
  if (issues.length > 0) throw new ValidationError('spikesweep:invalid-spec', issues);

  let points: Point[] = [{ values: new Map() }];
  if (spec.strategy.kind === 'random') {
    const { count, seed } = spec.strategy;
    points = Array.from({ length: count }, (_, point) => ({
      values: new Map(
        sampled.map(([path, axis]) => [
          path,
          {
            value: sampleValue(axis as Exclude<Axis, unknown[] | { range: [number, number] }>, uniformDraw(seed, point, path)),
            source: `axes[${JSON.stringify(path)}]`,
          },
        ]),
      ),
    }));
  }
  for (const [path, axis] of axisEntries) {
    if (!isGridAxis(axis)) continue;
    const values = gridValues(axis);
    points = cross(points, path, values, (i) => (Array.isArray(axis) ? `axes[${JSON.stringify(path)}][${i}]` : `axes[${JSON.stringify(path)}]`));
  }
  if (spec.repeats > 1) {
    const baseSeed = typeof spec.base.seed === 'number' ? spec.base.seed : 0;
    const seeds = Array.from({ length: spec.repeats }, (_, r) => baseSeed + r);
    points = cross(points, 'seed', seeds, () => 'repeats');
  }
  if (points.length > spec.limits.maxTrials) {
    throw new ValidationError('spikesweep:invalid-spec', [
      { path: 'limits.maxTrials', message: `the plan has ${points.length} trials, more than limits.maxTrials = ${spec.limits.maxTrials}` },
    ]);
  }

  const trials: PlannedTrial[] = [];
  const seen = new Set<string>();
  for (const point of points) {
    let raw: Record<string, unknown> = spec.base;
    for (const [path, { value }] of point.values) raw = setPath(raw, path, value);
    let config: TrialConfig;
    try {
      config = parseTrialConfig(raw);
      // Methods and modes the schema knows but the engine does not run yet fail here, at submit time.
      methodFor(config);
      modeFor(config);
    } catch (error) {
      throw renameConfigError(error, point);
    }
    const trialId = trialIdOf(config);
    if (seen.has(trialId)) continue;
    seen.add(trialId);
    trials.push({ trialId, config });
  }
  const axes = axisEntries.map(([path]) => path);
  if (spec.repeats > 1) axes.push('seed');
  return { sweepId: sweepIdOf(spec, trials.map((t) => t.trialId)), spec, trials, axes };
}

/** Maps a config path (`training.learningRate`) to the spec field that set it. */
function renameConfigError(error: unknown, point: Point): unknown {
  const sourceOf = (configPath: string): string => {
    for (const [axis, { source }] of point.values) {
      if (configPath === axis || configPath.startsWith(axis + '.') || configPath.startsWith(axis + '[') || axis.startsWith(configPath + '.')) {
        return source + (configPath.length > axis.length ? configPath.slice(axis.length) : '');
      }
    }
    return configPath === '' ? 'base' : `base.${configPath}`;
  };
  if (error instanceof ValidationError) {
    return new ValidationError(
      'spikesweep:invalid-spec',
      error.issues.map((issue) => ({ path: sourceOf(issue.path), message: issue.message })),
      { cause: error },
    );
  }
  if (error instanceof NotImplementedError) {
    const from = point.values.get('method')?.source ?? point.values.get('mode')?.source ?? 'base';
    return new NotImplementedError(`${from}: ${error.message}`);
  }
  return error;
}
