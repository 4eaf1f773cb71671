// SPDX-License-Identifier: MIT OR Apache-2.0
/**
 * Tests of deploy/tools/predeploys.mjs on scratch artifacts and genesis text (no forge needed).
 * Run with: `node --test deploy/tools/`.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  PREDEPLOYS,
  VAULT_CONFIG,
  predeployAlloc,
  runtimeCode,
  withPredeploys,
  word,
} from './predeploys.mjs';

const GENESIS = JSON.stringify(
  {
    config: { chainId: 31628 },
    gasLimit: '0x1c9c380',
    alloc: {
      '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266': { balance: '0x21e19e0c9bab2400000' },
      '0x4200000000000000000000000000000000000015': { balance: '0x0', code: '0xdead' },
      '0x4e59b44847b379578588920cA78FbF26c0B4956C': { balance: '0x0', code: '0x60' },
      '0x420000000000000000000000000000000000001A': { balance: '0x0', code: '0xbeef' },
    },
  },
  null,
  2,
);

const codeOf = (name) => `0x${Buffer.from(name).toString('hex')}`;

test('word pads to 32 bytes and rejects out-of-range values', () => {
  assert.equal(word(0), `0x${'0'.repeat(64)}`);
  assert.equal(word(10n ** 18n), `0x${'0de0b6b3a7640000'.padStart(64, '0')}`);
  assert.equal(word(BigInt('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')), `0x${'f39fd6e51aad88f6f4ce6ab8827279cfffb92266'.padStart(64, '0')}`);
  assert.throws(() => word(-1n));
  assert.throws(() => word(1n << 256n));
});

test('devnet alloc: every predeploy with its code, vaults with the recipient in slot 0', () => {
  const alloc = predeployAlloc(codeOf, 'devnet');
  assert.deepEqual(Object.keys(alloc), PREDEPLOYS.map((p) => p.address.toLowerCase()));
  for (const p of PREDEPLOYS) {
    const entry = alloc[p.address.toLowerCase()];
    assert.equal(entry.code, codeOf(p.name));
    assert.equal(entry.balance, '0x0');
    if (p.vault) {
      // Minimum 0 is the empty slot: only the recipient is written.
      assert.deepEqual(entry.storage, { [word(0)]: word(BigInt(VAULT_CONFIG.devnet.recipient)) });
    } else {
      assert.equal(entry.storage, undefined);
    }
  }
  assert.equal(alloc['0x4200000000000000000000000000000000000011'].code, codeOf('SequencerFeeVault'));
  assert.equal(alloc['0x420000000000000000000000000000000000001b'].code, codeOf('OperatorFeeVault'));
});

test('mainnet alloc: no recipient yet, minimum in slot 1', () => {
  const alloc = predeployAlloc(codeOf, 'mainnet');
  assert.deepEqual(alloc['0x4200000000000000000000000000000000000019'].storage, {
    [word(1)]: word(10n ** 19n),
  });
  assert.throws(() => predeployAlloc(codeOf, 'moonnet'), /unknown network/);
});

test('withPredeploys replaces entries case-insensitively, keeps the rest and the style', () => {
  const entries = predeployAlloc(codeOf, 'devnet');
  const out = withPredeploys(GENESIS, entries);
  const genesis = JSON.parse(out);
  assert.equal(out, JSON.stringify(genesis, null, 2), 'two-space JSON, no trailing newline');
  assert.deepEqual(genesis.config, { chainId: 31628 });
  assert.equal(genesis.gasLimit, '0x1c9c380');
  const keys = Object.keys(genesis.alloc);
  // The untouched entries first, in their order, then the six predeploys.
  assert.deepEqual(keys.slice(0, 2), [
    '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    '0x4e59b44847b379578588920cA78FbF26c0B4956C',
  ]);
  assert.equal(keys.length, 2 + PREDEPLOYS.length);
  assert.equal(genesis.alloc['0x420000000000000000000000000000000000001A'], undefined);
  assert.equal(genesis.alloc['0x4200000000000000000000000000000000000015'].code, codeOf('L1Block'));
  // Idempotent: a second pass changes nothing (what --check relies on).
  assert.equal(withPredeploys(out, entries), out);
});

test('runtimeCode reads deployedBytecode.object and rejects missing or unlinked code', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'predeploys-'));
  try {
    const write = (name, object) => {
      fs.mkdirSync(path.join(dir, `${name}.sol`), { recursive: true });
      fs.writeFileSync(
        path.join(dir, `${name}.sol`, `${name}.json`),
        JSON.stringify({ deployedBytecode: { object } }),
      );
    };
    write('Good', '0x6080ABCD');
    write('Unlinked', '0x6080__$abc$__');
    write('Empty', '0x');
    assert.equal(runtimeCode(dir, 'Good'), '0x6080abcd');
    assert.throws(() => runtimeCode(dir, 'Unlinked'), /not non-empty hex/);
    assert.throws(() => runtimeCode(dir, 'Empty'), /not non-empty hex/);
    assert.throws(() => runtimeCode(dir, 'Missing'), /artifact missing/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('command line: --check reports stale files without writing; bad arguments exit 2', () => {
  const script = new URL('./predeploys.mjs', import.meta.url).pathname;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'predeploys-'));
  try {
    for (const p of PREDEPLOYS) {
      fs.mkdirSync(path.join(dir, `${p.name}.sol`), { recursive: true });
      fs.writeFileSync(
        path.join(dir, `${p.name}.sol`, `${p.name}.json`),
        JSON.stringify({ deployedBytecode: { object: '0x00' } }),
      );
    }
    const devnet = new URL('../../crates/chainspec/res/devnet.json', import.meta.url).pathname;
    const before = fs.readFileSync(devnet, 'utf8');
    const res = spawnSync(process.execPath, [script, '--check', '--artifacts', dir], { encoding: 'utf8' });
    assert.equal(res.status, 1, res.stderr);
    assert.match(res.stderr, /out of date with the contract artifacts/);
    assert.equal(fs.readFileSync(devnet, 'utf8'), before, '--check writes nothing');

    const bad = spawnSync(process.execPath, [script, '--bogus'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown argument: --bogus/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
