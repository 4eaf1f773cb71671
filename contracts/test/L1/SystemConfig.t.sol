// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {Vm} from "../utils/Vm.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SystemConfig} from "../../src/L1/SystemConfig.sol";

contract SystemConfigTest is Test {
    bytes32 internal constant CONFIG_UPDATE_TOPIC = keccak256("ConfigUpdate(uint256,uint8,bytes)");
    address internal constant INBOX = 0xff00000000000000000000000000000000031628;

    SystemConfig internal config;
    address internal owner = makeAddr("owner");
    address internal batcher = makeAddr("batcher");
    address internal portal = makeAddr("portal");

    function setUp() public {
        vm.roll(42);
        config = new SystemConfig(owner, batcher, 30_000_000, 1368, 810_949, INBOX, portal);
    }

    /// The single `ConfigUpdate` log recorded since `recordLogs`, checked for topics; returns
    /// the raw log data (the ABI encoding of the event's `bytes data`).
    function _configUpdate(uint8 updateType) internal returns (bytes memory) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one log");
        assertEq(logs[0].emitter, address(config));
        assertEq(logs[0].topics.length, 3);
        assertEq(logs[0].topics[0], CONFIG_UPDATE_TOPIC, "topic0");
        assertEq(logs[0].topics[1], bytes32(0), "version");
        assertEq(logs[0].topics[2], bytes32(uint256(updateType)), "update type");
        return logs[0].data;
    }

    function test_Constructor_SetsEverything() public view {
        assertEq(config.owner(), owner);
        assertEq(config.batcher(), batcher);
        assertEq(config.batcherHash(), bytes32(uint256(uint160(batcher))));
        assertEq(uint256(config.gasLimit()), 30_000_000);
        assertEq(uint256(config.basefeeScalar()), 1368);
        assertEq(uint256(config.blobbasefeeScalar()), 810_949);
        assertEq(config.batchInbox(), INBOX);
        assertEq(config.portal(), portal);
        assertEq(config.startBlock(), 42);
    }

    function test_Constructor_EmitsAllThreeUpdates() public {
        vm.recordLogs();
        SystemConfig other =
            new SystemConfig(owner, batcher, 30_000_000, 1368, 810_949, INBOX, portal);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        // OwnershipTransferred, then BATCHER, FEE_SCALARS, GAS_LIMIT.
        assertEq(logs.length, 4);
        for (uint256 i = 1; i < 4; ++i) {
            assertEq(logs[i].emitter, address(other));
            assertEq(logs[i].topics[0], CONFIG_UPDATE_TOPIC);
            assertEq(logs[i].topics[2], bytes32(i - 1));
        }
    }

    function test_Constructor_RejectsZeroAddresses() public {
        vm.expectRevert(SystemConfig.ZeroAddress.selector);
        new SystemConfig(owner, batcher, 30_000_000, 0, 0, address(0), portal);
        vm.expectRevert(SystemConfig.ZeroAddress.selector);
        new SystemConfig(owner, batcher, 30_000_000, 0, 0, INBOX, address(0));
        vm.expectRevert(SystemConfig.ZeroBatcher.selector);
        new SystemConfig(owner, address(0), 30_000_000, 0, 0, INBOX, portal);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new SystemConfig(address(0), batcher, 30_000_000, 0, 0, INBOX, portal);
    }

    /// Batcher update: OP's 96-byte data (pointer 0x20, length 0x20, batcherHash).
    function test_SetBatcher_EmitsOpEncoding() public {
        address newBatcher = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8;
        vm.recordLogs();
        vm.prank(owner);
        config.setBatcher(newBatcher);
        bytes memory data = _configUpdate(0);
        assertEq(
            data,
            bytes.concat(
                hex"0000000000000000000000000000000000000000000000000000000000000020",
                hex"0000000000000000000000000000000000000000000000000000000000000020",
                hex"00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
            )
        );
        assertEq(config.batcher(), newBatcher);
    }

    /// Fee scalars update: OP's 128-byte data (pointer, length 0x40, overhead 0, Ecotone scalar
    /// with version byte 1, blob base fee scalar in bytes 24..28, base fee scalar in 28..32).
    function test_SetFeeScalars_EmitsEcotoneEncoding() public {
        vm.recordLogs();
        vm.prank(owner);
        config.setFeeScalars(0x01020304, 0x0a0b0c0d);
        bytes memory data = _configUpdate(1);
        assertEq(
            data,
            bytes.concat(
                hex"0000000000000000000000000000000000000000000000000000000000000020",
                hex"0000000000000000000000000000000000000000000000000000000000000040",
                hex"0000000000000000000000000000000000000000000000000000000000000000",
                hex"0100000000000000000000000000000000000000000000000a0b0c0d01020304"
            )
        );
        assertEq(
            config.scalar(), 0x0100000000000000000000000000000000000000000000000a0b0c0d01020304
        );
        assertEq(uint256(config.basefeeScalar()), 0x01020304);
        assertEq(uint256(config.blobbasefeeScalar()), 0x0a0b0c0d);
    }

    function testFuzz_SetFeeScalars_ScalarWord(uint32 basefee, uint32 blobbasefee) public {
        vm.prank(owner);
        config.setFeeScalars(basefee, blobbasefee);
        bytes32 word = bytes32(config.scalar());
        assertEq(uint256(uint8(word[0])), 1, "version byte");
        assertEq(uint256(config.scalar()) >> 64 & ((1 << 184) - 1), 0, "zero padding");
        assertEq(uint256(uint32(config.scalar() >> 32)), blobbasefee);
        assertEq(uint256(uint32(config.scalar())), basefee);
    }

    /// Gas limit update: OP's 96-byte data (pointer, length 0x20, uint256 gas limit).
    function test_SetGasLimit_EmitsOpEncoding() public {
        vm.recordLogs();
        vm.prank(owner);
        config.setGasLimit(60_000_000);
        bytes memory data = _configUpdate(2);
        assertEq(
            data,
            bytes.concat(
                hex"0000000000000000000000000000000000000000000000000000000000000020",
                hex"0000000000000000000000000000000000000000000000000000000000000020",
                hex"0000000000000000000000000000000000000000000000000000000003938700"
            )
        );
        assertEq(uint256(config.gasLimit()), 60_000_000);
    }

    function testFuzz_SetGasLimit_Bounds(uint64 gasLimit) public {
        vm.prank(owner);
        if (gasLimit < 21_000_000 || gasLimit > 200_000_000) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    SystemConfig.GasLimitOutOfRange.selector, gasLimit, 21_000_000, 200_000_000
                )
            );
            config.setGasLimit(gasLimit);
        } else {
            config.setGasLimit(gasLimit);
            assertEq(uint256(config.gasLimit()), gasLimit);
        }
    }

    function test_SetGasLimit_EdgeValues() public {
        vm.startPrank(owner);
        config.setGasLimit(21_000_000);
        config.setGasLimit(200_000_000);
        vm.expectPartialRevert(SystemConfig.GasLimitOutOfRange.selector);
        config.setGasLimit(20_999_999);
        vm.expectPartialRevert(SystemConfig.GasLimitOutOfRange.selector);
        config.setGasLimit(200_000_001);
        vm.stopPrank();
    }

    function test_SetBatcher_RejectsZero() public {
        vm.expectRevert(SystemConfig.ZeroBatcher.selector);
        vm.prank(owner);
        config.setBatcher(address(0));
    }

    function testFuzz_Setters_OwnerOnly(address caller) public {
        vm.assume(caller != owner);
        bytes memory unauthorized =
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller);
        vm.startPrank(caller);
        vm.expectRevert(unauthorized);
        config.setBatcher(caller);
        vm.expectRevert(unauthorized);
        config.setFeeScalars(1, 2);
        vm.expectRevert(unauthorized);
        config.setGasLimit(40_000_000);
        vm.stopPrank();
    }

    function test_TransferOwnership_MovesSetterRights() public {
        address next = makeAddr("next");
        vm.prank(owner);
        config.transferOwnership(next);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, owner));
        vm.prank(owner);
        config.setGasLimit(40_000_000);
        vm.prank(next);
        config.setGasLimit(40_000_000);
        assertEq(uint256(config.gasLimit()), 40_000_000);
    }
}
