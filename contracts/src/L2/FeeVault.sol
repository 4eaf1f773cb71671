// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title FeeVault
/// @notice Base of the L2 fee vault predeploys: collects fees and pays its balance out to a fixed
///         recipient once it reaches a minimum.
/// @dev No constructor: the runtime code goes into the genesis as-is, with `recipient` (slot 0) and
///      `minWithdrawalAmount` (slot 1) set in the genesis storage by deploy/tools/predeploys.mjs.
abstract contract FeeVault {
    /// @notice Who receives the collected fees.
    address public recipient;
    /// @notice The smallest balance `withdraw` pays out.
    uint256 public minWithdrawalAmount;
    /// @notice Total wei paid out so far.
    uint256 public totalProcessed;

    /// @notice The vault's balance `value` was paid to `to`, on the call of `from`.
    event Withdrawal(uint256 value, address indexed to, address indexed from);

    /// @notice The balance is below `minWithdrawalAmount`.
    error BelowMinimum(uint256 balance, uint256 minimum);
    /// @notice No recipient is configured.
    error RecipientNotSet();
    /// @notice The recipient did not accept the payment.
    error PaymentFailed(address to, uint256 value);

    /// @notice Accepts fees (and any other ether).
    receive() external payable {}

    /// @notice Pays the whole balance to `recipient`; anyone may call it.
    function withdraw() external {
        address to = recipient;
        if (to == address(0)) revert RecipientNotSet();
        uint256 value = address(this).balance;
        if (value < minWithdrawalAmount) revert BelowMinimum(value, minWithdrawalAmount);
        totalProcessed += value;
        emit Withdrawal(value, to, msg.sender);
        (bool ok,) = to.call{value: value}("");
        if (!ok) revert PaymentFailed(to, value);
    }
}
