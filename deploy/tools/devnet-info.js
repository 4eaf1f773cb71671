// Writes .devnet/devnet.json for deploy/devnet.sh from the environment it exports.
// Usage: node deploy/tools/devnet-info.js OUT_FILE
'use strict';
const fs = require('node:fs');

const e = process.env;
const pids = JSON.parse(e.PIDS_JSON);
const deployment = JSON.parse(fs.readFileSync(e.DEPLOYMENT, 'utf8'));
const metrics = (port) => `http://127.0.0.1:${port}/metrics`;
const log = (name) => `${e.LOG_DIR}/${name}.log`;
const accounts = JSON.parse(e.ACCOUNTS_JSON).map((a, index) => ({
  index,
  address: a.address,
  privateKey: a.private_key,
}));

const info = {
  version: 2,
  startedAt: new Date().toISOString(),
  detached: e.DETACH === '1',
  supervisorPid: e.SUPERVISOR_PID ? Number(e.SUPERVISOR_PID) : null,
  l1: {
    name: 'anvil',
    chainId: Number(e.L1_CHAIN_ID),
    http: e.L1_URL,
    ws: `ws://127.0.0.1:${e.L1_PORT}`,
    blockTimeSeconds: Number(e.L1_BLOCK_TIME),
    pid: pids.anvil,
    log: log('anvil'),
    state: e.ANVIL_STATE,
    contracts: {
      TRexPortal: deployment.TRexPortal,
      SystemConfig: deployment.SystemConfig,
      batchInbox: deployment.batchInbox,
    },
    deployment: e.DEPLOYMENT,
  },
  l2: {
    name: 'trex-sequencer',
    chainId: Number(e.L2_CHAIN_ID),
    http: e.L2_URL,
    ws: `ws://127.0.0.1:${e.L2_PORT}`,
    blockTime: `${e.L2_BLOCK_TIME}s`,
    metrics: metrics(e.SEQ_METRICS),
    pid: pids.sequencer,
    log: log('sequencer'),
    datadir: e.SEQ_DATADIR,
    binary: `${e.BIN_DIR}/trex-sequencer`,
    genesis: `${e.ROLLUP_DIR}/genesis.json`,
    rollupConfig: `${e.ROLLUP_DIR}/rollup.json`,
  },
  replica:
    e.REPLICA === '1'
      ? {
          name: 'trex-sequencer --mode replica',
          http: e.REPLICA_URL,
          ws: e.REPLICA_URL.replace('http://', 'ws://'),
          metrics: metrics(e.REPLICA_METRICS),
          pid: pids.replica,
          log: log('replica'),
          datadir: e.REPLICA_DATADIR,
        }
      : null,
  daBridge: {
    name: 'trex-da-bridge',
    http: e.DA_URL,
    backend: 'embedded',
    metrics: metrics(e.DA_METRICS),
    pid: pids['da-bridge'],
    log: log('da-bridge'),
    datadir: e.DA_DATADIR,
  },
  batcher: {
    name: 'trex-batcher',
    metrics: metrics(e.BATCHER_METRICS),
    database: `postgres://postgres@127.0.0.1:5432/${e.DATABASE}`,
    pid: pids.batcher,
    log: log('batcher'),
  },
  validatorUrl: e.VALIDATOR_URL,
  validator: {
    name: 'trex-validator',
    url: e.VALIDATOR_URL,
    metrics: `${e.VALIDATOR_URL}/metrics`,
    // anvil's account 9 signs attestations; account 8 is the test zkTLS witness of epoch 1.
    signer: accounts[9].address,
    zktlsWitness: { epoch: 1, address: e.ZKTLS_WITNESS, privateKey: accounts[8].privateKey },
    database: `postgres://postgres@127.0.0.1:5432/${e.VALIDATOR_DATABASE}`,
    pid: pids.validator,
    log: log('validator'),
  },
  personaUrl: e.PERSONA_URL,
  persona: {
    name: 'trex-persona',
    url: e.PERSONA_URL,
    metrics: `${e.PERSONA_URL}/metrics`,
    openapi: `${e.PERSONA_URL}/openapi.json`,
    // `Authorization: Bearer <key>` for POST /v1/match (project "devnet").
    apiKey: fs.readFileSync(e.PERSONA_API_KEY_FILE, 'utf8').trim(),
    database: `postgres://postgres@127.0.0.1:5432/${e.PERSONA_DATABASE}`,
    pid: pids.persona,
    log: log('persona'),
  },
  postgres: 'postgres://postgres@127.0.0.1:5432',
  mnemonic: e.DEV_MNEMONIC,
  derivationPath: "m/44'/60'/0'/0/{index}",
  accounts,
};
fs.writeFileSync(process.argv[2], JSON.stringify(info, null, 2) + '\n');
