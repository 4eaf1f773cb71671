// End-to-end check of a T-Rex node through viem, as a dapp developer would use it:
// deploy the OpenZeppelin DevToken from the forge artifact, transfer, read balances, wait for
// receipts, read logs, send ETH, and watch new blocks over a WebSocket subscription.
//
// Environment:
//   RPC_URL      HTTP JSON-RPC endpoint (required)
//   WS_URL       WebSocket endpoint (default: RPC_URL with ws://)
//   PRIVATE_KEY  0x-prefixed key of a funded account (required)
//   CHAIN_ID     expected chain id (default 31628, the devnet)
//   ARTIFACT     forge artifact (default contracts/out/DevToken.sol/DevToken.json of this repo)
//
// Exits 0 and prints one JSON summary line on success; prints the mismatch and exits 1 otherwise.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  parseEther,
  parseEventLogs,
  parseUnits,
  webSocket,
  zeroAddress,
  keccak256,
  toHex,
  getAddress,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const TIMEOUT_MS = 120_000;
const WATCH_BLOCKS = 3;

function fail(msg) {
  console.error(`devtoken.mjs: FAIL: ${msg}`);
  process.exit(1);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}
function eq(actual, expected, what) {
  const a = typeof actual === 'string' ? actual.toLowerCase() : actual;
  const e = typeof expected === 'string' ? expected.toLowerCase() : expected;
  check(a === e, `${what}: expected ${String(expected)}, got ${String(actual)}`);
}
const step = (msg) => console.log(`devtoken.mjs: ${msg}`);

process.on('unhandledRejection', (e) => fail(`unhandled rejection: ${e?.stack ?? e}`));
let phase = 'starting';
setTimeout(
  () => fail(`timed out after ${TIMEOUT_MS / 1000}s while ${phase} (WebSocket heads seen: ${heads.length})`),
  TIMEOUT_MS,
).unref();

const env = (k, dflt) => {
  const v = process.env[k] ?? dflt;
  if (!v) fail(`${k} is not set`);
  return v;
};
const RPC_URL = env('RPC_URL');
const WS_URL = env('WS_URL', RPC_URL.replace(/^http/, 'ws'));
const PRIVATE_KEY = env('PRIVATE_KEY');
const CHAIN_ID = Number(env('CHAIN_ID', '31628'));
const ARTIFACT = env(
  'ARTIFACT',
  fileURLToPath(new URL('../../../contracts/out/DevToken.sol/DevToken.json', import.meta.url)),
);

let artifact;
try {
  artifact = JSON.parse(readFileSync(ARTIFACT, 'utf8'));
} catch (e) {
  fail(`cannot read the forge artifact ${ARTIFACT} (run \`forge build\` in contracts/): ${e.message}`);
}
const abi = artifact.abi;
const bytecode = artifact.bytecode?.object;
check(abi && bytecode?.startsWith('0x') && bytecode.length > 2, `${ARTIFACT} has no abi or bytecode`);

const chain = defineChain({
  id: CHAIN_ID,
  name: 'T-Rex devnet',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL], webSocket: [WS_URL] } },
});
const account = privateKeyToAccount(PRIVATE_KEY);
const POLL_MS = 200; // blocks are fast on a devnet: poll receipts often
const client = createPublicClient({ chain, transport: http(RPC_URL), pollingInterval: POLL_MS });
const wsClient = createPublicClient({ chain, transport: webSocket(WS_URL) });
const wallet = createWalletClient({ account, chain, transport: http(RPC_URL), pollingInterval: POLL_MS });
const recipient = getAddress(`0x${keccak256(toHex('trex-e2e/viem/recipient')).slice(-40)}`);

// --- watch new heads over WebSocket (eth_subscribe) while the rest runs -------------------------
const heads = [];
let headsDone;
const headsSeen = new Promise((resolve) => (headsDone = resolve));
let watchError;
const unwatch = wsClient.watchBlocks({
  onBlock: (block) => {
    heads.push(block);
    if (heads.length >= WATCH_BLOCKS) headsDone();
  },
  onError: (e) => {
    watchError = e;
    headsDone();
  },
});

phase = 'checking the chain id';
// --- chain ----------------------------------------------------------------------------------------
eq(await client.getChainId(), CHAIN_ID, 'eth_chainId over HTTP');
eq(await wsClient.getChainId(), CHAIN_ID, 'eth_chainId over WebSocket');
const ethBefore = await client.getBalance({ address: account.address });
check(ethBefore > 0n, `${account.address} has no ETH`);
const nonceBefore = await client.getTransactionCount({ address: account.address });
step(`chain ${CHAIN_ID}, account ${account.address} has ${ethBefore} wei`);

// --- deploy ---------------------------------------------------------------------------------------
phase = 'deploying DevToken';
const supply = parseUnits('1000000', 18);
const deployHash = await wallet.deployContract({ abi, bytecode, args: ['Viem Dev Token', 'VDEV', supply] });
const deployReceipt = await client.waitForTransactionReceipt({ hash: deployHash, timeout: 30_000 });
eq(deployReceipt.status, 'success', 'deployment status');
const token = deployReceipt.contractAddress;
check(token, 'deployment receipt has no contractAddress');
const code = await client.getCode({ address: token });
check(code && code.length > 2, `no code at ${token}`);
const read = (functionName, args = []) => client.readContract({ address: token, abi, functionName, args });
eq(await read('name'), 'Viem Dev Token', 'name()');
eq(await read('symbol'), 'VDEV', 'symbol()');
eq(await read('decimals'), 18, 'decimals()');
eq(await read('totalSupply'), supply, 'totalSupply()');
eq(await read('balanceOf', [account.address]), supply, 'deployer balance after mint');
step(`deployed DevToken at ${token} in block ${deployReceipt.blockNumber}`);

