// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Script} from "../test/utils/Script.sol";
import {console} from "../test/utils/console.sol";
import {TRexPortal} from "../src/L1/TRexPortal.sol";
import {SystemConfig} from "../src/L1/SystemConfig.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title DeployL1
/// @notice Deploys T-Rex Chain's L1 contracts: `TRexPortal`, then `SystemConfig` (which records
///         the portal). Run by deploy/deploy-l1.sh:
///         `forge script script/DeployL1.s.sol --rpc-url $RPC --broadcast`.
/// @dev Every parameter has a devnet default and an environment override:
///      TREX_DEPLOYER_KEY (anvil account 0's key), TREX_L1_OWNER (the deployer),
///      TREX_GUARDIAN (the owner), TREX_BATCHER (anvil account 1),
///      TREX_BATCH_INBOX (0xff00000000000000000000000000000000031628), TREX_L2_GAS_LIMIT
///      (30000000), TREX_BASEFEE_SCALAR (1368), TREX_BLOBBASEFEE_SCALAR (810949),
///      TREX_MAX_DEPOSIT_GAS (20000000), TREX_MAX_DEPOSIT_GAS_PER_BLOCK (20000000).
contract DeployL1 is Script {
    /// anvil's account 0 (the default mnemonic): the devnet deployer and owner.
    uint256 internal constant DEVNET_DEPLOYER_KEY =
        0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    /// anvil's account 1: the devnet batcher.
    address internal constant DEVNET_BATCHER = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8;
    /// The devnet's batch inbox (0xff, zeros, the L2 chain id 31628 in decimal digits).
    address internal constant DEVNET_BATCH_INBOX = 0xff00000000000000000000000000000000031628;

    /// @notice The deployment's parameters.
    struct Config {
        uint256 deployerKey;
        address owner;
        address guardian;
        address batcher;
        address batchInbox;
        uint64 l2GasLimit;
        uint32 basefeeScalar;
        uint32 blobbasefeeScalar;
        uint64 maxGasPerDeposit;
        uint64 maxGasPerBlock;
    }

    /// @notice Deploys both contracts and returns their addresses.
    function run() external returns (TRexPortal portal, SystemConfig systemConfig) {
        Config memory c = config();
        vm.startBroadcast(c.deployerKey);
        portal = new TRexPortal(c.owner, c.guardian, c.maxGasPerDeposit, c.maxGasPerBlock);
        systemConfig = new SystemConfig(
            c.owner,
            c.batcher,
            c.l2GasLimit,
            c.basefeeScalar,
            c.blobbasefeeScalar,
            c.batchInbox,
            address(portal)
        );
        vm.stopBroadcast();

        console.log("TRexPortal", address(portal));
        console.log("SystemConfig", address(systemConfig));
    }

    /// @notice The parameters: environment overrides, else the devnet defaults. Values too large
    ///         for their type revert (SafeCast) instead of being truncated.
    function config() public view returns (Config memory c) {
        c.deployerKey = vm.envOr("TREX_DEPLOYER_KEY", DEVNET_DEPLOYER_KEY);
        c.owner = vm.envOr("TREX_L1_OWNER", vm.addr(c.deployerKey));
        c.guardian = vm.envOr("TREX_GUARDIAN", c.owner);
        c.batcher = vm.envOr("TREX_BATCHER", DEVNET_BATCHER);
        c.batchInbox = vm.envOr("TREX_BATCH_INBOX", DEVNET_BATCH_INBOX);
        c.l2GasLimit = SafeCast.toUint64(vm.envOr("TREX_L2_GAS_LIMIT", uint256(30_000_000)));
        c.basefeeScalar = SafeCast.toUint32(vm.envOr("TREX_BASEFEE_SCALAR", uint256(1368)));
        c.blobbasefeeScalar =
            SafeCast.toUint32(vm.envOr("TREX_BLOBBASEFEE_SCALAR", uint256(810_949)));
        c.maxGasPerDeposit =
            SafeCast.toUint64(vm.envOr("TREX_MAX_DEPOSIT_GAS", uint256(20_000_000)));
        c.maxGasPerBlock =
            SafeCast.toUint64(vm.envOr("TREX_MAX_DEPOSIT_GAS_PER_BLOCK", uint256(20_000_000)));
    }
}
