import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { argv, loadCompose, ROOT } from './compose-file';

/** The Dockerfile, checked without a Docker engine: the image builds with npm run build and runs what it produces. */

interface DockerInstruction {
  readonly keyword: string;
  readonly args: string;
}

function dockerfileInstructions(): DockerInstruction[] {
  return readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

function dockerIgnored(path: string): boolean {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const first = path.split('/')[0];
  return patterns.some((pattern) => {
    if (pattern.startsWith('*')) return path.endsWith(pattern.slice(1));
    return pattern.replace(/\/$/, '') === first || pattern === path;
  });
}

function jsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? jsFilesUnder(join(dir, entry.name))
      : entry.name.endsWith('.js')
        ? [join(dir, entry.name)]
        : [],
  );
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

describe('Dockerfile', () => {
  const instructions = dockerfileInstructions();
  const { compose } = loadCompose();

  it('builds in one stage and runs from another, both apps compiled with npm run build', () => {
    const stages = instructions.filter((i) => i.keyword === 'FROM');
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((run) => /\bnpm ci\b/.test(run))).toBe(true);
    expect(runs.some((run) => /\bnpm run build\b/.test(run) && /\bnpm prune --omit=dev\b/.test(run))).toBe(
      true,
    );
    const build = compose.services.api.build;
    expect(typeof build === 'string' ? build : build?.context).toBe('.');
  });

  it('runs Node 24 LTS in both stages', () => {
    const stages = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^node:24[-.\s]/);
  });

  it('ships apps and libs but not tools, and nothing it ships requires a file of tools', () => {
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['apps', 'libs']));
    expect(sources.filter((source) => source.split('/')[0] === 'tools')).toEqual([]);
    expect(dockerIgnored('tools')).toBe(true);
    const tools = join(ROOT, 'dist', 'tools') + sep;
    const shipped = [
      ...jsFilesUnder(join(ROOT, 'dist', 'apps')),
      ...jsFilesUnder(join(ROOT, 'dist', 'libs')),
    ];
    expect(shipped.length).toBeGreaterThan(0);
    const intoTools = shipped.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\brequire\("(\.[^"]*)"\)/g)]
        .filter(([, specifier]) => resolve(dirname(file), specifier).startsWith(tools))
        .map(([, specifier]) => `${relative(ROOT, file)}: ${specifier}`),
    );
    expect(intoTools).toEqual([]);
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect({ source, exists: existsSync(join(ROOT, source)), ignored: dockerIgnored(source) }).toEqual({
        source,
        exists: true,
        ignored: false,
      });
    }
  });

  it('puts the data files the runtime reads from the source tree where the code looks for them', () => {
    // nastyStrings() (seed/nasty-strings.ts) reads <root>/libs/infrastructure/src/seed/nasty-strings.json.
    const copies = instructions
      .filter((i) => i.keyword === 'COPY' && i.args.startsWith('--from=build'))
      .map((i) => i.args.split(/\s+/).slice(1));
    const seedStrings = 'libs/infrastructure/src/seed/nasty-strings.json';
    expect(copies).toContainEqual([`/app/${seedStrings}`, `./${seedStrings}`]);
    expect(existsSync(join(ROOT, seedStrings))).toBe(true);
  });

  it('starts files that npm run build produces, in the image and in every compose command', () => {
    const cmd = instructions.filter((i) => i.keyword === 'CMD').at(-1);
    const commands = [
      JSON.parse(cmd?.args ?? '[]') as string[],
      ...Object.values(compose.services)
        .filter((service) => service.build !== undefined)
        .map((service) => argv(service.command)),
    ];
    for (const command of commands) {
      expect(command[0]).toBe('node');
      const file = command.slice(1).find((arg) => !arg.startsWith('--')) ?? '';
      expect({ file, inDist: /^dist\/.+\.js$/.test(file), built: existsSync(join(ROOT, file)) }).toEqual({
        file,
        inDist: true,
        built: true,
      });
    }
  });

  it('keeps, after npm prune --omit=dev, every package the built code requires', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const builtins = new Set(builtinModules);
    // dist/tools (demo, bench) is built too but never shipped: it may need dev dependencies such as s3rver.
    const files = [...jsFilesUnder(join(ROOT, 'dist', 'apps')), ...jsFilesUnder(join(ROOT, 'dist', 'libs'))];
    expect(files.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const file of files) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) {
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier)) continue;
        const entry = lock.packages[`node_modules/${packageOf(specifier)}`];
        if (entry === undefined || entry.dev === true) missing.push(`${relative(ROOT, file)}: ${specifier}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
