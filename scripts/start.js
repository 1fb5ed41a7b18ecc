#!/usr/bin/env node
// `npm start`: the API and one worker from the build, as two processes; a signal stops both, and either one
// exiting stops the other (so a supervisor sees the failure).
'use strict';
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { WORKER_NODE_FLAGS } = require(join(root, 'dist', 'apps', 'worker', 'src', 'node-flags.js'));
const flags = { api: [], worker: WORKER_NODE_FLAGS };
const apps = ['api', 'worker'].map((name) =>
  spawn(process.execPath, [...flags[name], join(root, 'dist', 'apps', name, 'src', 'main.js')], {
    stdio: 'inherit',
    cwd: root,
  }),
);
let exiting = false;
const stopAll = (signal) => apps.forEach((child) => child.exitCode === null && child.kill(signal));
for (const child of apps) {
  child.on('exit', (code, signal) => {
    if (!exiting) {
      exiting = true;
      process.exitCode = code ?? (signal ? 1 : 0);
      stopAll('SIGTERM');
    }
  });
}
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    exiting = true;
    stopAll(signal);
  });
