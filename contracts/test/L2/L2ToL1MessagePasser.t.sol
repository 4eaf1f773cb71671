// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {L2ToL1MessagePasser} from "../../src/L2/L2ToL1MessagePasser.sol";
import {Predeploys} from "../../src/L2/Predeploys.sol";

contract L2ToL1MessagePasserTest is Test {
    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );
    event WithdrawerBalanceBurnt(uint256 indexed amount);

    uint256 internal constant VERSION_1 = 1 << 240;

    L2ToL1MessagePasser internal passer =
        L2ToL1MessagePasser(payable(Predeploys.L2_TO_L1_MESSAGE_PASSER));
    address internal alice = makeAddr("alice");
    address internal target = makeAddr("target");

    function setUp() public {
        vm.etch(address(passer), address(new L2ToL1MessagePasser()).code);
        deal(alice, 100 ether);
    }

    function test_FirstWithdrawal_HashNonceAndStorage() public {
        bytes memory data = hex"1234";
        bytes32 expected = keccak256(
            abi.encode(VERSION_1, alice, target, uint256(1 ether), uint256(200_000), data)
        );
        assertEq(passer.messageNonce(), VERSION_1);

        vm.expectEmit(address(passer));
        emit MessagePassed(VERSION_1, alice, target, 1 ether, 200_000, data, expected);
        vm.prank(alice);
        passer.initiateWithdrawal{value: 1 ether}(target, 200_000, data);

        assertTrue(passer.sentMessages(expected));
        // sentMessages is slot 0: the flag sits at keccak256(hash . 0).
        assertEq(uint256(vm.load(address(passer), keccak256(abi.encode(expected, uint256(0))))), 1);
        // The counter is slot 1; the version is added on read.
        assertEq(uint256(vm.load(address(passer), bytes32(uint256(1)))), 1);
        assertEq(passer.messageNonce(), VERSION_1 | 1);
        assertEq(address(passer).balance, 1 ether);
    }

    function testFuzz_Withdrawals_HashesAndNoncesAdvance(
        address sender,
        address to,
        uint256 value,
        uint256 gasLimit,
        bytes memory data,
        uint8 count
    ) public {
        count = uint8(bound(count, 1, 5));
        value = bound(value, 0, 1 ether);
        deal(sender, uint256(count) * value);
        for (uint256 i; i < count; ++i) {
            uint256 nonce = VERSION_1 | i;
            bytes32 expected = keccak256(abi.encode(nonce, sender, to, value, gasLimit, data));
            assertEq(passer.hashWithdrawal(nonce, sender, to, value, gasLimit, data), expected);
            vm.expectEmit(address(passer));
            emit MessagePassed(nonce, sender, to, value, gasLimit, data, expected);
            vm.prank(sender);
            passer.initiateWithdrawal{value: value}(to, gasLimit, data);
            assertTrue(passer.sentMessages(expected));
        }
        assertEq(passer.messageNonce(), VERSION_1 | count);
    }

    function test_Receive_WithdrawsToSender() public {
        bytes32 expected =
            keccak256(abi.encode(VERSION_1, alice, alice, uint256(3 ether), uint256(100_000), ""));
        vm.expectEmit(address(passer));
        emit MessagePassed(VERSION_1, alice, alice, 3 ether, 100_000, "", expected);
        vm.prank(alice);
        (bool ok,) = address(passer).call{value: 3 ether}("");
        assertTrue(ok);
        assertTrue(passer.sentMessages(expected));
    }

    function test_Burn_RemovesBalance() public {
        vm.prank(alice);
        passer.initiateWithdrawal{value: 5 ether}(target, 100_000, "");
        assertEq(address(passer).balance, 5 ether);

        vm.expectEmit(address(passer));
        emit WithdrawerBalanceBurnt(5 ether);
        passer.burn();
        assertEq(address(passer).balance, 0);
        // The withdrawal record stays.
        assertEq(passer.messageNonce(), VERSION_1 | 1);
    }

    function test_Burn_Empty() public {
        vm.expectEmit(address(passer));
        emit WithdrawerBalanceBurnt(0);
        passer.burn();
    }
}
