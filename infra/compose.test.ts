/**
 * docker-compose.yml cannot run here (no Docker), so this keeps it consistent with the code:
 * every service it names exists, every variable it sets is one the service's env schema reads
 * (and has a valid value), and the infrastructure is configured the way BullMQ and change
 * streams need it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ZodObject } from 'zod';

const repo = fileURLToPath(new URL('..', import.meta.url));

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  deploy?: { replicas?: number };
  container_name?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const INFRA = ['redis', 'mongo', 'otel-collector', 'prometheus'];
const APPS = ['scheduler', 'worker', 'results'];
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service '${name}'`);
  return found;
};

describe('docker-compose.yml', () => {
  it('names exactly the infrastructure and the three services, each app service as services/<name>/', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...INFRA, ...APPS].sort());
    for (const name of APPS) expect(existsSync(path.join(repo, 'services', name, 'package.json')), `services/${name}/`).toBe(true);
  });

  for (const name of APPS) {
    const entry = path.join(repo, 'services', name, 'main.ts');
    it(`${name}: the command runs services/${name}/main.ts as compiled by the image's build`, () => {
      expect(existsSync(entry), `services/${name}/main.ts`).toBe(true);
      expect(service(name).command).toEqual(['node', `dist/services/${name}/main.js`]);
      expect(service(name).build).toBe('.');
    });

    const envFile = path.join(repo, 'services', name, 'env.ts');
    it(`${name}: every variable set is a key of its Env schema, with a valid value`, async () => {
      const { Env } = (await import(envFile)) as { Env: ZodObject };
      const environment = service(name).environment ?? {};
      const own = Object.fromEntries(Object.entries(environment).filter(([key]) => !key.startsWith('OTEL_')));
      const unknown = Object.keys(own).filter((key) => !(key in Env.shape));
      expect(unknown, `variables services/${name}/env.ts does not read`).toEqual([]);
      expect(() => Env.parse(own)).not.toThrow();
      expect(environment.OTEL_SERVICE_NAME).toBe(`spikesweep-${name}`);
    });
  }

  it('services that listen bind all interfaces inside their container and publish their port', () => {
    for (const [name, port] of [
      ['scheduler', 'SCHEDULER_PORT'],
      ['results', 'RESULTS_PORT'],
    ] as const) {
      const env = service(name).environment ?? {};
      expect(env[`${name.toUpperCase()}_HOST`]).toBe('0.0.0.0');
      expect(service(name).ports).toContain(`${env[port]}:${env[port]}`);
      expect(service(name).healthcheck?.test.join(' ')).toContain(`127.0.0.1:${env[port]}/readyz`);
    }
  });

  it('the worker scales: replicas set, no fixed container name or host port', () => {
    const worker = service('worker');
    expect(worker.deploy?.replicas).toBeGreaterThanOrEqual(1);
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
  });

  it('Redis runs with noeviction and AOF; MongoDB as a replica set that the healthcheck initiates', () => {
    const redis = service('redis').command ?? [];
    expect(redis.join(' ')).toContain('--maxmemory-policy noeviction');
    expect(redis.join(' ')).toContain('--appendonly yes');
    const mongo = service('mongo');
    expect(mongo.command?.join(' ')).toContain('--replSet rs0');
    expect(mongo.healthcheck?.test.join(' ')).toContain("rs.initiate({ _id: 'rs0'");
    for (const name of ['scheduler', 'results']) {
      expect(service(name).environment?.MONGO_URL).toBe('mongodb://mongo:27017/?replicaSet=rs0');
      expect(service(name).depends_on?.mongo?.condition).toBe('service_healthy');
    }
    for (const name of APPS) {
      expect(service(name).environment?.REDIS_URL).toBe('redis://redis:6379');
      expect(service(name).depends_on?.redis?.condition).toBe('service_healthy');
    }
  });

  it('traces go to the collector, whose config defines every component its pipeline uses', () => {
    const collector = service('otel-collector');
    const mount = collector.volumes?.[0]?.split(':') ?? [];
    expect(mount[0]).toBe('./infra/otel-collector.yaml');
    expect(collector.command).toEqual([`--config=${mount[1]}`]);
    const config = parse(readFileSync(path.join(repo, 'infra', 'otel-collector.yaml'), 'utf8')) as {
      receivers: Record<string, { protocols: { http: { endpoint: string } } }>;
      processors: Record<string, unknown>;
      exporters: Record<string, unknown>;
      service: { pipelines: { traces: { receivers: string[]; processors: string[]; exporters: string[] } } };
    };
    const traces = config.service.pipelines.traces;
    for (const r of traces.receivers) expect(config.receivers).toHaveProperty(r);
    for (const p of traces.processors) expect(config.processors).toHaveProperty(p);
    for (const e of traces.exporters) expect(config.exporters).toHaveProperty(e);
    const httpPort = config.receivers.otlp?.protocols.http.endpoint.split(':')[1];
    for (const name of APPS) expect(service(name).environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(`http://otel-collector:${httpPort}`);
  });

  it('metrics go from the collector to Prometheus, which scrapes the port the collector serves', () => {
    const config = parse(readFileSync(path.join(repo, 'infra', 'otel-collector.yaml'), 'utf8')) as {
      receivers: Record<string, unknown>;
      processors: Record<string, unknown>;
      exporters: Record<string, { endpoint?: string }>;
      service: { pipelines: { metrics?: { receivers: string[]; processors: string[]; exporters: string[] } } };
    };
    const pipeline = config.service.pipelines.metrics;
    expect(pipeline?.exporters).toContain('prometheus');
    for (const r of pipeline?.receivers ?? []) expect(config.receivers).toHaveProperty(r);
    for (const p of pipeline?.processors ?? []) expect(config.processors).toHaveProperty(p);
    const port = config.exporters.prometheus?.endpoint?.split(':')[1];
    const prometheus = service('prometheus');
    const mount = prometheus.volumes?.[0]?.split(':') ?? [];
    expect(mount[0]).toBe('./infra/prometheus.yml');
    expect(prometheus.command).toEqual([`--config.file=${mount[1]}`]);
    const scrape = parse(readFileSync(path.join(repo, 'infra', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    expect(scrape.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets))).toContain(`otel-collector:${port}`);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(repo, 'Dockerfile'), 'utf8');

  it('copies every workspace manifest before `npm ci`, so the lockfile install works', () => {
    const workspaces = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
    const dirs = workspaces.flatMap((pattern) =>
      pattern.endsWith('/*')
        ? readdirSync(path.join(repo, pattern.slice(0, -2)), { withFileTypes: true })
            .filter((d) => d.isDirectory() && existsSync(path.join(repo, pattern.slice(0, -2), d.name, 'package.json')))
            .map((d) => `${pattern.slice(0, -2)}/${d.name}`)
        : [pattern],
    );
    const npmCi = dockerfile.indexOf('RUN npm ci');
    expect(npmCi).toBeGreaterThan(0);
    for (const dir of dirs) {
      const copy = dockerfile.indexOf(`COPY ${dir}/package.json ${dir}/`);
      expect(copy, `COPY ${dir}/package.json`).toBeGreaterThan(0);
      expect(copy).toBeLessThan(npmCi);
    }
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
  });
});
