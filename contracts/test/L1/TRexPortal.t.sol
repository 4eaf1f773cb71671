// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {Vm} from "../utils/Vm.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TRexPortal} from "../../src/L1/TRexPortal.sol";
import {AddressAliasing} from "../../src/L1/AddressAliasing.sol";

/// @notice Calls the portal from a contract, so the deposit's sender is aliased.
contract PortalCaller {
    function deposit(TRexPortal portal, address to, uint64 gasLimit) external payable {
        portal.depositTransaction{value: msg.value}(to, 0, gasLimit, false, "");
    }

    function send(TRexPortal portal) external payable {
        (bool ok,) = address(portal).call{value: msg.value}("");
        require(ok, "send failed");
    }
}

contract TRexPortalTest is Test {
    event TransactionDeposited(
        address indexed from, address indexed to, uint256 indexed version, bytes opaqueData
    );
    event ResourceConfigUpdated(uint64 maxGasPerDeposit, uint64 maxGasPerBlock);
    event GuardianUpdated(address indexed previousGuardian, address indexed newGuardian);
    event Paused(address indexed account);
    event Unpaused(address indexed account);

    uint64 internal constant MAX_PER_DEPOSIT = 5_000_000;
    uint64 internal constant MAX_PER_BLOCK = 20_000_000;

    TRexPortal internal portal;
    address internal owner = makeAddr("owner");
    address internal guardian = makeAddr("guardian");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    function setUp() public {
        portal = new TRexPortal(owner, guardian, MAX_PER_DEPOSIT, MAX_PER_BLOCK);
        deal(alice, 100 ether);
    }

    /// The `TransactionDeposited` log of the last recorded call.
    function _depositLog() internal returns (Vm.Log memory log) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one log");
        log = logs[0];
        assertEq(log.emitter, address(portal));
        assertEq(log.topics.length, 4);
        assertEq(
            log.topics[0],
            keccak256("TransactionDeposited(address,address,uint256,bytes)"),
            "topic0"
        );
    }

    function test_Constructor_SetsConfigAndEmits() public {
        assertEq(portal.owner(), owner);
        assertEq(portal.guardian(), guardian);
        assertEq(uint256(portal.maxGasPerDeposit()), MAX_PER_DEPOSIT);
        assertEq(uint256(portal.maxGasPerBlock()), MAX_PER_BLOCK);
        assertFalse(portal.paused());

        vm.expectEmit();
        emit GuardianUpdated(address(0), guardian);
        vm.expectEmit();
        emit ResourceConfigUpdated(MAX_PER_DEPOSIT, MAX_PER_BLOCK);
        new TRexPortal(owner, guardian, MAX_PER_DEPOSIT, MAX_PER_BLOCK);
    }

    function test_Constructor_RejectsInvalidResourceConfig() public {
        vm.expectRevert(
            abi.encodeWithSelector(TRexPortal.InvalidResourceConfig.selector, 20_999, 20_000_000)
        );
        new TRexPortal(owner, guardian, 20_999, 20_000_000);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPortal.InvalidResourceConfig.selector, 2_000_001, 2_000_000)
        );
        new TRexPortal(owner, guardian, 2_000_001, 2_000_000);
    }

    /// The opaque data laid out byte for byte: 32 mint, 32 value, 8 gas limit, 1 creation flag,
    /// then the calldata, with the EOA sender unaliased.
    function test_Deposit_EncodesOpaqueDataByteForByte() public {
        bytes memory data = hex"deadbeefcafe";
        vm.recordLogs();
        vm.prank(alice, alice);
        portal.depositTransaction{value: 3 ether}(bob, 1 ether, 100_000, false, data);
        Vm.Log memory log = _depositLog();

        assertEq(log.topics[1], bytes32(uint256(uint160(alice))), "from");
        assertEq(log.topics[2], bytes32(uint256(uint160(bob))), "to");
        assertEq(log.topics[3], bytes32(0), "version");
        bytes memory expected = bytes.concat(
            hex"00000000000000000000000000000000000000000000000029a2241af62c0000", // 3 ether
            hex"0000000000000000000000000000000000000000000000000de0b6b3a7640000", // 1 ether
            hex"00000000000186a0", // 100000
            hex"00",
            hex"deadbeefcafe"
        );
        assertEq(expected.length, 32 + 32 + 8 + 1 + 6);
        assertEq(abi.decode(log.data, (bytes)), expected, "opaqueData");
        assertEq(address(portal).balance, 3 ether, "portal holds the mint");
    }

    function testFuzz_Deposit_EncodesOpaqueData(
        uint256 mint,
        uint256 value,
        uint64 gasLimit,
        bytes memory data,
        address to
    ) public {
        vm.assume(data.length <= 10_000);
        mint = bound(mint, 0, 1000 ether);
        gasLimit =
            uint64(bound(gasLimit, portal.minimumGasLimit(uint64(data.length)), MAX_PER_DEPOSIT));
        deal(alice, mint);

        vm.expectEmit(address(portal));
        emit TransactionDeposited(
            alice, to, 0, abi.encodePacked(mint, value, gasLimit, false, data)
        );
        vm.prank(alice, alice);
        portal.depositTransaction{value: mint}(to, value, gasLimit, false, data);
        assertEq(address(portal).balance, mint);
    }

    function test_Deposit_FromContractIsAliased() public {
        PortalCaller caller = new PortalCaller();
        address expected =
            address(uint160(address(caller)) + uint160(0x1111000000000000000000000000000000001111));
        vm.expectEmit(address(portal));
        emit TransactionDeposited(
            expected, bob, 0, abi.encodePacked(uint256(1 ether), uint256(0), uint64(50_000), false)
        );
        caller.deposit{value: 1 ether}(portal, bob, 50_000);
    }

    function test_Deposit_AliasWrapsAround() public pure {
        assertEq(
            AddressAliasing.toL2(0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF),
            0x1111000000000000000000000000000000001110
        );
        assertEq(
            AddressAliasing.toL1(0x1111000000000000000000000000000000001110),
            0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF
        );
    }

    function testFuzz_Alias_RoundTrips(address account) public pure {
        assertEq(AddressAliasing.toL1(AddressAliasing.toL2(account)), account);
        assertEq(
            uint256(uint160(AddressAliasing.toL2(account))),
            (uint256(uint160(account))
                    + uint256(uint160(0x1111000000000000000000000000000000001111))) % 2 ** 160
        );
    }

    function test_Deposit_EoaWithDifferentOriginIsAliased() public {
        // msg.sender != tx.origin means the caller is a contract, whatever its code.
        vm.expectEmit(address(portal));
        emit TransactionDeposited(
            AddressAliasing.toL2(alice),
            bob,
            0,
            abi.encodePacked(uint256(0), uint256(0), uint64(21_000), false)
        );
        vm.prank(alice, bob);
        portal.depositTransaction(bob, 0, 21_000, false, "");
    }

    function test_Deposit_Creation() public {
        bytes memory initCode = hex"600a600c600039600a6000f3602a60005260206000f3";
        uint64 gasLimit = portal.minimumGasLimit(uint64(initCode.length));
        vm.expectEmit(address(portal));
        emit TransactionDeposited(
            alice, address(0), 0, abi.encodePacked(uint256(0), uint256(0), gasLimit, true, initCode)
        );
        vm.prank(alice, alice);
        portal.depositTransaction(address(0), 0, gasLimit, true, initCode);
    }

    function testFuzz_Deposit_CreationWithTargetReverts(address to) public {
        vm.assume(to != address(0));
        vm.expectRevert(abi.encodeWithSelector(TRexPortal.CreationWithTarget.selector, to));
        vm.prank(alice, alice);
        portal.depositTransaction(to, 0, 100_000, true, hex"00");
    }

    function test_MinimumGasLimit() public view {
        assertEq(uint256(portal.minimumGasLimit(0)), 21_000);
        assertEq(uint256(portal.minimumGasLimit(1)), 21_040);
        assertEq(uint256(portal.minimumGasLimit(1000)), 61_000);
    }

    function testFuzz_Deposit_GasLimitBelowMinimumReverts(bytes memory data, uint64 gasLimit)
        public
    {
        vm.assume(data.length <= 10_000);
        uint64 minimum = uint64(21_000 + 40 * data.length);
        gasLimit = uint64(bound(gasLimit, 0, minimum - 1));
        vm.expectRevert(
            abi.encodeWithSelector(TRexPortal.GasLimitTooLow.selector, gasLimit, minimum)
        );
        vm.prank(alice, alice);
        portal.depositTransaction(bob, 0, gasLimit, false, data);
    }

    function test_Deposit_GasLimitAtBounds() public {
        vm.startPrank(alice, alice);
        portal.depositTransaction(bob, 0, 21_000 + 40 * 3, false, hex"010203");
        portal.depositTransaction(bob, 0, MAX_PER_DEPOSIT, false, hex"010203");
        vm.expectRevert(
            abi.encodeWithSelector(
                TRexPortal.GasLimitTooHigh.selector, MAX_PER_DEPOSIT + 1, MAX_PER_DEPOSIT
            )
        );
        portal.depositTransaction(bob, 0, MAX_PER_DEPOSIT + 1, false, hex"010203");
        vm.stopPrank();
    }

    function test_Deposit_DataTooLargeReverts() public {
        bytes memory data = new bytes(120_001);
        vm.expectRevert(abi.encodeWithSelector(TRexPortal.DataTooLarge.selector, 120_001, 120_000));
        vm.prank(alice, alice);
        portal.depositTransaction(bob, 0, MAX_PER_DEPOSIT, false, data);
    }

    function test_Deposit_PerBlockCap() public {
        vm.startPrank(alice, alice);
        // Four full deposits fill the block's 20M.
        for (uint256 i; i < 4; ++i) {
            portal.depositTransaction(bob, 0, MAX_PER_DEPOSIT, false, "");
        }
        assertEq(uint256(portal.gasAvailableInBlock()), 0);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPortal.BlockGasLimitExceeded.selector, 21_000, 0)
        );
        portal.depositTransaction(bob, 0, 21_000, false, "");

        // The next L1 block starts afresh.
        vm.roll(block.number + 1);
        assertEq(uint256(portal.gasAvailableInBlock()), MAX_PER_BLOCK);
        portal.depositTransaction(bob, 0, 21_000, false, "");
        assertEq(uint256(portal.gasAvailableInBlock()), MAX_PER_BLOCK - 21_000);
        assertEq(uint256(portal.gasUsedInBlock()), 21_000);
        assertEq(uint256(portal.meteredBlock()), block.number);
        vm.stopPrank();
    }

    function testFuzz_Deposit_PerBlockSumNeverExceedsCap(uint64[8] memory limits) public {
        vm.startPrank(alice, alice);
        uint256 accepted;
        for (uint256 i; i < limits.length; ++i) {
            uint64 gasLimit = uint64(bound(limits[i], 21_000, MAX_PER_DEPOSIT));
            if (accepted + gasLimit > MAX_PER_BLOCK) {
                vm.expectRevert(
                    abi.encodeWithSelector(
                        TRexPortal.BlockGasLimitExceeded.selector,
                        gasLimit,
                        MAX_PER_BLOCK - accepted
                    )
                );
                portal.depositTransaction(bob, 0, gasLimit, false, "");
            } else {
                portal.depositTransaction(bob, 0, gasLimit, false, "");
                accepted += gasLimit;
            }
            assertLe(uint256(portal.gasUsedInBlock()), MAX_PER_BLOCK);
        }
        assertEq(uint256(portal.gasUsedInBlock()), accepted);
        vm.stopPrank();
    }

    function test_Receive_DepositsToSender() public {
        vm.expectEmit(address(portal));
        emit TransactionDeposited(
            alice,
            alice,
            0,
            abi.encodePacked(uint256(2 ether), uint256(2 ether), uint64(100_000), false)
        );
        vm.prank(alice, alice);
        (bool ok,) = address(portal).call{value: 2 ether}("");
        assertTrue(ok);
        assertEq(address(portal).balance, 2 ether);
    }

    function test_Receive_FromContractIsAliased() public {
        PortalCaller caller = new PortalCaller();
        address aliased = AddressAliasing.toL2(address(caller));
        vm.expectEmit(address(portal));
        emit TransactionDeposited(
            aliased,
            address(caller),
            0,
            abi.encodePacked(uint256(1), uint256(1), uint64(100_000), false)
        );
        caller.send{value: 1}(portal);
    }

    function test_Pause_ByOwnerAndGuardian() public {
        vm.expectEmit(address(portal));
        emit Paused(guardian);
        vm.prank(guardian);
        portal.pause();
        assertTrue(portal.paused());

        vm.expectRevert(TRexPortal.DepositsPaused.selector);
        vm.prank(alice, alice);
        portal.depositTransaction(bob, 0, 21_000, false, "");
        vm.expectRevert(TRexPortal.DepositsPaused.selector);
        vm.prank(alice, alice);
        (bool ok,) = address(portal).call{value: 1}("");
        ok;

        vm.expectRevert(abi.encodeWithSelector(TRexPortal.PauseStateUnchanged.selector, true));
        vm.prank(owner);
        portal.pause();

        vm.expectEmit(address(portal));
        emit Unpaused(owner);
        vm.prank(owner);
        portal.unpause();
        assertFalse(portal.paused());
        vm.prank(alice, alice);
        portal.depositTransaction(bob, 0, 21_000, false, "");

        vm.expectRevert(abi.encodeWithSelector(TRexPortal.PauseStateUnchanged.selector, false));
        vm.prank(guardian);
        portal.unpause();
    }

    function testFuzz_Pause_OthersRejected(address caller) public {
        vm.assume(caller != owner && caller != guardian);
        vm.expectRevert(abi.encodeWithSelector(TRexPortal.NotOwnerOrGuardian.selector, caller));
        vm.prank(caller);
        portal.pause();
        vm.prank(owner);
        portal.pause();
        vm.expectRevert(abi.encodeWithSelector(TRexPortal.NotOwnerOrGuardian.selector, caller));
        vm.prank(caller);
        portal.unpause();
    }

    function test_SetGuardian_OwnerOnly() public {
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, guardian)
        );
        vm.prank(guardian);
        portal.setGuardian(alice);

        vm.expectEmit(address(portal));
        emit GuardianUpdated(guardian, address(0));
        vm.prank(owner);
        portal.setGuardian(address(0));
        assertEq(portal.guardian(), address(0));
        // Without a guardian, the zero address cannot pause either.
        vm.expectRevert(abi.encodeWithSelector(TRexPortal.NotOwnerOrGuardian.selector, address(0)));
        vm.prank(address(0));
        portal.pause();
    }

    function test_SetResourceConfig_OwnerOnly() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        portal.setResourceConfig(1_000_000, 2_000_000);

        vm.expectEmit(address(portal));
        emit ResourceConfigUpdated(1_000_000, 2_000_000);
        vm.prank(owner);
        portal.setResourceConfig(1_000_000, 2_000_000);
        assertEq(uint256(portal.maxGasPerDeposit()), 1_000_000);
        assertEq(uint256(portal.maxGasPerBlock()), 2_000_000);

        vm.expectRevert(
            abi.encodeWithSelector(TRexPortal.InvalidResourceConfig.selector, 3_000_000, 2_000_000)
        );
        vm.prank(owner);
        portal.setResourceConfig(3_000_000, 2_000_000);
    }

    function test_SetResourceConfig_LoweredCapAppliesToCurrentBlock() public {
        vm.prank(alice, alice);
        portal.depositTransaction(bob, 0, 3_000_000, false, "");
        vm.prank(owner);
        portal.setResourceConfig(1_000_000, 2_000_000);
        assertEq(uint256(portal.gasAvailableInBlock()), 0);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPortal.BlockGasLimitExceeded.selector, 21_000, 0)
        );
        vm.prank(alice, alice);
        portal.depositTransaction(bob, 0, 21_000, false, "");
    }
}
