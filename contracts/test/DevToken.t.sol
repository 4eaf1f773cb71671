// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {DevToken} from "../src/examples/DevToken.sol";

/// @notice Behaviour of DevToken as integration tests and the load generator rely on it: supply
///         minted to the deployer, transfers, allowances, events and OpenZeppelin 5 custom errors.
contract DevTokenTest is Test {
    uint256 internal constant SUPPLY = 1_000_000e18;

    DevToken internal token;
    address internal deployer = makeAddr("deployer");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    function setUp() public {
        vm.prank(deployer);
        token = new DevToken("Dev Token", "DEV", SUPPLY);
    }

    function test_Constructor_SetsMetadataAndMintsToDeployer() public view {
        assertEq(token.name(), "Dev Token");
        assertEq(token.symbol(), "DEV");
        assertEq(token.decimals(), 18);
        assertEq(token.totalSupply(), SUPPLY);
        assertEq(token.balanceOf(deployer), SUPPLY);
        assertEq(token.balanceOf(address(this)), 0);
    }

    function test_Constructor_EmitsMintTransferFromZero() public {
        vm.expectEmit(true, true, false, true);
        emit IERC20.Transfer(address(0), alice, 42);
        vm.prank(alice);
        new DevToken("Other", "OTH", 42);
    }

    function test_Transfer_MovesBalance() public {
        vm.prank(deployer);
        bool ok = token.transfer(alice, 100e18);

        assertTrue(ok);
        assertEq(token.balanceOf(deployer), SUPPLY - 100e18);
        assertEq(token.balanceOf(alice), 100e18);
        assertEq(token.totalSupply(), SUPPLY);
    }

    function test_Transfer_EmitsTransfer() public {
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Transfer(deployer, alice, 7);
        vm.prank(deployer);
        assertTrue(token.transfer(alice, 7));
    }

    function test_Transfer_RevertsWhenAmountExceedsBalance() public {
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 0, 1)
        );
        vm.prank(alice);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(bob, 1);
    }

    function test_Transfer_RevertsToZeroAddress() public {
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0))
        );
        vm.prank(deployer);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(address(0), 1);
    }

    function test_Approve_SetsAllowanceAndEmitsApproval() public {
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Approval(deployer, alice, 500);
        vm.prank(deployer);
        assertTrue(token.approve(alice, 500));

        assertEq(token.allowance(deployer, alice), 500);
        assertEq(token.allowance(alice, deployer), 0);
    }

    function test_Approve_RevertsForZeroSpender() public {
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InvalidSpender.selector, address(0))
        );
        vm.prank(deployer);
        token.approve(address(0), 1);
    }

    function test_TransferFrom_SpendsAllowance() public {
        vm.prank(deployer);
        token.approve(alice, 500);

        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Transfer(deployer, bob, 300);
        vm.prank(alice);
        assertTrue(token.transferFrom(deployer, bob, 300));

        assertEq(token.allowance(deployer, alice), 200);
        assertEq(token.balanceOf(bob), 300);
        assertEq(token.balanceOf(deployer), SUPPLY - 300);
    }

    function test_TransferFrom_KeepsInfiniteAllowance() public {
        vm.prank(deployer);
        token.approve(alice, type(uint256).max);

        vm.prank(alice);
        assertTrue(token.transferFrom(deployer, bob, 300));

        assertEq(token.allowance(deployer, alice), type(uint256).max);
    }

    function test_TransferFrom_RevertsWhenAmountExceedsAllowance() public {
        vm.prank(deployer);
        token.approve(alice, 10);

        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, alice, 10, 11)
        );
        vm.prank(alice);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transferFrom(deployer, bob, 11);
    }

    /// Any transfer within the sender's balance moves exactly `amount` and conserves supply.
    function testFuzz_Transfer(address to, uint256 amount) public {
        vm.assume(to != address(0) && to != deployer);
        amount = bound(amount, 0, SUPPLY);

        vm.prank(deployer);
        assertTrue(token.transfer(to, amount));

        assertEq(token.balanceOf(to), amount);
        assertEq(token.balanceOf(deployer), SUPPLY - amount);
        assertEq(token.totalSupply(), SUPPLY);
    }

    /// Any transferFrom within the allowance reduces the allowance by exactly `amount`; one above it
    /// reverts with ERC20InsufficientAllowance.
    function testFuzz_TransferFromRespectsAllowance(uint256 allowance, uint256 amount) public {
        allowance = bound(allowance, 0, SUPPLY);
        amount = bound(amount, 0, SUPPLY);
        vm.prank(deployer);
        token.approve(alice, allowance);

        if (amount > allowance) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IERC20Errors.ERC20InsufficientAllowance.selector, alice, allowance, amount
                )
            );
        }
        vm.prank(alice);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transferFrom(deployer, bob, amount);

        if (amount <= allowance) {
            assertEq(token.allowance(deployer, alice), allowance - amount);
            assertEq(token.balanceOf(bob), amount);
        }
    }
}