// --- transfer -------------------------------------------------------------------------------------
phase = 'transferring tokens';
const amount = parseUnits('4321.5', 18);
const { request } = await client.simulateContract({
  account,
  address: token,
  abi,
  functionName: 'transfer',
  args: [recipient, amount],
});
const transferHash = await wallet.writeContract(request);
const receipt = await client.waitForTransactionReceipt({ hash: transferHash, timeout: 30_000 });
eq(receipt.status, 'success', 'transfer status');
eq(receipt.from, account.address, 'receipt.from');
eq(receipt.to, token, 'receipt.to');
eq(await read('balanceOf', [account.address]), supply - amount, 'deployer token balance');
eq(await read('balanceOf', [recipient]), amount, 'recipient token balance (a new token)');

const [ev, ...extra] = parseEventLogs({ abi, logs: receipt.logs, eventName: 'Transfer' });
check(ev && extra.length === 0, `expected one Transfer log in the receipt, got ${receipt.logs.length} logs`);
eq(ev.address, token, 'Transfer log address');
eq(ev.args.from, account.address, 'Transfer.from');
eq(ev.args.to, recipient, 'Transfer.to');
eq(ev.args.value, amount, 'Transfer.value');
eq(ev.topics[0], keccak256(toHex('Transfer(address,address,uint256)')), 'Transfer topic0');

const events = await client.getContractEvents({
  address: token,
  abi,
  eventName: 'Transfer',
  fromBlock: deployReceipt.blockNumber,
  toBlock: receipt.blockNumber,
});
eq(events.length, 2, 'eth_getLogs Transfer count (mint + transfer)');
eq(events[0].args.from, zeroAddress, 'mint from');
eq(events[0].args.to, account.address, 'mint to');
eq(events[0].args.value, supply, 'mint value');
eq(events[0].transactionHash, deployHash, 'mint tx');
eq(events[1].transactionHash, transferHash, 'transfer tx');
const toRecipient = await client.getContractEvents({
  address: token,
  abi,
  eventName: 'Transfer',
  args: { to: recipient },
  fromBlock: deployReceipt.blockNumber,
});
eq(toRecipient.length, 1, 'eth_getLogs filtered on indexed `to`');

const tx = await client.getTransaction({ hash: transferHash });
eq(tx.blockHash, receipt.blockHash, 'getTransaction blockHash');
eq(tx.nonce, nonceBefore + 1, 'transfer nonce');
const block = await client.getBlock({ blockNumber: receipt.blockNumber });
eq(block.hash, receipt.blockHash, 'block hash of the transfer block');
check(block.transactions.includes(transferHash), `block ${block.number} does not list ${transferHash}`);
step(`transferred ${amount} to ${recipient} in block ${receipt.blockNumber}`);

// --- native ETH -------------------------------------------------------------------------------------
phase = 'sending ETH';
const value = parseEther('0.25');
const recipientEthBefore = await client.getBalance({ address: recipient });
const ethHash = await wallet.sendTransaction({ to: recipient, value });
const ethReceipt = await client.waitForTransactionReceipt({ hash: ethHash, timeout: 30_000 });
eq(ethReceipt.status, 'success', 'ETH transfer status');
eq(await client.getBalance({ address: recipient }), recipientEthBefore + value, 'recipient ETH balance');
eq(await client.getTransactionCount({ address: account.address }), nonceBefore + 3, 'account nonce');
const fee = (r) => r.gasUsed * r.effectiveGasPrice + (r.l1Fee ?? 0n);
eq(
  await client.getBalance({ address: account.address }),
  ethBefore - value - fee(deployReceipt) - fee(receipt) - fee(ethReceipt),
  'account ETH balance after fees',
);

// --- the WebSocket subscription saw consecutive, canonical blocks ---------------------------------
phase = `waiting for ${WATCH_BLOCKS} new heads over WebSocket (eth_subscribe newHeads)`;
const HEADS_TIMEOUT_MS = 15_000;
await Promise.race([headsSeen, new Promise((r) => setTimeout(r, HEADS_TIMEOUT_MS))]);
unwatch();
check(
  heads.length >= WATCH_BLOCKS || watchError,
  `watchBlocks over WebSocket delivered ${heads.length} blocks in ${HEADS_TIMEOUT_MS / 1000}s, expected ` +
    `${WATCH_BLOCKS}: eth_subscribe("newHeads") must answer a hex-string subscription id (viem ignores ` +
    `notifications for any other id type) and then send eth_subscription notifications`,
);
if (watchError) fail(`watchBlocks over WebSocket: ${watchError.message ?? watchError}`);
for (let i = 1; i < heads.length; i++) {
  eq(heads[i].number, heads[i - 1].number + 1n, `WebSocket head ${i} number`);
  eq(heads[i].parentHash, heads[i - 1].hash, `WebSocket head ${i} parentHash`);
}
for (const h of heads) {
  const canonical = await client.getBlock({ blockNumber: h.number });
  eq(h.hash, canonical.hash, `WebSocket head ${h.number} hash vs eth_getBlockByNumber`);
}
step(`watched blocks ${heads.map((h) => h.number).join(', ')} over WebSocket`);

console.log(
  JSON.stringify({
    ok: true,
    token,
    deployTx: deployHash,
    transferTx: transferHash,
    ethTx: ethHash,
    recipient,
    wsBlocks: heads.map((h) => Number(h.number)),
  }),
);
process.exit(0);
