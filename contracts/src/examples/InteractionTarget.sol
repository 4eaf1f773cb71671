// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title InteractionTarget
/// @notice A contract to interact with in demos and tests of the Web3 badge checks
///         (`contract_transactions`, `contract_events`).
contract InteractionTarget {
    /// @notice Emitted by every successful `ping`.
    /// @param caller Who called (topic 1).
    /// @param tag The caller's tag (topic 2).
    /// @param count How many pings the caller has made, this one included.
    event Pinged(address indexed caller, uint256 indexed tag, uint256 count);

    /// @notice Thrown by `fail`.
    error FailedOnPurpose();

    /// @notice Pings made per caller.
    mapping(address => uint256) public pings;

    /// @notice Records an interaction by `msg.sender`.
    /// @param tag Any number the caller wants in the event.
    function ping(uint256 tag) external {
        uint256 count = ++pings[msg.sender];
        emit Pinged(msg.sender, tag, count);
    }

    /// @notice Always reverts: a failed interaction, which the Web3 checks must not count.
    function fail() external pure {
        revert FailedOnPurpose();
    }
}
