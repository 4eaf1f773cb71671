// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {TRexPassport} from "../src/identity/TRexPassport.sol";
import {TRexBadge} from "../src/identity/TRexBadge.sol";
import {ITRexPassport} from "../src/identity/ITRexPassport.sol";
import {IdentityPredeploys, IdentityScript} from "./DeployIdentity.s.sol";

/// @title IdentityGenesis
/// @notice Produces the genesis state of the identity predeploys by executing the contracts'
///         own code, never by writing storage slots worked out by hand. deploy/tools/predeploys.mjs
///         runs `forge script script/IdentityGenesis.s.sol --sig 'run(string)' <dir>` and merges
///         the four predeploy accounts of `<dir>/{devnet,testnet,mainnet}.json` into the genesis
///         files.
///
///         For each network:
///         - each implementation's creation code runs at its fixed address, so its constructor
///           does exactly what a deployment does: `_disableInitializers()` and UUPS's immutable
///           `__self` set to that address (the runtime code returned is what gets etched; copying
///           the code of an implementation deployed elsewhere would carry the wrong `__self` and
///           make every upgrade revert);
///         - each proxy gets ERC1967Proxy's runtime code and OpenZeppelin's implementation slot
///           (`ERC1967Utils.IMPLEMENTATION_SLOT`): ERC1967Proxy's constructor refuses empty
///           initialisation data, which the uninitialised testnet and mainnet proxies need;
///         - devnet only: `initialize` through each proxy, then the set-up calls as the admin
///           (anvil account 0): the badge contract, VALIDATOR_ROLE for the devnet validator
///           signer (account 9), TASK_ISSUER_ROLE for account 0. Testnet and mainnet stay
///           uninitialised until the operator runs `InitIdentity` (docs/identity-contracts.md).
///         Every predeploy account gets nonce 1, as a contract created by a transaction has.
contract IdentityGenesis is IdentityScript {
    /// A network this script does not know.
    error UnknownNetwork(string name);
    /// A constructor run at a predeploy address reverted.
    error ConstructorReverted(address target, bytes reason);
    /// A predeploy address already holds code.
    error AddressTaken(address target);

    /// @notice Writes `<dir>/<network>.json` (forge's `dumpState` format) for the devnet, testnet
    ///         and mainnet, each from the same empty state.
    function run(string calldata dir) external {
        string[3] memory networks = ["devnet", "testnet", "mainnet"];
        for (uint256 i = 0; i < networks.length; i++) {
            uint256 snapshot = vm.snapshotState();
            build(networks[i]);
            vmx.dumpState(string.concat(dir, "/", networks[i], ".json"));
            vm.revertToState(snapshot);
        }
    }

    /// @notice Puts the identity predeploys of `network` into the current state.
    function build(string memory network) public returns (TRexPassport passport, TRexBadge badge) {
        (uint256 chainId, bool initialise) = _network(network);
        vm.chainId(chainId);
        (address passportProxy, address badgeProxy) = IdentityPredeploys.proxies(chainId);

        _construct(IdentityPredeploys.PASSPORT_IMPLEMENTATION, type(TRexPassport).creationCode);
        _construct(IdentityPredeploys.BADGE_IMPLEMENTATION, type(TRexBadge).creationCode);
        _proxy(passportProxy, IdentityPredeploys.PASSPORT_IMPLEMENTATION);
        _proxy(badgeProxy, IdentityPredeploys.BADGE_IMPLEMENTATION);
        passport = TRexPassport(passportProxy);
        badge = TRexBadge(badgeProxy);
        if (!initialise) return (passport, badge);

        Config memory c = devnetConfig();
        passport.initialize(c.admin);
        badge.initialize(c.admin, ITRexPassport(passportProxy));
        vm.startPrank(c.admin);
        _wire(passport, badge, c);
        vm.stopPrank();
        _verify(
            Deployment({
                passport: passportProxy,
                badge: badgeProxy,
                passportImplementation: IdentityPredeploys.PASSPORT_IMPLEMENTATION,
                badgeImplementation: IdentityPredeploys.BADGE_IMPLEMENTATION
            }),
            c
        );
    }

    /// @notice The devnet's roles: admin and task issuer anvil account 0, validator account 9.
    /// @dev `deployerKey` is account 0's so that `_verify` treats the admin as the deployer.
    function devnetConfig() public pure returns (Config memory c) {
        c.deployerKey = DEV_DEPLOYER_KEY;
        c.admin = DEV_ACCOUNT_0;
        c.validators = new address[](1);
        c.validators[0] = DEV_ACCOUNT_9;
        c.taskIssuers = new address[](1);
        c.taskIssuers[0] = DEV_ACCOUNT_0;
    }

    /// The chain id of `network` and whether its genesis initialises the proxies.
    function _network(string memory network) private pure returns (uint256, bool) {
        bytes32 name = keccak256(bytes(network));
        if (name == keccak256("devnet")) return (IdentityPredeploys.DEVNET_CHAIN_ID, true);
        if (name == keccak256("testnet")) return (IdentityPredeploys.TESTNET_CHAIN_ID, false);
        if (name == keccak256("mainnet")) return (IdentityPredeploys.MAINNET_CHAIN_ID, false);
        revert UnknownNetwork(network);
    }

    /// @notice Runs `creationCode` (a constructor without arguments) at `target` and leaves the
    ///         runtime code it returns there, as CREATE would (forge-std's `deployCodeTo` does the
    ///         same).
    function _construct(address target, bytes memory creationCode) private {
        if (target.code.length != 0) revert AddressTaken(target);
        vm.etch(target, creationCode);
        (bool ok, bytes memory runtime) = target.call("");
        if (!ok) revert ConstructorReverted(target, runtime);
        vm.etch(target, runtime);
        vm.setNonce(target, 1);
    }

    /// An ERC1967Proxy at `target` pointing at `implementation`, not initialised.
    function _proxy(address target, address implementation) private {
        if (target.code.length != 0) revert AddressTaken(target);
        vm.etch(target, type(ERC1967Proxy).runtimeCode);
        vm.store(
            target, ERC1967Utils.IMPLEMENTATION_SLOT, bytes32(uint256(uint160(implementation)))
        );
        vm.setNonce(target, 1);
    }
}
