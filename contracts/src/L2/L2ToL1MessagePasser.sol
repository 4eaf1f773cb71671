// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title L2ToL1MessagePasser
/// @notice The L2 predeploy at 0x4200000000000000000000000000000000000016 where withdrawals start.
///         `initiateWithdrawal` records the withdrawal's hash in `sentMessages`, whose storage root
///         the output proposals commit to, so L1 can later prove the withdrawal. The ether sent
///         stays here until `burn` removes it from the L2 state.
/// @dev Storage (OP's layout): slot 0 `sentMessages`, slot 1 the message counter. The nonce of a
///      message is the counter with `MESSAGE_VERSION` in its top two bytes. No constructor: the
///      runtime code goes into the genesis as-is.
contract L2ToL1MessagePasser {
    /// @notice Version of the withdrawal hash encoding, in the top two bytes of every nonce.
    uint16 public constant MESSAGE_VERSION = 1;
    /// @notice Gas limit of the withdrawals made by sending ether here (`receive`).
    uint256 public constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;

    /// @notice Hashes of every withdrawal initiated.
    mapping(bytes32 => bool) public sentMessages;
    /// @notice Number of withdrawals initiated so far.
    uint240 internal msgNonce;

    /// @notice A withdrawal was initiated.
    /// @param nonce The message nonce (version in the top two bytes).
    /// @param sender The L2 caller.
    /// @param target The L1 address to call.
    /// @param value Wei to send to `target` on L1.
    /// @param gasLimit Minimum gas for the L1 call.
    /// @param data Calldata of the L1 call.
    /// @param withdrawalHash `keccak256(abi.encode(nonce, sender, target, value, gasLimit, data))`.
    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );
    /// @notice The ether held here was removed from the state.
    event WithdrawerBalanceBurnt(uint256 indexed amount);

    /// @notice Sending ether here withdraws it to the sender's address on L1.
    receive() external payable {
        initiateWithdrawal(msg.sender, RECEIVE_DEFAULT_GAS_LIMIT, "");
    }

    /// @notice The nonce the next withdrawal gets.
    function messageNonce() public view returns (uint256) {
        return (uint256(MESSAGE_VERSION) << 240) | uint256(msgNonce);
    }

    /// @notice The hash identifying a withdrawal.
    function hashWithdrawal(
        uint256 nonce,
        address sender,
        address target,
        uint256 value,
        uint256 gasLimit,
        bytes memory data
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(nonce, sender, target, value, gasLimit, data));
    }

    /// @notice Starts a withdrawal of `msg.value` to `target` on L1, calling it with `data`.
    function initiateWithdrawal(address target, uint256 gasLimit, bytes memory data)
        public
        payable
    {
        uint256 nonce = messageNonce();
        bytes32 withdrawalHash =
            hashWithdrawal(nonce, msg.sender, target, msg.value, gasLimit, data);
        sentMessages[withdrawalHash] = true;
        emit MessagePassed(nonce, msg.sender, target, msg.value, gasLimit, data, withdrawalHash);
        unchecked {
            ++msgNonce;
        }
    }

    /// @notice Removes all ether held here from the L2 state (it was withdrawn to L1), so the L2
    ///         supply matches what is locked in the L1 portal.
    function burn() external {
        uint256 amount = address(this).balance;
        new Burner{value: amount}();
        emit WithdrawerBalanceBurnt(amount);
    }
}

/// @title Burner
/// @notice Destroys the ether it is created with: SELFDESTRUCT to itself in the transaction that
///         created it deletes the account and its balance (EIP-6780).
contract Burner {
    constructor() payable {
        assembly {
            selfdestruct(address())
        }
    }
}
