#!/usr/bin/env node
// SPDX-License-Identifier: MIT OR Apache-2.0
/**
 * A `solc` command line for Foundry, backed by the npm `solc` package (solc-js, the official
 * WebAssembly build of the Solidity compiler).
 *
 * Why: the native solc binaries are downloaded by forge from a host this project cannot reach,
 * while the npm registry is reachable. `deploy/install-tools.sh` installs solc-js into
 * `.tools/npm/node_modules/solc` and puts a shim calling this file at `.tools/bin/solc`;
 * `contracts/foundry.toml` points forge at that shim.
 *
 * Only the two modes forge uses are implemented:
 *
 * - `--version` prints the two lines native solc prints, which forge parses:
 *   `solc, the solidity compiler commandline interface` and `Version: 0.8.N+commit.XXXXXXXX.Linux.g++`.
 *   The version and commit are solc-js's own; only the platform suffix (`Emscripten.clang`) is
 *   replaced by the native Linux one, because that is the format forge expects.
 * - `--standard-json` reads the standard JSON input from stdin, compiles it with solc-js and
 *   writes the standard JSON output to stdout, exiting 0 as native solc does (compiler errors are
 *   reported inside the JSON). Imports the input does not already contain are read from disk the
 *   way native solc does: the source unit name is looked up under `--base-path`, then under each
 *   `--include-path`, and a file is only read if it lies inside the base path, an include path or
 *   one of the comma-separated `--allow-paths`.
 *
 * Every other flag (forge also passes e.g. `--no-color`) is accepted and ignored. Set
 * `TREX_SOLC_DEBUG=1` to log the arguments and every import lookup to stderr.
 */
'use strict';

const fs = require('fs');
const path = require('path');

/** Directory holding solc-js, as installed by `deploy/install-tools.sh`. */
const SOLCJS_DIR = path.resolve(__dirname, '..', '..', '.tools', 'npm', 'node_modules', 'solc');

/** Whether to log arguments and import lookups to stderr. */
const DEBUG = Boolean(process.env.TREX_SOLC_DEBUG);

/**
 * Prints a message to stderr when `TREX_SOLC_DEBUG` is set.
 * @param {string} message
 */
function debug(message) {
  if (DEBUG) process.stderr.write(`trex-solc: ${message}\n`);
}

/**
 * Prints an error to stderr and exits with the given code.
 * @param {string} message
 * @param {number} [code=1]
 * @returns {never}
 */
function fail(message, code = 1) {
  process.stderr.write(`trex-solc: error: ${message}\n`);
  process.exit(code);
}

/**
 * Parses the command line. Flags may be given as `--flag value` or `--flag=value`; unknown flags
 * and positional arguments are collected and otherwise ignored.
 * @param {string[]} argv arguments after the script name
 * @returns {{version: boolean, standardJson: boolean, help: boolean, basePath: string|null,
 *   includePaths: string[], allowPaths: string[], ignored: string[]}}
 */
function parseArgs(argv) {
  const opts = {
    version: false,
    standardJson: false,
    help: false,
    basePath: null,
    includePaths: [],
    allowPaths: [],
    ignored: [],
  };
  const withValue = new Set(['--base-path', '--include-path', '--allow-paths']);
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let value = null;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq !== -1) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    if (withValue.has(flag) && value === null) {
      if (i + 1 >= argv.length) fail(`${flag} needs a value`, 2);
      value = argv[++i];
    }
    switch (flag) {
      case '--version':
        opts.version = true;
        break;
      case '--standard-json':
        opts.standardJson = true;
        break;
      case '--help':
      case '-h':
        opts.help = true;
        break;
      case '--base-path':
        opts.basePath = value;
        break;
      case '--include-path':
        opts.includePaths.push(value);
        break;
      case '--allow-paths':
        opts.allowPaths.push(...value.split(',').filter((p) => p.length > 0));
        break;
      default:
        opts.ignored.push(argv[i]);
    }
  }
  return opts;
}

/**
 * Loads solc-js, failing with a hint to run the installer if it is missing.
 * @returns {{version: () => string, compile: (input: string, callbacks: object) => string}}
 */
