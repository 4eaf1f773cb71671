// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {FeeVault} from "../../src/L2/FeeVault.sol";
import {SequencerFeeVault} from "../../src/L2/SequencerFeeVault.sol";
import {BaseFeeVault} from "../../src/L2/BaseFeeVault.sol";
import {L1FeeVault} from "../../src/L2/L1FeeVault.sol";
import {OperatorFeeVault} from "../../src/L2/OperatorFeeVault.sol";
import {Predeploys} from "../../src/L2/Predeploys.sol";

contract Rejecting {
    receive() external payable {
        revert("no");
    }
}

contract FeeVaultTest is Test {
    event Withdrawal(uint256 value, address indexed to, address indexed from);

    address internal recipient = makeAddr("recipient");
    address internal anyone = makeAddr("anyone");

    /// The four vaults as the genesis sets them up: runtime code at the predeploy address and
    /// recipient (slot 0) and minimum (slot 1) written to storage.
    function setUp() public {
        _install(Predeploys.SEQUENCER_FEE_VAULT, address(new SequencerFeeVault()).code, 1 ether);
        _install(Predeploys.BASE_FEE_VAULT, address(new BaseFeeVault()).code, 1 ether);
        _install(Predeploys.L1_FEE_VAULT, address(new L1FeeVault()).code, 1 ether);
        _install(Predeploys.OPERATOR_FEE_VAULT, address(new OperatorFeeVault()).code, 1 ether);
    }

    function _install(address vaultAddr, bytes memory code, uint256 minimum) internal {
        vm.etch(vaultAddr, code);
        vm.store(vaultAddr, bytes32(uint256(0)), bytes32(uint256(uint160(recipient))));
        vm.store(vaultAddr, bytes32(uint256(1)), bytes32(minimum));
    }

    function _vaults() internal pure returns (address[4] memory) {
        return [
            Predeploys.SEQUENCER_FEE_VAULT,
            Predeploys.BASE_FEE_VAULT,
            Predeploys.L1_FEE_VAULT,
            Predeploys.OPERATOR_FEE_VAULT
        ];
    }

    function test_GenesisStorage_ReadBack() public view {
        for (uint256 i; i < 4; ++i) {
            FeeVault vault = FeeVault(payable(_vaults()[i]));
            assertEq(vault.recipient(), recipient);
            assertEq(vault.minWithdrawalAmount(), 1 ether);
            assertEq(vault.totalProcessed(), 0);
        }
    }

    function test_Withdraw_PaysRecipient() public {
        for (uint256 i; i < 4; ++i) {
            FeeVault vault = FeeVault(payable(_vaults()[i]));
            (bool ok,) = address(vault).call{value: 2 ether}("");
            assertTrue(ok, "accepts ether");
            uint256 before = recipient.balance;
            vm.expectEmit(address(vault));
            emit Withdrawal(2 ether, recipient, anyone);
            vm.prank(anyone);
            vault.withdraw();
            assertEq(recipient.balance - before, 2 ether);
            assertEq(address(vault).balance, 0);
            assertEq(vault.totalProcessed(), 2 ether);
        }
    }

    function testFuzz_Withdraw_Minimum(uint256 balance) public {
        balance = bound(balance, 0, 10 ether);
        FeeVault vault = FeeVault(payable(Predeploys.BASE_FEE_VAULT));
        vm.deal(address(vault), balance);
        if (balance < 1 ether) {
            vm.expectRevert(
                abi.encodeWithSelector(FeeVault.BelowMinimum.selector, balance, 1 ether)
            );
            vault.withdraw();
        } else {
            vault.withdraw();
            assertEq(recipient.balance, balance);
            assertEq(vault.totalProcessed(), balance);
        }
    }

    function test_Withdraw_AccumulatesTotal() public {
        FeeVault vault = FeeVault(payable(Predeploys.L1_FEE_VAULT));
        vm.deal(address(vault), 1 ether);
        vault.withdraw();
        vm.deal(address(vault), 3 ether);
        vault.withdraw();
        assertEq(vault.totalProcessed(), 4 ether);
        assertEq(recipient.balance, 4 ether);
    }

    function test_Withdraw_NoRecipientReverts() public {
        address vaultAddr = Predeploys.OPERATOR_FEE_VAULT;
        vm.store(vaultAddr, bytes32(uint256(0)), bytes32(0));
        vm.deal(vaultAddr, 5 ether);
        vm.expectRevert(FeeVault.RecipientNotSet.selector);
        FeeVault(payable(vaultAddr)).withdraw();
    }

    function test_Withdraw_RejectingRecipientReverts() public {
        address rejecting = address(new Rejecting());
        address vaultAddr = Predeploys.SEQUENCER_FEE_VAULT;
        vm.store(vaultAddr, bytes32(uint256(0)), bytes32(uint256(uint160(rejecting))));
        vm.deal(vaultAddr, 5 ether);
        vm.expectRevert(abi.encodeWithSelector(FeeVault.PaymentFailed.selector, rejecting, 5 ether));
        FeeVault(payable(vaultAddr)).withdraw();
        assertEq(vaultAddr.balance, 5 ether);
        assertEq(FeeVault(payable(vaultAddr)).totalProcessed(), 0);
    }
}
