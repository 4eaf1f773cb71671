// Test-only: a throwaway anvil (chain id 7777) and viem clients over it.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createPublicClient, createWalletClient, defineChain, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const ANVIL = fileURLToPath(new URL('../../../../.tools/bin/anvil', import.meta.url));
/** anvil's first default dev account (public test key, funded on anvil only). */
export const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** Starts anvil; `stop()` kills it. */
export async function startAnvil() {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const child = spawn(ANVIL, ['--port', String(port), '--chain-id', '7777', '--silent'], { stdio: 'ignore' });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('anvil did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const chain = defineChain({
    id: 7777,
    name: 'anvil',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
  const walletFor = (/** @type {import('viem').Account} */ account) => createWalletClient({ chain, transport, account });
  return {
    rpcUrl,
    chain,
    publicClient,
    walletFor,
    admin: privateKeyToAccount(DEV_KEY),
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}
