// The commands the docs tell a reader to type, checked against the real CLI: every `npx spikesweep …`
// line in a shell block of README.md and docs/ names an existing command whose --help lists each
// flag the line uses, and the cheap ones (dataset, --dry-run) run as written, from the repository
// root, with exit code 0. Commands that run a study, serve or start services are only checked
// against their --help (they take minutes or touch the machine's services).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repo, 'bin/spikesweep.js');

interface DocCommand {
  file: string;
  line: number;
  args: string[];
}

/** `npx spikesweep …` lines of the sh/bash/shell blocks of a Markdown text (trailing `&` and comments dropped). */
function commandsOf(file: string, markdown: string): DocCommand[] {
  const out: DocCommand[] = [];
  let inShell = false;
  let inFence = false;
  markdown.split('\n').forEach((text, i) => {
    const fence = /^\s*```\s*([\w-]*)/.exec(text);
    if (fence) {
      inShell = !inFence && ['sh', 'bash', 'shell', 'console'].includes(fence[1]!);
      inFence = !inFence;
      return;
    }
    if (!inShell) return;
    const m = /^\s*(?:\$\s+)?npx spikesweep\s+(.*)$/.exec(text);
    if (!m) return;
    const command = m[1]!.replace(/\s+#.*$/, '').replace(/\s*&\s*$/, '').trim();
    out.push({ file, line: i + 1, args: command.split(/\s+/) });
  });
  return out;
}

function documents(): string[] {
  const docs = readdirSync(path.join(repo, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.posix.join('docs', f.split(path.sep).join('/')));
  return ['README.md', ...docs.sort()];
}

function cli(args: readonly string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const helpCache = new Map<string, ReturnType<typeof cli>>();
function helpOf(commandPath: readonly string[]) {
  const key = commandPath.join(' ');
  if (!helpCache.has(key)) helpCache.set(key, cli([...commandPath, '--help']));
  return helpCache.get(key)!;
}

/** Names listed under "Commands:" in a --help text. */
function subcommandsIn(help: string): Set<string> {
  const section = /^Commands:\n((?:\s+.*\n?)*)/m.exec(help)?.[1] ?? '';
  return new Set([...section.matchAll(/^ {2}([\w-]+)/gm)].map((m) => m[1]!));
}

/** The (sub)command a line invokes, e.g. [run] or [dataset, yinyang], and that command's --help. */
function commandOf(c: DocCommand): { path: string[]; help: ReturnType<typeof cli> } {
  const commandPath: string[] = [];
  let help = helpOf(commandPath);
  for (const next of c.args) {
    if (help.status !== 0 || !subcommandsIn(help.stdout).has(next)) break;
    commandPath.push(next);
    help = helpOf(commandPath);
  }
  return { path: commandPath, help };
}

const all = documents().flatMap((f) => commandsOf(f, readFileSync(path.join(repo, f), 'utf8')));
const runsAsWritten = (c: DocCommand) => c.args[0] === 'dataset' || c.args.includes('--dry-run');
const where = (c: DocCommand) => `${c.file}:${c.line}: npx spikesweep ${c.args.join(' ')}`;

describe('commands in the docs', () => {
  it('finds the primer’s commands (sanity)', () => {
    const primer = all.filter((c) => c.file === 'docs/primer.md').map((c) => c.args[0]);
    expect(primer).toEqual(expect.arrayContaining(['dataset', 'run', 'dashboard']));
    expect(all.filter(runsAsWritten).length).toBeGreaterThanOrEqual(3);
  });

  it('every command exists and its --help lists every flag used', () => {
    const problems: string[] = [];
    for (const c of all) {
      const { path: commandPath, help } = commandOf(c);
      const name = commandPath.join(' ');
      if (commandPath.length === 0) {
        problems.push(`${where(c)}: \`${c.args[0]}\` is not a spikesweep command`);
        continue;
      }
      if (help.status !== 0) {
        problems.push(`${where(c)}: \`${name} --help\` exits ${help.status}: ${help.stderr.trim()}`);
        continue;
      }
      const subcommands = [...subcommandsIn(help.stdout)].filter((x) => x !== 'help');
      if (subcommands.length > 0) {
        problems.push(`${where(c)}: \`${name}\` needs one of ${subcommands.join(', ')}, got ${c.args[commandPath.length] ?? 'none'}`);
        continue;
      }
      for (const flag of c.args.filter((a) => a.startsWith('--'))) {
        const option = flag.split('=')[0]!;
        if (!new RegExp(`(^|[\\s,])${option}(?![\\w-])`, 'm').test(help.stdout)) problems.push(`${where(c)}: ${option} is not an option of \`${name}\``);
      }
    }
    expect(problems.join('\n')).toBe('');
  });

  it('the cheap ones (dataset, --dry-run) run as written and exit 0', () => {
    const failures: string[] = [];
    for (const c of all.filter(runsAsWritten)) {
      const r = cli(c.args);
      if (r.status !== 0 || r.stdout.trim() === '') failures.push(`${where(c)}: exit ${r.status}, stderr: ${r.stderr.trim().slice(0, 300)}`);
      else if (c.args.includes('--dry-run') && !r.stdout.includes('dry run: nothing was run')) failures.push(`${where(c)}: no dry-run summary`);
    }
    expect(failures.join('\n')).toBe('');
  });
});
