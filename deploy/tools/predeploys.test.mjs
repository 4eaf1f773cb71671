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
  IDENTITY_PREDEPLOYS,
  IMPLEMENTATION_SLOT,
  PREDEPLOYS,
  VAULT_CONFIG,
  identityAddresses,
  identityAlloc,
  predeployAlloc,
  readIdentityState,
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

/**
 * A dumpState-like identity state of `network`: the four predeploys (addresses in checksum-like
 * mixed case, storage keys unsorted, one zero slot) plus an unrelated account.
 */
function identityState(network, proxyCode = '0xaa') {
  const [passport, badge, passportImpl, badgeImpl] = identityAddresses(network);
  const mixed = (a) => a.slice(0, 2) + a.slice(2).toUpperCase();
  const disabled = word((1n << 64n) - 1n);
  const initializable = '0xf0c57e16840df040f15088dc2f81fe391c3923bec73e23a9662efc9c229c6a00';
  return {
    [mixed(passport)]: {
      nonce: '0x1',
      balance: '0x0',
      code: proxyCode,
      storage: {
        [IMPLEMENTATION_SLOT]: word(BigInt(passportImpl)),
        [word(1)]: word(BigInt(badge)),
        [word(0)]: word(0),
      },
    },
    [badge]: { nonce: '0x1', balance: '0x0', code: proxyCode, storage: { [IMPLEMENTATION_SLOT]: word(BigInt(badgeImpl)) } },
    [passportImpl]: { nonce: '0x1', balance: '0x0', code: '0xBB01', storage: { [initializable]: disabled } },
    [badgeImpl]: { nonce: '0x1', balance: '0x0', code: '0xbb02', storage: { [initializable]: disabled } },
    '0x7fa9385be102ac3eac297483dd6233d62b3e1496': { nonce: '0x5', balance: '0x1', code: '0x', storage: {} },
  };
}

test('identity addresses: the seed proxies per network, shared implementations', () => {
  assert.deepEqual(identityAddresses('devnet'), identityAddresses('testnet'));
  assert.deepEqual(identityAddresses('mainnet'), [
    '0xbbb216c52f5b9095391f463adc438d65a8ac2242',
    '0x6f52cccfab0712db45c31863b262e2683097bb5c',
    IDENTITY_PREDEPLOYS.passportImplementation,
    IDENTITY_PREDEPLOYS.badgeImplementation,
  ]);
  assert.equal(identityAddresses('testnet')[0], '0x06fab5a4e177fefe5cc15dc41c64ba933021418a');
  assert.equal(identityAddresses('testnet')[1], '0xa51b53dc3aa7f4ef5fe9bb429521a73f411ad867');
  assert.throws(() => identityAddresses('moonnet'), /unknown network/);
});

test('identityAlloc takes the four accounts: nonce 1, code, sorted non-zero storage', () => {
  const alloc = identityAlloc(identityState('mainnet'), 'mainnet', '0xaa');
  const [passport, badge, passportImpl] = identityAddresses('mainnet');
  assert.deepEqual(Object.keys(alloc), identityAddresses('mainnet'));
  assert.deepEqual(alloc[passport], {
    balance: '0x0',
    nonce: '0x1',
    code: '0xaa',
    // Slot 0 held zero: left out. The rest in numeric order.
    storage: { [word(1)]: word(BigInt(badge)), [IMPLEMENTATION_SLOT]: word(BigInt(passportImpl)) },
  });
  assert.deepEqual(Object.keys(alloc[passport].storage), [word(1), IMPLEMENTATION_SLOT]);
  assert.equal(alloc[passportImpl].code, '0xbb01', 'lowercase code');
  assert.equal(alloc['0x7fa9385be102ac3eac297483dd6233d62b3e1496'], undefined);
});

test('identityAlloc rejects a state that is not the predeploys', () => {
  const state = identityState('devnet');
  assert.throws(() => identityAlloc(state, 'devnet', '0xcc'), /not ERC1967Proxy's runtime code/);
  assert.throws(() => identityAlloc(identityState('mainnet'), 'devnet', '0xaa'), /has no account/);

  const [passport, badge, passportImpl] = identityAddresses('devnet');
  const wrongSlot = identityState('devnet');
  wrongSlot[badge].storage[IMPLEMENTATION_SLOT] = word(BigInt(passportImpl));
  assert.throws(() => identityAlloc(wrongSlot, 'devnet', '0xaa'), /implementation slot of 0xa51b/);

  const noCode = identityState('devnet');
  noCode[passportImpl].code = '0x';
  assert.throws(() => identityAlloc(noCode, 'devnet', '0xaa'), /has no code/);

  const nonce0 = identityState('devnet');
  nonce0[badge].nonce = '0x0';
  assert.throws(() => identityAlloc(nonce0, 'devnet', '0xaa'), /nonce 0/);
  assert.ok(identityAlloc(identityState('devnet'), 'devnet', '0xaa')[passport]);
});

/** Scratch artifacts for every predeploy and ERC1967Proxy, and identity states, in a temp dir. */
function scratchInputs() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'predeploys-'));
  const artifacts = path.join(dir, 'out');
  for (const name of [...PREDEPLOYS.map((p) => p.name), 'ERC1967Proxy']) {
    fs.mkdirSync(path.join(artifacts, `${name}.sol`), { recursive: true });
    fs.writeFileSync(
      path.join(artifacts, `${name}.sol`, `${name}.json`),
      JSON.stringify({ deployedBytecode: { object: name === 'ERC1967Proxy' ? '0xaa' : '0x00' } }),
    );
  }
  const states = path.join(dir, 'identity');
  fs.mkdirSync(states);
  for (const net of Object.keys(VAULT_CONFIG)) {
    fs.writeFileSync(path.join(states, `${net}.json`), JSON.stringify(identityState(net)));
  }
  return { dir, artifacts, states };
}

test('readIdentityState reads one dump per network', () => {
  const { dir, states } = scratchInputs();
  try {
    const read = readIdentityState(states);
    assert.deepEqual(Object.keys(read), Object.keys(VAULT_CONFIG));
    assert.deepEqual(read.testnet, identityState('testnet'));
    fs.rmSync(path.join(states, 'mainnet.json'));
    assert.throws(() => readIdentityState(states), /identity state missing: .*mainnet.json/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('command line: --check reports stale files without writing; bad arguments exit 2', () => {
  const script = new URL('./predeploys.mjs', import.meta.url).pathname;
  const { dir, artifacts, states } = scratchInputs();
  try {
    const devnet = new URL('../../crates/chainspec/res/devnet.json', import.meta.url).pathname;
    const before = fs.readFileSync(devnet, 'utf8');
    const res = spawnSync(
      process.execPath,
      [script, '--check', '--artifacts', artifacts, '--identity-state', states],
      { encoding: 'utf8' },
    );
    assert.equal(res.status, 1, res.stderr);
    assert.match(res.stderr, /out of date with the contract artifacts/);
    assert.equal(fs.readFileSync(devnet, 'utf8'), before, '--check writes nothing');

    const bad = spawnSync(process.execPath, [script, '--bogus'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown argument: --bogus/);
    const missing = spawnSync(process.execPath, [script, '--identity-state'], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--identity-state needs a directory/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
