/**
 * The repository stands on its own: no file cites a document or path outside it, and every link
 * between its documents resolves. Over every file git tracks or would track (not ignored; so a new,
 * uncommitted file counts too), outside node_modules and build output:
 *
 * - no mention of the planning documents that live beside the repository rather than in it
 *   (the session's science, style and platform notes), unless the repository has its own file
 *   of that name;
 * - no relative path (`../…`) that climbs out of the repository from the file that holds it, and
 *   no absolute path into the development host's `/work/` tree;
 * - every `docs/….md` citation (code comments cite the science pages this way) names an existing
 *   page, and its `#section`, if given, an existing heading of that page;
 * - every relative link in a Markdown file points to an existing file or folder, and its
 *   `#anchor`, if given, to a heading of the target (GitHub's heading slugs).
 *
 * The checks are pure functions of (path, text) so that the first block can show each of them
 * failing on a planted citation.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** Documents kept beside the repository during development; spelled in parts so this file does not cite them. */
const OUTSIDE_DOCUMENTS = ['SCIENCE', 'STYLE', 'PLATFORM'].map((name) => `${name}.md`);
const SKIPPED = [/^node_modules\//, /\/node_modules\//, /^dist\//, /\/dist\//, /^package-lock\.json$/];
const MAX_TEXT_BYTES = 2_000_000;

interface Finding {
  file: string;
  line: number;
  text: string;
  reason: string;
}

/** Repository-relative paths of every tracked or trackable text file, sorted. */
function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 << 20 });
  return [...new Set(out.split('\0'))]
    .filter((f) => f !== '' && !SKIPPED.some((re) => re.test(f)))
    .filter((f) => {
      try {
        const st = statSync(path.join(repo, f));
        return st.isFile() && st.size <= MAX_TEXT_BYTES;
      } catch {
        return false; // deleted in the work tree
      }
    })
    .sort();
}

