#!/usr/bin/env node
// SPDX-License-Identifier: MIT OR Apache-2.0
/**
 * Writes T-Rex Chain's L2 predeploys into the `alloc` of the genesis files
 * crates/chainspec/res/{devnet,testnet,mainnet}.json:
 * - the OP predeploys: the runtime bytecode of each from the forge artifacts
 *   (contracts/out/<Name>.sol/<Name>.json, `deployedBytecode.object`) and the initial storage of
 *   the fee vaults (recipient in slot 0, minimum withdrawal in slot 1);
 * - the identity predeploys (TRexPassport and TRexBadge behind ERC1967 proxies, and their
 *   implementations): code, storage and nonce of the four accounts from the state that
 *   contracts/script/IdentityGenesis.s.sol produces by executing the contracts (initialised on
 *   the devnet, uninitialised on testnet and mainnet; docs/identity-contracts.md).
 * Every other key of the files, and every other alloc entry, is kept as it is.
 *
 * Usage: node deploy/tools/predeploys.mjs [--check] [--no-build] [--artifacts DIR] [--identity-state DIR]
 *   --check               change nothing; exit 1 if a genesis file differs from what would be written
 *   --no-build            do not run `forge build` in contracts/ first (use the artifacts as they are)
 *   --artifacts D         read artifacts from D instead of contracts/out (implies --no-build)
 *   --identity-state D    read the identity state from D/{devnet,testnet,mainnet}.json (forge's
 *                         dumpState format) instead of running the IdentityGenesis forge script
 *                         (which compiles whatever changed, with or without --no-build)
 *
 * Run it after changing a predeploy's source or the compiler settings, and commit the result;
 * deploy/test.sh runs it with --check.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** anvil's account 0: the devnet's fee recipient. */
const DEV_ACCOUNT_0 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';

/** The predeploys: contract name (artifact) and address (OP's). */
export const PREDEPLOYS = [
  { name: 'SequencerFeeVault', address: '0x4200000000000000000000000000000000000011', vault: true },
  { name: 'L1Block', address: '0x4200000000000000000000000000000000000015' },
  { name: 'L2ToL1MessagePasser', address: '0x4200000000000000000000000000000000000016' },
  { name: 'BaseFeeVault', address: '0x4200000000000000000000000000000000000019', vault: true },
  { name: 'L1FeeVault', address: '0x420000000000000000000000000000000000001a', vault: true },
  { name: 'OperatorFeeVault', address: '0x420000000000000000000000000000000000001b', vault: true },
];

/**
 * Fee vault settings per network. `recipient: null` leaves the recipient unset: `withdraw()`
 * reverts with `RecipientNotSet` until a genesis with a recipient is made (testnet and mainnet
 * recipients are not decided yet).
 */
export const VAULT_CONFIG = {
  devnet: { recipient: DEV_ACCOUNT_0, minWithdrawalAmount: 0n },
  testnet: { recipient: null, minWithdrawalAmount: 10n ** 19n },
  mainnet: { recipient: null, minWithdrawalAmount: 10n ** 19n },
};

/** The genesis files, by network. */
export const GENESIS_FILES = Object.fromEntries(
  Object.keys(VAULT_CONFIG).map((net) => [net, path.join(ROOT, 'crates/chainspec/res', `${net}.json`)]),
);

/** A 32-byte hex word (0x + 64 lowercase digits) of the non-negative integer `value`. */
export function word(value) {
  const n = BigInt(value);
  if (n < 0n || n >= 1n << 256n) throw new Error(`not a 256-bit word: ${value}`);
  return `0x${n.toString(16).padStart(64, '0')}`;
}

/**
 * The runtime bytecode of contract `name` from the forge artifacts in `artifactsDir`.
 * @param {string} artifactsDir
 * @param {string} name
 * @returns {string} 0x-prefixed lowercase hex
 */
export function runtimeCode(artifactsDir, name) {
  const file = path.join(artifactsDir, `${name}.sol`, `${name}.json`);
  if (!fs.existsSync(file)) throw new Error(`artifact missing: ${file} (run forge build in contracts/)`);
  const object = JSON.parse(fs.readFileSync(file, 'utf8'))?.deployedBytecode?.object;
  if (typeof object !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(object)) {
    throw new Error(`${file}: deployedBytecode.object is not non-empty hex (unlinked library?)`);
  }
  return object.toLowerCase();
}

/**
 * The alloc entries of the predeploys for `network`, keyed by lowercase address.
 * @param {(name: string) => string} codeOf runtime code by contract name
 * @param {string} network devnet, testnet or mainnet
 */
