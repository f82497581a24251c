import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCli, flattenCommands, SHELLS, type Shell } from '../src/index.js';
import { runBuiltCli } from './helpers/run-cli.js';

// Each script is loaded into the real shell (bash, zsh and fish from Debian; setup.sh installs
// them) and asked for the candidates of a half-typed line, the way the shell itself would.
let dir: string;
const scripts = new Map<Shell, string>();
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-completion-'));
  for (const shell of SHELLS) {
    const run = await runBuiltCli(['completion', shell]);
    expect(run.code, run.stderr).toBe(0);
    const file = join(dir, `flotilla.${shell}`);
    writeFileSync(file, run.stdout);
    scripts.set(shell, file);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The candidates `shell` offers for `line` (the cursor at its end; a trailing space starts a new word). */
function complete(shell: Shell, line: string): string[] {
  const file = scripts.get(shell)!;
  const words = line.split(' ');
  const array = words.map((w) => `'${w}'`).join(' ');
  let out: string;
  if (shell === 'bash') {
    out = execFileSync('bash', ['--norc', '-c', `source '${file}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _flotilla; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  } else if (shell === 'zsh') {
    // Outside a completion widget compadd and _files do not exist: these stand-ins print what
    // the script hands them that matches the typed prefix (as compadd does); everything else is
    // the script in a real zsh.
    const stubs = `compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; local w; for w in "$@"; do [[ $w == "\${words[CURRENT]}"* ]] && print -r -- $w; done; }; _files() { print '<files>'; }`;
    out = execFileSync('zsh', ['-f', '-c', `${stubs}; source '${file}'; words=(${array}); CURRENT=${words.length}; _flotilla; true`], { encoding: 'utf8' });
  } else {
    out = execFileSync('fish', ['--no-config', '-c', `source '${file}'; complete -C '${line}'`], { encoding: 'utf8' });
  }
  return out.split('\n').map((l) => l.split('\t')[0]!).filter((l) => l !== '');
}

describe('flotilla completion', () => {
  it.each(SHELLS)('%s: top-level commands, subcommands, options and the completion shells', (shell) => {
    const top = flattenCommands(describeCli()).filter((c) => c.path.length === 1).map((c) => c.name);
    expect(complete(shell, 'flotilla ').sort()).toEqual(expect.arrayContaining(top));
    expect(complete(shell, 'flotilla sw')).toEqual(['swarm']);
    expect(complete(shell, 'flotilla swarm join-').sort()).toEqual(['join-token']);
    expect(complete(shell, 'flotilla service sc')).toEqual(['scale']);
    expect(complete(shell, 'flotilla completion ').sort()).toEqual(['bash', 'fish', 'zsh']);
    expect(complete(shell, 'flotilla service create --repl')).toEqual(['--replicas', '--replicas-max-per-node']);
    // An alias leads where its name does.
    expect(complete(shell, 'flotilla stack down --')).toEqual(complete(shell, 'flotilla stack rm --'));
  });

  it.each(SHELLS)('%s: the value of -H is not taken for a command, and root options work below the root', (shell) => {
    expect(complete(shell, 'flotilla -H unix:///x.sock no')).toEqual(['node']);
    expect(complete(shell, 'flotilla -H node sw')).toEqual(['swarm']);
    expect(complete(shell, 'flotilla node ls --tls')).toEqual(['--tls-dir']);
  });

  it('offers every command of the tree, so a new command completes without touching the scripts', () => {
    for (const node of flattenCommands(describeCli()).filter((c) => c.children.length > 0)) {
      expect(complete('bash', `flotilla ${node.path.join(' ')} `).sort()).toEqual(node.children.flatMap((c) => [c.name, ...c.aliases]).sort());
    }
  });

  it('refuses a shell it does not know with a usage error', async () => {
    const run = await runBuiltCli(['completion', 'ksh']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("'ksh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish");
  });
});