function readText(file: string): string | null {
  const buf = readFileSync(path.join(repo, file));
  return buf.subarray(0, 8000).includes(0) ? null : buf.toString('utf8');
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Mentions of documents or paths outside the repository in one file's text. */
function outsideReferences(file: string, text: string, repoBasenames: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  const add = (index: number, match: string, reason: string) => findings.push({ file, line: lineOf(text, index), text: match, reason });
  for (const name of OUTSIDE_DOCUMENTS) {
    if (repoBasenames.has(name)) continue;
    const re = new RegExp(`(?<![\\w-])${name.replace('.', '\\.')}`, 'g');
    for (const m of text.matchAll(re)) add(m.index, m[0], `cites ${name}, a document outside the repository; cite docs/ instead`);
  }
  for (const m of text.matchAll(/(?<![\w.])\/work\/[\w.+-]+/g)) add(m.index, m[0], 'an absolute path on the development host');
  const dir = path.posix.dirname(file);
  for (const m of text.matchAll(/(?<![\w./@-])(?:\.\.\/)+[\w@.-][\w@./-]*/g)) {
    const resolved = path.posix.normalize(path.posix.join(dir, m[0]));
    if (resolved === '..' || resolved.startsWith('../')) add(m.index, m[0], `resolves outside the repository (${resolved})`);
  }
  return findings;
}

/** GitHub's anchor of a heading text. */
function headingSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]*>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Text with fenced code blocks blanked (line numbers kept): links and headings in code are not links or headings. */
function withoutCodeBlocks(markdown: string): string {
  let fence: string | null = null;
  return markdown
    .split('\n')
    .map((line) => {
      const m = /^\s*(`{3,}|~{3,})/.exec(line);
      if (fence === null && m) {
        fence = m[1]![0]!;
        return '';
      }
      if (fence !== null) {
        if (m && m[1]![0] === fence) fence = null;
        return '';
      }
      return line;
    })
    .join('\n');
}

/** Every anchor the headings of a Markdown text define (duplicates get -1, -2, … as on GitHub). */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeBlocks(markdown).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = headingSlug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface RepoIndex {
  files: ReadonlySet<string>;
  folders: ReadonlySet<string>;
  /** Markdown text of a repository file, or null. */
  markdown(file: string): string | null;
}

function checkTarget(file: string, index: number, text: string, target: string, anchor: string | null, repoIndex: RepoIndex, raw: string): Finding | null {
  const at = (reason: string): Finding => ({ file, line: lineOf(text, index), text: raw, reason });
  if (target !== '' && !repoIndex.files.has(target) && !repoIndex.folders.has(target)) return at(`${target} does not exist in the repository`);
  if (anchor === null || anchor === '') return null;
  const page = target === '' ? file : target;
  const md = page.endsWith('.md') ? repoIndex.markdown(page) : null;
  if (md === null) return null; // anchors into code files (GitHub line anchors) are not checked
  return anchorsOf(md).has(anchor.toLowerCase()) ? null : at(`${page} has no section #${anchor}`);
}

/** `docs/….md[#section]` citations (from the repository root) in any file. */
function docCitations(file: string, text: string, repoIndex: RepoIndex): Finding[] {
  const findings: Finding[] = [];
  for (const m of text.matchAll(/(?<![\w./-])(docs\/[\w./-]*\.md)(?:#([\w-]+))?/g)) {
    const f = checkTarget(file, m.index, text, m[1]!, m[2] ?? null, repoIndex, m[0]);
    if (f) findings.push(f);
  }
  return findings;
}

/** Relative links `[text](target)` of a Markdown file that do not resolve. */
function brokenMarkdownLinks(file: string, markdown: string, repoIndex: RepoIndex): Finding[] {
  const findings: Finding[] = [];
  const text = withoutCodeBlocks(markdown).replace(/`[^`\n]*`/g, (s) => ' '.repeat(s.length));
  const dir = path.posix.dirname(file);
  for (const m of text.matchAll(/!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const href = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // http:, https:, mailto:
    const [rawPath = '', anchor = null] = href.split('#', 2) as [string, string | undefined];
    const decoded = decodeURIComponent(rawPath.split('?')[0]!);
    const target = decoded === '' ? '' : path.posix.normalize(decoded.startsWith('/') ? decoded.slice(1) : path.posix.join(dir, decoded)).replace(/\/$/, '');
    if (target === '..' || target.startsWith('../')) {
      findings.push({ file, line: lineOf(text, m.index), text: m[0], reason: 'links outside the repository' });
      continue;
    }
    const f = checkTarget(file, m.index, text, target === '.' ? '' : target, anchor ?? null, repoIndex, m[0]);
    if (f) findings.push(f);
  }
  return findings;
}

function indexOf(files: readonly string[], read: (file: string) => string | null): RepoIndex {
  const folders = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
  }
  const cache = new Map<string, string | null>();
  return {
    files: new Set(files),
    folders,
    markdown: (file) => {
      if (!cache.has(file)) cache.set(file, files.includes(file) ? read(file) : null);
      return cache.get(file)!;
    },
  };
}

const show = (findings: readonly Finding[]) => findings.map((f) => `${f.file}:${f.line}: ${f.text} — ${f.reason}`).join('\n');

// The planted inputs are assembled from parts, so that this file passes its own repository scan.
const up = (levels: number) => '../'.repeat(levels);
const docs = (page: string) => 'docs/' + page;
const hostPath = (rest: string) => '/wo' + 'rk/' + rest;

describe('the checks find planted citations', () => {
  const planted = up(1) + 'shared/' + OUTSIDE_DOCUMENTS[0]!;
  const chipPage = docs('science/chip.md');
  const index = indexOf(['README.md', chipPage, 'shared/engine/chip/cost.ts', 'services/cli/main.ts', 'shared/contracts/index.ts'], (f) =>
    f === chipPage ? '# The emulated chip\n\n## Time and energy ledger\n\n```md\n## Not a heading\n```\n' : '',
  );

  it('a document beside the repository, by name or by relative path', () => {
    const inComment = outsideReferences('shared/engine/chip/cost.ts', `/**\n * Anchor (${OUTSIDE_DOCUMENTS[0]}, Cramer et al. 2022)\n */`, new Set());
    expect(inComment.map((f) => [f.line, f.text])).toEqual([[2, OUTSIDE_DOCUMENTS[0]]]);
    const inReadme = outsideReferences('README.md', `see [the science](${planted})`, new Set());
    expect(inReadme.map((f) => f.text).sort()).toEqual([OUTSIDE_DOCUMENTS[0], planted].sort());
    expect(outsideReferences('README.md', `our own ${OUTSIDE_DOCUMENTS[1]}`, new Set([OUTSIDE_DOCUMENTS[1]!]))).toEqual([]);
  });

  it('paths that climb out of the repository, and host paths; imports inside it pass', () => {
    expect(outsideReferences('services/cli/main.ts', `import x from '${up(3)}elsewhere/x.ts';`, new Set()).map((f) => f.reason)).toEqual([
      `resolves outside the repository (${up(1)}elsewhere/x.ts)`,
    ]);
    expect(outsideReferences('infra/x.sh', `cat ${hostPath('shared/notes.txt')}`, new Set())).toHaveLength(1);
    expect(outsideReferences('services/cli/commands/run.ts', `import { z } from '${up(3)}shared/contracts/index.ts'; // ${up(2)}main.ts`, new Set())).toEqual([]);
  });

  it('docs citations name an existing page and section', () => {
    const ok = docCitations('shared/engine/chip/cost.ts', ` * (${docs('science/chip.md#time-and-energy-ledger')})`, index);
    expect(ok).toEqual([]);
    const bad = docCitations('shared/engine/chip/cost.ts', ` * ${docs('science/chip.md#energy')} and ${docs('science/missing.md')} and ${docs('science/chip.md#not-a-heading')}`, index);
    expect(bad.map((f) => f.reason)).toEqual([
      `${docs('science/chip.md')} has no section #energy`,
      `${docs('science/missing.md')} does not exist in the repository`,
      `${docs('science/chip.md')} has no section #not-a-heading`,
    ]);
  });

  it('Markdown links resolve, anchors included; code spans, code blocks and URLs are not links', () => {
    const md = [
      `[chip](${docs('science/chip.md#time-and-energy-ledger')}) [home](https://example.org/x.md) [top](#)`,
      `[gone](${docs('primer.md')}) [bad anchor](${docs('science/chip.md#energy')}) \`[code](nowhere.md)\``,
      '```',
      '[fenced](nowhere.md)',
      '```',
      `[up](${planted})`,
    ].join('\n');
    expect(brokenMarkdownLinks('README.md', md, index).map((f) => [f.line, f.reason])).toEqual([
      [2, `${docs('primer.md')} does not exist in the repository`],
      [2, `${docs('science/chip.md')} has no section #energy`],
      [6, 'links outside the repository'],
    ]);
  });

  it('heading slugs follow GitHub', () => {
    expect(headingSlug('Paired comparison and "decisive"')).toBe('paired-comparison-and-decisive');
    expect(headingSlug('Exact spike-time gradients (TTFS)')).toBe('exact-spike-time-gradients-ttfs');
    expect(headingSlug('`robust-transfer`: hardware-aware training')).toBe('robust-transfer-hardware-aware-training');
    expect([...anchorsOf('# A\n## Modes\n## Modes\n')]).toEqual(['a', 'modes', 'modes-1']);
  });
});

describe('the repository stands on its own', () => {
  const files = repositoryFiles();
  const texts = new Map(files.map((f) => [f, readText(f)] as const));
  const index = indexOf(files, (f) => texts.get(f) ?? null);
  const basenames = new Set(files.map((f) => path.posix.basename(f)));

  it('sees the repository (sanity: the docs and the engine are in the file list)', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('docs/science/README.md');
    expect(files).toContain('shared/engine/discrete/lif.ts');
  });

  it('no file cites a document or path outside the repository', () => {
    const findings = files.flatMap((f) => {
      const text = texts.get(f);
      return text ? outsideReferences(f, text, basenames) : [];
    });
    expect(show(findings)).toBe('');
  });

  it('every docs/… citation names an existing page and section', () => {
    const findings = files.flatMap((f) => {
      const text = texts.get(f);
      return text ? docCitations(f, text, index) : [];
    });
    expect(show(findings)).toBe('');
  });

  it('every relative link in the Markdown files resolves', () => {
    const findings = files
      .filter((f) => f.endsWith('.md'))
      .flatMap((f) => {
        const text = texts.get(f);
        return text ? brokenMarkdownLinks(f, text, index) : [];
      });
    expect(show(findings)).toBe('');
  });
});
