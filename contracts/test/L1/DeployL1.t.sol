// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {DeployL1} from "../../script/DeployL1.s.sol";
import {TRexPortal} from "../../src/L1/TRexPortal.sol";
import {SystemConfig} from "../../src/L1/SystemConfig.sol";

/// @notice The deploy script's defaults and environment overrides (deploy/deploy-l1.sh runs it
///         with --broadcast against a real L1). `vm.setEnv` changes the environment of the whole
///         forge process, whose tests run in parallel, so one test covers defaults, overrides and
///         bad values in sequence, and it is the only test that sets TREX_* variables.
contract DeployL1Test is Test {
    address internal constant ACCOUNT_0 = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;
    address internal constant ACCOUNT_1 = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8;

    function test_Run_DefaultsOverridesAndBadValues() public {
        (TRexPortal portal, SystemConfig config) = new DeployL1().run();
        assertEq(portal.owner(), ACCOUNT_0);
        assertEq(portal.guardian(), ACCOUNT_0);
        assertEq(uint256(portal.maxGasPerDeposit()), 20_000_000);
        assertEq(uint256(portal.maxGasPerBlock()), 20_000_000);
        assertEq(config.owner(), ACCOUNT_0);
        assertEq(config.batcher(), ACCOUNT_1);
        assertEq(config.batchInbox(), 0xff00000000000000000000000000000000031628);
        assertEq(config.portal(), address(portal));
        assertEq(uint256(config.gasLimit()), 30_000_000);
        assertEq(uint256(config.basefeeScalar()), 1368);
        assertEq(uint256(config.blobbasefeeScalar()), 810_949);
        assertEq(config.startBlock(), block.number);

        // Environment overrides.
        address owner = makeAddr("owner");
        address batcher = makeAddr("batcher");
        vm.setEnv("TREX_L1_OWNER", vm.toString(owner));
        vm.setEnv("TREX_BATCHER", vm.toString(batcher));
        vm.setEnv("TREX_BATCH_INBOX", "0xff00000000000000000000000000000000001962");
        vm.setEnv("TREX_L2_GAS_LIMIT", "60000000");
        vm.setEnv("TREX_MAX_DEPOSIT_GAS", "1000000");
        (portal, config) = new DeployL1().run();
        assertEq(portal.owner(), owner);
        assertEq(portal.guardian(), owner);
        assertEq(uint256(portal.maxGasPerDeposit()), 1_000_000);
        assertEq(config.owner(), owner);
        assertEq(config.batcher(), batcher);
        assertEq(config.batchInbox(), 0xfF00000000000000000000000000000000001962);
        assertEq(uint256(config.gasLimit()), 60_000_000);

        // A value too large for its type is rejected, not truncated.
        vm.setEnv("TREX_BASEFEE_SCALAR", "4294967296");
        DeployL1 script = new DeployL1();
        vm.expectRevert();
        script.config();
        vm.setEnv("TREX_BASEFEE_SCALAR", "1368");
    }
}