function loadSolc() {
  try {
    return require(SOLCJS_DIR);
  } catch (err) {
    return fail(
      `cannot load solc-js from ${SOLCJS_DIR} (${err.message}); run deploy/install-tools.sh first`,
    );
  }
}

/**
 * Returns the version line in native solc's format, e.g. `0.8.35+commit.47b9dedd.Linux.g++`.
 * @param {string} solcjsVersion solc-js's version, e.g. `0.8.35+commit.47b9dedd.Emscripten.clang`
 * @returns {string}
 */
function nativeVersion(solcjsVersion) {
  const match = /^(\d+\.\d+\.\d+)\+(commit\.[0-9a-f]+)/.exec(solcjsVersion);
  if (!match) fail(`unexpected solc-js version string: ${solcjsVersion}`);
  return `${match[1]}+${match[2]}.Linux.g++`;
}

/**
 * Returns whether `file` is `dir` or lies below it.
 * @param {string} file absolute path
 * @param {string} dir absolute path
 * @returns {boolean}
 */
function isInside(file, dir) {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolves a path to its real location if it exists, else to its absolute form.
 * @param {string} p
 * @returns {string}
 */
function realOrAbsolute(p) {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * Builds the import callback solc-js calls for every source unit missing from the input.
 * @param {{basePath: string|null, includePaths: string[], allowPaths: string[]}} opts
 * @returns {(sourceUnitName: string) => ({contents: string} | {error: string})}
 */
function makeImportCallback(opts) {
  const basePath = opts.basePath === null ? process.cwd() : path.resolve(opts.basePath);
  const searchRoots = [basePath, ...opts.includePaths.map((p) => path.resolve(p))];
  const allowed = [...searchRoots, ...opts.allowPaths.map((p) => path.resolve(p))].map(
    realOrAbsolute,
  );
  return (sourceUnitName) => {
    const candidates = path.isAbsolute(sourceUnitName)
      ? [sourceUnitName]
      : searchRoots.map((root) => path.join(root, sourceUnitName));
    for (const candidate of candidates) {
      if (!fs.existsSync(candidate)) continue;
      const real = fs.realpathSync(candidate);
      if (!allowed.some((dir) => isInside(real, dir))) {
        debug(`import ${sourceUnitName}: ${real} is outside the allowed directories`);
        return {
          error: `${real} is outside the base path, include paths and allowed paths (${allowed.join(', ')})`,
        };
      }
      debug(`import ${sourceUnitName}: read ${real}`);
      return { contents: fs.readFileSync(real, 'utf8') };
    }
    debug(`import ${sourceUnitName}: not found under ${searchRoots.join(', ')}`);
    return { error: `File not found. Searched ${candidates.join(', ')}` };
  };
}

/**
 * Entry point: dispatches on `--version` / `--standard-json`.
 * @returns {void}
 */
function main() {
  const opts = parseArgs(process.argv.slice(2));
  debug(`argv: ${JSON.stringify(process.argv.slice(2))}`);
  if (opts.ignored.length > 0) debug(`ignored arguments: ${JSON.stringify(opts.ignored)}`);

  if (opts.help) {
    process.stdout.write(
      'Usage: solc --version | solc --standard-json [--base-path DIR] [--include-path DIR]... ' +
        '[--allow-paths DIR[,DIR...]] < input.json\n' +
        'A solc-js backed stand-in for native solc, for forge. Other flags are ignored.\n',
    );
    return;
  }
  if (opts.version) {
    const solc = loadSolc();
    process.stdout.write(
      `solc, the solidity compiler commandline interface\nVersion: ${nativeVersion(solc.version())}\n`,
    );
    return;
  }
  if (!opts.standardJson) {
    fail('only --version and --standard-json (input on stdin) are supported; see --help', 2);
  }

  let input;
  try {
    input = fs.readFileSync(0, 'utf8');
  } catch (err) {
    fail(`cannot read standard JSON input from stdin: ${err.message}`);
  }
  const solc = loadSolc();
  const output = solc.compile(input, { import: makeImportCallback(opts) });
  process.stdout.write(output);
  process.stdout.write('\n');
}

main();
