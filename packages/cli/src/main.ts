#!/usr/bin/env node
import { cliVersion } from './cli-version.js';
import { runCli } from './program.js';
import { readStdinLine } from './stdin-line.js';
import { processTerminal } from './terminal.js';

const terminal = processTerminal();

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  stdoutIsTty: process.stdout.isTTY === true,
  readLine: readStdinLine,
  ...(terminal ? { terminal } : {}),
  client: { version: cliVersion(), runtimeVersion: process.version, os: process.platform, arch: process.arch },
});
// exitCode rather than exit(): let stdout drain when it is a pipe.
process.exitCode = code;
