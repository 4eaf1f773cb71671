// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @notice What TRexBadge (and other points sources) need from TRexPassport.
interface ITRexPassport {
    /// The owner of passport `passportId`; reverts with `PassportNotFound` when there is none.
    function ownerOf(uint256 passportId) external view returns (address);

    /// Adds `amount` points of `category` to a passport (badge contract or TASK_ISSUER_ROLE).
    function creditPoints(uint256 passportId, bytes32 category, uint256 amount) external;

    /// Removes `amount` points of `category` from a passport (badge contract or TASK_ISSUER_ROLE).
    function debitPoints(uint256 passportId, bytes32 category, uint256 amount) external;
}
