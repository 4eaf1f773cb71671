// SPDX-License-Identifier: MIT OR Apache-2.0
/**
 * Tests of the solc stand-in (`deploy/tools/solc.js`) as forge drives it, against the real solc-js
 * installed by `deploy/install-tools.sh`. Run with: `node --test deploy/tools/`.
 */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SOLC = path.join(__dirname, 'solc.js');
const PINNED = require('./package.json').dependencies.solc;

/**
 * Runs the stand-in with `args`, feeding `stdin`.
 * @param {string[]} args
 * @param {string} [stdin]
 * @returns {{status: number|null, stdout: string, stderr: string}}
 */
function run(args, stdin = '') {
  const res = spawnSync(process.execPath, [SOLC, ...args], { input: stdin, encoding: 'utf8' });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/**
 * Makes a scratch project: `<dir>/src/A.sol` imports `lib/B.sol`, found under `<dir>/deps`;
 * `<outside>/C.sol` lies outside every allowed directory. Both are removed when test `t` ends.
 * @param {import('node:test').TestContext} t
 * @returns {{dir: string, outside: string}}
 */
function scratchProject(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trex-solc-test-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.mkdirSync(path.join(dir, 'deps', 'lib'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'deps', 'lib', 'B.sol'),
    '// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\nlibrary B { function two() internal pure returns (uint256) { return 2; } }\n',
  );
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'trex-solc-outside-'));
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });
  fs.writeFileSync(
    path.join(outside, 'C.sol'),
    '// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\nlibrary C {}\n',
  );
  return { dir, outside };
}

/**
 * A standard JSON input whose single source imports `importPath`, which is not in `sources`.
 * @param {string} importPath
 * @returns {string}
 */
function inputImporting(importPath) {
  return JSON.stringify({
    language: 'Solidity',
    sources: {
      'src/A.sol': {
        content: `// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\nimport "${importPath}";\ncontract A { function f() external pure returns (uint256) { return 1; } }\n`,
      },
    },
    settings: {
      evmVersion: 'prague',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  });
}

test('--version prints native solc format with the pinned version', () => {
  const res = run(['--version']);
  assert.equal(res.status, 0, res.stderr);
  const lines = res.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'solc, the solidity compiler commandline interface');
  assert.match(lines[1], new RegExp(`^Version: ${PINNED.replace(/\./g, '\\.')}\\+commit\\.[0-9a-f]{8}\\.Linux\\.g\\+\\+$`));
});

test('--standard-json compiles, resolving imports under --include-path, ignoring unknown flags', (t) => {
  const { dir } = scratchProject(t);
  const res = run(
    ['--no-color', '--base-path', dir, '--include-path', path.join(dir, 'deps'), '--allow-paths', dir, '--standard-json'],
    inputImporting('lib/B.sol'),
  );
  assert.equal(res.status, 0, res.stderr);
  const out = JSON.parse(res.stdout);
  const errors = (out.errors || []).filter((e) => e.severity === 'error');
  assert.deepEqual(errors, []);
  assert.ok(out.sources['lib/B.sol'], 'the imported file is part of the compilation');
  assert.match(out.contracts['src/A.sol'].A.evm.bytecode.object, /^[0-9a-f]+$/);
});

test('--flag=value form is accepted', (t) => {
  const { dir } = scratchProject(t);
  const res = run(
    [`--base-path=${path.join(dir, 'deps')}`, '--standard-json'],
    inputImporting('lib/B.sol'),
  );
  assert.equal(res.status, 0, res.stderr);
  const errors = (JSON.parse(res.stdout).errors || []).filter((e) => e.severity === 'error');
  assert.deepEqual(errors, []);
});

test('an import outside the base, include and allowed paths is refused', (t) => {
  const { dir, outside } = scratchProject(t);
  const res = run(
    ['--base-path', dir, '--allow-paths', dir, '--standard-json'],
    inputImporting(path.join(outside, 'C.sol')),
  );
  assert.equal(res.status, 0, 'compiler errors go into the JSON, as with native solc');
  const errors = (JSON.parse(res.stdout).errors || []).filter((e) => e.severity === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /outside the base path, include paths and allowed paths/);
});

test('--allow-paths admits an absolute import from another directory', (t) => {
  const { dir, outside } = scratchProject(t);
  const res = run(
    ['--base-path', dir, '--allow-paths', `${dir},${outside}`, '--standard-json'],
    inputImporting(path.join(outside, 'C.sol')),
  );
  assert.equal(res.status, 0, res.stderr);
  const errors = (JSON.parse(res.stdout).errors || []).filter((e) => e.severity === 'error');
  assert.deepEqual(errors, []);
});

test('a missing import is reported as a compiler error', (t) => {
  const { dir } = scratchProject(t);
  const res = run(['--base-path', dir, '--standard-json'], inputImporting('lib/Missing.sol'));
  assert.equal(res.status, 0);
  const errors = (JSON.parse(res.stdout).errors || []).filter((e) => e.severity === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /File not found/);
});

test('without --version or --standard-json it exits 2 with a clear message', () => {
  const res = run(['contract.sol']);
  assert.equal(res.status, 2);
  assert.match(res.stderr, /only --version and --standard-json/);
});