export function predeployAlloc(codeOf, network) {
  const vault = VAULT_CONFIG[network];
  if (!vault) throw new Error(`unknown network: ${network}`);
  const alloc = {};
  for (const p of PREDEPLOYS) {
    const entry = { balance: '0x0', code: codeOf(p.name) };
    if (p.vault) {
      const storage = {};
      if (vault.recipient) storage[word(0)] = word(BigInt(vault.recipient));
      if (vault.minWithdrawalAmount > 0n) storage[word(1)] = word(vault.minWithdrawalAmount);
      if (Object.keys(storage).length > 0) entry.storage = storage;
    }
    alloc[p.address.toLowerCase()] = entry;
  }
  return alloc;
}

/**
 * The identity predeploys per network: ERC1967 proxies at the seed's addresses (the devnet uses
 * the testnet's) and the implementations at fixed OP-style addresses, the same everywhere.
 * contracts/script/DeployIdentity.s.sol (`IdentityPredeploys`) and crates/chainspec carry the
 * same values.
 */
export const IDENTITY_PREDEPLOYS = {
  passportImplementation: '0xc0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d31d01',
  badgeImplementation: '0xc0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d31d02',
  devnet: {
    passport: '0x06fab5a4e177fefe5cc15dc41c64ba933021418a',
    badge: '0xa51b53dc3aa7f4ef5fe9bb429521a73f411ad867',
  },
  testnet: {
    passport: '0x06fab5a4e177fefe5cc15dc41c64ba933021418a',
    badge: '0xa51b53dc3aa7f4ef5fe9bb429521a73f411ad867',
  },
  mainnet: {
    passport: '0xbbb216c52f5b9095391f463adc438d65a8ac2242',
    badge: '0x6f52cccfab0712db45c31863b262e2683097bb5c',
  },
};

/** The ERC-1967 implementation slot (keccak256("eip1967.proxy.implementation") - 1). */
export const IMPLEMENTATION_SLOT = '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc';

/** The four identity predeploy addresses of `network`, proxies first. */
export function identityAddresses(network) {
  const proxies = IDENTITY_PREDEPLOYS[network];
  if (!proxies) throw new Error(`unknown network: ${network}`);
  return [
    proxies.passport,
    proxies.badge,
    IDENTITY_PREDEPLOYS.passportImplementation,
    IDENTITY_PREDEPLOYS.badgeImplementation,
  ];
}

/**
 * The alloc entries of the identity predeploys of `network`, keyed by lowercase address, taken
 * from `state` (forge's dumpState JSON of that network: address → {nonce, balance, code,
 * storage}). Only those four accounts are taken; zero-valued slots are left out (a zero slot is
 * an absent one) and the rest sorted, so the output does not depend on the dump's key order.
 * The proxies' code must be ERC1967Proxy's runtime code `proxyCode`.
 * @param {Record<string, any>} state
 * @param {string} network devnet, testnet or mainnet
 * @param {string} proxyCode
 */
export function identityAlloc(state, network, proxyCode) {
  const byAddress = new Map(Object.entries(state).map(([a, account]) => [a.toLowerCase(), account]));
  const addresses = identityAddresses(network);
  const alloc = {};
  for (const address of addresses) {
    const account = byAddress.get(address);
    if (!account) throw new Error(`${network}: the identity state has no account ${address}`);
    const code = String(account.code ?? '0x').toLowerCase();
    if (!/^0x([0-9a-f]{2})+$/.test(code)) throw new Error(`${network}: ${address} has no code`);
    const nonce = BigInt(account.nonce ?? 0);
    const balance = BigInt(account.balance ?? 0);
    if (nonce !== 1n || balance !== 0n) {
      throw new Error(`${network}: ${address} has nonce ${nonce} and balance ${balance}, expected 1 and 0`);
    }
    const storage = {};
    const slots = Object.entries(account.storage ?? {}).map(([slot, value]) => [BigInt(slot), BigInt(value)]);
    slots.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [slot, value] of slots) {
      if (value !== 0n) storage[word(slot)] = word(value);
    }
    const entry = { balance: '0x0', nonce: '0x1', code };
    if (Object.keys(storage).length > 0) entry.storage = storage;
    alloc[address] = entry;
  }
  const [passport, badge, passportImpl, badgeImpl] = addresses;
  for (const [proxy, impl] of [[passport, passportImpl], [badge, badgeImpl]]) {
    if (alloc[proxy].code !== proxyCode) throw new Error(`${network}: ${proxy} is not ERC1967Proxy's runtime code`);
    if (alloc[proxy].storage?.[IMPLEMENTATION_SLOT] !== word(BigInt(impl))) {
      throw new Error(`${network}: the implementation slot of ${proxy} does not point at ${impl}`);
    }
  }
  return alloc;
}

