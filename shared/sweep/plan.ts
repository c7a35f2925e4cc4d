import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  AxisSpec,
  canonicalJson,
  parseTrialConfig,
  NotImplementedError,
  SweepSpec,
  TooLargeError,
  TrialConfig as TrialConfigSchema,
  trialIdOf,
  ValidationError,
  type TrialConfig,
} from '../contracts/index.ts';
import { assertWithinLimits, bracketDepth, SPEC_LIMITS, SPEC_MAX_BYTES } from '../contracts/limits.ts';
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
  assertWithinLimits(input, SPEC_LIMITS);
  const parsed = SweepSpec.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    'spikesweep:invalid-spec',
    parsed.error.issues.map((issue) => ({ path: formatSpecPath(issue.path), message: issue.message })),
    { cause: parsed.error },
  );
}

/**
 * Bump when planning itself changes (draws, order, expansion), so that the same spec planned
 * by another planner gets another sweep id.
 */
export const PLANNER_VERSION = 2;

let trialSchemaFingerprint: string | undefined;

/**
 * Hash of the TrialConfig schema as JSON Schema, defaults included. Every config default
 * lives in that schema, so a release that changes a default (and so the configs, and the
 * trial ids, a spec expands to) changes this fingerprint.
 */
export function trialSchemaFingerprintOf(): string {
  trialSchemaFingerprint ??= createHash('sha256')
    .update(JSON.stringify(z.toJSONSchema(TrialConfigSchema, { unrepresentable: 'any', io: 'input' })))
    .digest('hex');
  return trialSchemaFingerprint;
}

/**
 * Sweep id: the first 16 hex digits of the SHA-256 of the canonical validated spec, the
 * TrialConfig schema fingerprint and the planner version. Those three fix the expanded study
 * (planning is pure), so the id is known before expansion — a large sweep answers with its id
 * at once and plans afterwards — and if a release changes a config default, the same spec gets
 * a new id rather than mixing old and new trials under one sweep.
 */
export function sweepIdOf(spec: SweepSpec): string {
  return createHash('sha256')
    .update(canonicalJson({ spec, trialSchema: trialSchemaFingerprintOf(), planner: PLANNER_VERSION }))
    .digest('hex')
    .slice(0, 16);
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
type GridAxis = unknown[] | { range: [number, number] };
type SampledAxis = Exclude<Axis, GridAxis>;

function isGridAxis(axis: Axis): axis is GridAxis {
  return Array.isArray(axis) || 'range' in axis;
}

/** Number of values of a grid axis, without listing them. */
function gridSize(axis: GridAxis): number {
  return Array.isArray(axis) ? axis.length : axis.range[1] - axis.range[0];
}

function gridValue(axis: GridAxis, i: number): unknown {
  return Array.isArray(axis) ? axis[i] : axis.range[0] + i;
}

function sampleValue(axis: SampledAxis, u: number): number {
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

/**
 * One dimension of the plan's odometer: `size` positions, each setting one or more paths.
 * The random strategy is one dimension (point k sets every sampled axis); each grid axis is
 * one; `repeats` is the last.
 */
interface Dimension {
  readonly size: number;
  assign(position: number, values: Map<string, { value: unknown; source: string }>): void;
}

/** A spec checked for planning: its trial count is known, no trial is built yet. */
export interface PlanHeader {
  readonly sweepId: string;
  readonly spec: SweepSpec;
  /** Points the plan will expand (before duplicate configs collapse): ∏ axis sizes × repeats. */
  readonly count: number;
  readonly axes: readonly string[];
  readonly dimensions: readonly Dimension[];
}

export interface PlanOptions {
  /** The server's cap on the trial count, whatever the spec's `limits.maxTrials` says. */
  maxTrials?: number;
}

/** The trial count of a validated spec, from the axis sizes alone (may exceed 2⁵³ or be ∞). */
export function countPlannedTrials(spec: SweepSpec): number {
  let count = spec.strategy.kind === 'random' ? spec.strategy.count : 1;
  for (const axis of Object.values(spec.axes)) if (isGridAxis(axis)) count *= gridSize(axis);
  return count * spec.repeats;
}

/**
 * Validates a spec and counts its trials from the axis sizes, before anything is expanded:
 * a spec over `limits.maxTrials` (or the server's cap) fails here, in time independent of
 * the count. Throws ValidationError (paths name the spec field) or TooLargeError.
 */
export function preparePlan(input: unknown, options: PlanOptions = {}): PlanHeader {
  const spec = parseSweepSpec(input);
  const axisEntries = Object.entries(spec.axes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const issues: { path: string; message: string }[] = [];

  if (spec.repeats > 1 && 'seed' in spec.axes) {
    issues.push({ path: 'repeats', message: 'repeats vary `seed`; use either repeats or a `seed` axis' });
  }
  const sampled = axisEntries.filter((entry): entry is [string, SampledAxis] => !isGridAxis(entry[1]));
  if (spec.strategy.kind === 'grid') {
    for (const [path, axis] of sampled) {
      issues.push({ path: `axes[${JSON.stringify(path)}]`, message: `${Object.keys(axis)[0]} is sampled; it needs strategy {kind: random, count}` });
    }
  }
  if (issues.length > 0) throw new ValidationError('spikesweep:invalid-spec', issues);

  const count = countPlannedTrials(spec);
  if (options.maxTrials !== undefined && count > options.maxTrials) {
    throw new TooLargeError([{ path: 'limits.maxTrials', message: `the plan has ${count} trials; this server plans at most ${options.maxTrials}` }]);
  }
  if (count > spec.limits.maxTrials) {
    throw new ValidationError('spikesweep:invalid-spec', [
      { path: 'limits.maxTrials', message: `the plan has ${count} trials, more than limits.maxTrials = ${spec.limits.maxTrials}` },
    ]);
  }

  const dimensions: Dimension[] = [];
  if (spec.strategy.kind === 'random') {
    const { count: points, seed } = spec.strategy;
    dimensions.push({
      size: points,
      assign: (point, values) => {
        for (const [path, axis] of sampled) values.set(path, { value: sampleValue(axis, uniformDraw(seed, point, path)), source: `axes[${JSON.stringify(path)}]` });
      },
    });
  }
  for (const [path, axis] of axisEntries) {
    if (!isGridAxis(axis)) continue;
    const source = (i: number) => (Array.isArray(axis) ? `axes[${JSON.stringify(path)}][${i}]` : `axes[${JSON.stringify(path)}]`);
    dimensions.push({ size: gridSize(axis), assign: (i, values) => void values.set(path, { value: gridValue(axis, i), source: source(i) }) });
  }
  if (spec.repeats > 1) {
    const baseSeed = typeof spec.base.seed === 'number' ? spec.base.seed : 0;
    dimensions.push({ size: spec.repeats, assign: (r, values) => void values.set('seed', { value: baseSeed + r, source: 'repeats' }) });
  }
  const axes = axisEntries.map(([path]) => path);
  if (spec.repeats > 1) axes.push('seed');
  return { sweepId: sweepIdOf(spec), spec, count, axes, dimensions };
}

/**
 * The plan's points in order, one at a time: the first dimension (the random draw, then grid
 * axes by path) varies slowest, `repeats` fastest. Memory stays O(axes), whatever the count.
 */
function* pointsOf(header: PlanHeader): Generator<Point> {
  const { dimensions } = header;
  const position = dimensions.map(() => 0);
  for (let n = 0; n < header.count; n++) {
    const values = new Map<string, { value: unknown; source: string }>();
    dimensions.forEach((d, i) => d.assign(position[i] as number, values));
    yield { values };
    for (let i = dimensions.length - 1; i >= 0; i--) {
      position[i] = (position[i] as number) + 1;
      if ((position[i] as number) < (dimensions[i] as Dimension).size) break;
      position[i] = 0;
    }
  }
}

/** Builds and validates one point's config; errors name the spec field that set the value. */
function trialOf(spec: SweepSpec, point: Point): PlannedTrial {
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
  return { trialId: trialIdOf(config), config };
}

/**
 * Expands a spec into trials. Every config is validated with parseTrialConfig; an invalid one
 * fails the whole plan with issues that name the spec path (`axes["seed"][2]: …` for a value
 * an axis set, `base.training.epochs: …` otherwise). Methods or modes the engine does not
 * run yet fail with NotImplementedError. Synchronous: for large plans on a server use
 * planSweepInChunks.
 */
export function planSweep(input: unknown, options: PlanOptions = {}): SweepPlan {
  return expandPlan(preparePlan(input, options));
}

/** The trials of a prepared plan, synchronously. */
export function expandPlan(header: PlanHeader): SweepPlan {
  const trials: PlannedTrial[] = [];
  const seen = new Set<string>();
  for (const point of pointsOf(header)) {
    const trial = trialOf(header.spec, point);
    if (seen.has(trial.trialId)) continue;
    seen.add(trial.trialId);
    trials.push(trial);
  }
  return { sweepId: header.sweepId, spec: header.spec, trials, axes: header.axes };
}

/**
 * planSweep for a server: the same plan, built `chunkSize` points at a time with a turn of the
 * event loop between chunks, so requests keep being served while a large sweep plans. Stops
 * (rejecting with the signal's reason) between chunks once `signal` aborts.
 */
export async function planSweepInChunks(header: PlanHeader, options: { chunkSize?: number; signal?: AbortSignal } = {}): Promise<SweepPlan> {
  const chunkSize = options.chunkSize ?? 200;
  const trials: PlannedTrial[] = [];
  const seen = new Set<string>();
  let n = 0;
  for (const point of pointsOf(header)) {
    if (++n % chunkSize === 0) {
      await yieldToEventLoop();
      options.signal?.throwIfAborted();
    }
    const trial = trialOf(header.spec, point);
    if (seen.has(trial.trialId)) continue;
    seen.add(trial.trialId);
    trials.push(trial);
  }
  return { sweepId: header.sweepId, spec: header.spec, trials, axes: header.axes };
}

/**
 * Spec text (YAML, or JSON, which is YAML) to a value: refused before parsing when over
 * SPEC_MAX_BYTES or nested deeper than the spec limits allow; a YAML error names line and
 * column. `source` names the input in messages (a file path, `the body`).
 */
export function parseSpecText(text: string, source: string): unknown {
  if (Buffer.byteLength(text, 'utf8') > SPEC_MAX_BYTES) {
    throw new TooLargeError([{ path: '', message: `${source} is larger than ${SPEC_MAX_BYTES} bytes` }]);
  }
  if (bracketDepth(text) > SPEC_LIMITS.maxDepth) {
    throw new TooLargeError([{ path: '', message: `${source} is nested deeper than ${SPEC_LIMITS.maxDepth} levels` }]);
  }
  try {
    return parseYaml(text, { maxAliasCount: 100, logLevel: 'error' });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ValidationError('spikesweep:invalid-spec', [{ path: '', message: `${source} is not valid YAML or JSON: ${message}` }]);
  }
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