/**
 * Runs contracts/script/IdentityGenesis.s.sol with forge (which compiles what changed) and
 * returns the identity state of each network, parsed from its dumpState files.
 * @param {string} forge path of the forge executable
 * @returns {Record<string, Record<string, any>>} network → state
 */
export function runIdentityGenesis(forge) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'identity-genesis-'));
  try {
    const res = spawnSync(
      forge,
      ['script', 'script/IdentityGenesis.s.sol:IdentityGenesis', '--sig', 'run(string)', dir],
      { cwd: path.join(ROOT, 'contracts'), encoding: 'utf8' },
    );
    if (res.status !== 0) {
      throw new Error(`forge script script/IdentityGenesis.s.sol failed\n${res.stdout}${res.stderr}`);
    }
    return readIdentityState(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The identity state of each network from `dir`/<network>.json. */
export function readIdentityState(dir) {
  return Object.fromEntries(
    Object.keys(GENESIS_FILES).map((net) => {
      const file = path.join(dir, `${net}.json`);
      if (!fs.existsSync(file)) throw new Error(`identity state missing: ${file}`);
      return [net, JSON.parse(fs.readFileSync(file, 'utf8'))];
    }),
  );
}

/**
 * The genesis file text with `entries` in its alloc: existing entries for those addresses (in any
 * letter case) are replaced, the others kept in their order, the new ones appended. The output
 * keeps the files' style: two-space JSON, no trailing newline.
 * @param {string} text the genesis file
 * @param {Record<string, object>} entries
 */
export function withPredeploys(text, entries) {
  const genesis = JSON.parse(text);
  if (typeof genesis.alloc !== 'object' || genesis.alloc === null) throw new Error('genesis has no alloc');
  const replaced = new Set(Object.keys(entries).map((a) => a.toLowerCase()));
  const alloc = {};
  for (const [address, account] of Object.entries(genesis.alloc)) {
    if (!replaced.has(address.toLowerCase())) alloc[address] = account;
  }
  Object.assign(alloc, entries);
  genesis.alloc = alloc;
  return JSON.stringify(genesis, null, 2);
}

function usage(message) {
  console.error(`predeploys: error: ${message}`);
  console.error(
    'usage: node deploy/tools/predeploys.mjs [--check] [--no-build] [--artifacts DIR] [--identity-state DIR]',
  );
  return 2;
}

/** Runs the command line `argv`; returns the exit status. */
export function main(argv) {
  let check = false;
  let build = true;
  let artifacts = path.join(ROOT, 'contracts/out');
  let identityDir = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') check = true;
    else if (argv[i] === '--no-build') build = false;
    else if (argv[i] === '--artifacts' || argv[i] === '--identity-state') {
      if (i + 1 >= argv.length) return usage(`${argv[i]} needs a directory`);
      const dir = path.resolve(argv[++i]);
      if (argv[i - 1] === '--artifacts') {
        artifacts = dir;
        build = false;
      } else {
        identityDir = dir;
      }
    } else return usage(`unknown argument: ${argv[i]}`);
  }

  const forge = path.join(ROOT, '.tools/bin/forge');
  if ((build || identityDir === null) && !fs.existsSync(forge)) {
    console.error(`predeploys: error: ${forge} missing; run deploy/install-tools.sh first`);
    return 1;
  }
  if (build) {
    const res = spawnSync(forge, ['build'], { cwd: path.join(ROOT, 'contracts'), encoding: 'utf8' });
    if (res.status !== 0) {
      console.error(`predeploys: error: forge build failed\n${res.stdout}${res.stderr}`);
      return 1;
    }
  }
  const identity = identityDir === null ? runIdentityGenesis(forge) : readIdentityState(identityDir);

  const codes = new Map();
  const codeOf = (name) => {
    if (!codes.has(name)) codes.set(name, runtimeCode(artifacts, name));
    return codes.get(name);
  };
  const stale = [];
  for (const [network, file] of Object.entries(GENESIS_FILES)) {
    const text = fs.readFileSync(file, 'utf8');
    const entries = {
      ...predeployAlloc(codeOf, network),
      ...identityAlloc(identity[network], network, codeOf('ERC1967Proxy')),
    };
    const next = withPredeploys(text, entries);
    const rel = path.relative(ROOT, file);
    if (next === text) {
      console.error(`predeploys: ${rel} is up to date`);
    } else if (check) {
      stale.push(rel);
    } else {
      fs.writeFileSync(file, next);
      console.error(`predeploys: wrote the predeploys into ${rel}`);
    }
  }
  if (stale.length > 0) {
    console.error(
      `predeploys: error: ${stale.join(', ')} out of date with the contract artifacts; ` +
        'run node deploy/tools/predeploys.mjs and commit the result',
    );
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`predeploys: error: ${err.message}`);
    process.exitCode = 1;
  }
}
