// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {AddressAliasing} from "./AddressAliasing.sol";

/// @title TRexPortal
/// @notice The L1 entry point of T-Rex Chain's deposits. `depositTransaction` locks the ether sent
///         with it and emits OP's `TransactionDeposited` event, which the sequencer's derivation
///         turns into an L2 deposit transaction (minting `msg.value` to `from` on L2, then calling
///         `to` with `value`).
/// @dev The event's `opaqueData` is version 0 of OP's encoding,
///      `abi.encodePacked(uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes data)`.
///      Deposits are metered per L1 block: the gas limits of all deposits in one L1 block add up to
///      at most `maxGasPerBlock`, so every L1 block's deposits fit in the L2 block that includes
///      them. The owner sets the limits and the guardian; owner or guardian can pause deposits.
contract TRexPortal is Ownable {
    /// @notice Version of the `opaqueData` encoding in `TransactionDeposited`.
    uint256 public constant DEPOSIT_VERSION = 0;
    /// @notice Gas every deposit pays for at least (an L2 transaction's intrinsic gas).
    uint64 public constant MIN_GAS_BASE = 21_000;
    /// @notice Extra minimum gas per byte of calldata.
    uint64 public constant MIN_GAS_PER_BYTE = 40;
    /// @notice Largest accepted deposit calldata, in bytes.
    uint256 public constant MAX_DATA_SIZE = 120_000;
    /// @notice L2 gas limit of the deposits made by sending ether to the portal (`receive`).
    uint64 public constant RECEIVE_GAS_LIMIT = 100_000;

    /// @notice Largest gas limit of one deposit.
    uint64 public maxGasPerDeposit;
    /// @notice Largest sum of the gas limits of the deposits made in one L1 block.
    uint64 public maxGasPerBlock;
    /// @notice The L1 block whose deposits `gasUsedInBlock` counts.
    uint64 public meteredBlock;
    /// @notice Sum of the gas limits of the deposits made in L1 block `meteredBlock`.
    uint64 public gasUsedInBlock;
    /// @notice The address that may pause and unpause deposits besides the owner.
    address public guardian;
    /// @notice True while deposits are refused.
    bool public paused;

    /// @notice A deposit to L2 (OP's event, indexed the same way).
    /// @param from L2 sender: the caller, aliased when the caller is a contract.
    /// @param to L2 recipient (zero for a contract creation).
    /// @param version Encoding of `opaqueData`; always `DEPOSIT_VERSION`.
    /// @param opaqueData `abi.encodePacked(mint, value, gasLimit, isCreation, data)`.
    event TransactionDeposited(
        address indexed from, address indexed to, uint256 indexed version, bytes opaqueData
    );
    /// @notice The deposit gas limits changed.
    event ResourceConfigUpdated(uint64 maxGasPerDeposit, uint64 maxGasPerBlock);
    /// @notice The guardian changed.
    event GuardianUpdated(address indexed previousGuardian, address indexed newGuardian);
    /// @notice Deposits were paused by `account`.
    event Paused(address indexed account);
    /// @notice Deposits were resumed by `account`.
    event Unpaused(address indexed account);

    /// @notice Deposits are paused.
    error DepositsPaused();
    /// @notice `pause` while paused, or `unpause` while not paused.
    error PauseStateUnchanged(bool paused);
    /// @notice The caller is neither the owner nor the guardian.
    error NotOwnerOrGuardian(address caller);
    /// @notice A contract creation must have `to == address(0)`.
    error CreationWithTarget(address to);
    /// @notice The deposit's gas limit is below what its calldata needs.
    error GasLimitTooLow(uint64 gasLimit, uint64 minimum);
    /// @notice The deposit's gas limit is above `maxGasPerDeposit`.
    error GasLimitTooHigh(uint64 gasLimit, uint64 maximum);
    /// @notice The deposit's calldata is larger than `MAX_DATA_SIZE`.
    error DataTooLarge(uint256 size, uint256 maximum);
    /// @notice This L1 block's deposits would exceed `maxGasPerBlock`.
    error BlockGasLimitExceeded(uint256 requested, uint64 available);
    /// @notice Limits where a single deposit could not fit a block, or one too small for any deposit.
    error InvalidResourceConfig(uint64 maxGasPerDeposit, uint64 maxGasPerBlock);

    /// @param owner_ The owner (sets limits and the guardian, may pause).
    /// @param guardian_ The guardian (may pause and unpause).
    /// @param maxGasPerDeposit_ Largest gas limit of one deposit.
    /// @param maxGasPerBlock_ Largest sum of gas limits per L1 block.
    constructor(address owner_, address guardian_, uint64 maxGasPerDeposit_, uint64 maxGasPerBlock_)
        Ownable(owner_)
    {
        _setGuardian(guardian_);
        _setResourceConfig(maxGasPerDeposit_, maxGasPerBlock_);
    }

    /// @notice Sending ether to the portal deposits it to the sender's L2 address (aliased if the
    ///         sender is a contract), with gas limit `RECEIVE_GAS_LIMIT` and no calldata.
    receive() external payable {
        depositTransaction(msg.sender, msg.value, RECEIVE_GAS_LIMIT, false, "");
    }

    /// @notice Deposits a transaction to L2. `msg.value` is minted to the sender on L2.
    /// @param to L2 recipient; must be zero when `isCreation`.
    /// @param value Wei sent to `to` on L2 (out of the sender's L2 balance, minted ether included).
    /// @param gasLimit L2 gas limit: at least 21000 + 40 per calldata byte, at most `maxGasPerDeposit`.
    /// @param isCreation True to create a contract with `data` as init code.
    /// @param data Calldata or init code.
    function depositTransaction(
        address to,
        uint256 value,
        uint64 gasLimit,
        bool isCreation,
        bytes memory data
    ) public payable {
        if (paused) revert DepositsPaused();
        if (isCreation && to != address(0)) revert CreationWithTarget(to);
        if (data.length > MAX_DATA_SIZE) revert DataTooLarge(data.length, MAX_DATA_SIZE);
        uint64 minimum = minimumGasLimit(uint64(data.length));
        if (gasLimit < minimum) revert GasLimitTooLow(gasLimit, minimum);
        if (gasLimit > maxGasPerDeposit) revert GasLimitTooHigh(gasLimit, maxGasPerDeposit);
        _meter(gasLimit);

        // An EOA's transaction has msg.sender == tx.origin (also with an EIP-7702 delegation);
        // any other caller is a contract, which appears on L2 under its alias.
        address from = msg.sender == tx.origin ? msg.sender : AddressAliasing.toL2(msg.sender);
        bytes memory opaqueData = abi.encodePacked(msg.value, value, gasLimit, isCreation, data);
        emit TransactionDeposited(from, to, DEPOSIT_VERSION, opaqueData);
    }

    /// @notice The smallest gas limit a deposit with `dataLength` bytes of calldata may have.
    function minimumGasLimit(uint64 dataLength) public pure returns (uint64) {
        return MIN_GAS_BASE + MIN_GAS_PER_BYTE * dataLength;
    }

    /// @notice Gas still available to deposits in the current L1 block.
    function gasAvailableInBlock() external view returns (uint64) {
        if (meteredBlock != block.number) return maxGasPerBlock;
        return gasUsedInBlock >= maxGasPerBlock ? 0 : maxGasPerBlock - gasUsedInBlock;
    }

    /// @notice Sets the deposit gas limits (owner only).
    function setResourceConfig(uint64 maxGasPerDeposit_, uint64 maxGasPerBlock_)
        external
        onlyOwner
    {
        _setResourceConfig(maxGasPerDeposit_, maxGasPerBlock_);
    }

    /// @notice Sets the guardian (owner only); zero leaves pausing to the owner alone.
    function setGuardian(address newGuardian) external onlyOwner {
        _setGuardian(newGuardian);
    }

    /// @notice Stops deposits (owner or guardian).
    function pause() external {
        _checkOwnerOrGuardian();
        if (paused) revert PauseStateUnchanged(true);
        paused = true;
        emit Paused(msg.sender);
    }

    /// @notice Resumes deposits (owner or guardian).
    function unpause() external {
        _checkOwnerOrGuardian();
        if (!paused) revert PauseStateUnchanged(false);
        paused = false;
        emit Unpaused(msg.sender);
    }

    function _meter(uint64 gasLimit) private {
        uint64 used = meteredBlock == block.number ? gasUsedInBlock : 0;
        uint64 available = used >= maxGasPerBlock ? 0 : maxGasPerBlock - used;
        if (gasLimit > available) revert BlockGasLimitExceeded(gasLimit, available);
        meteredBlock = uint64(block.number);
        gasUsedInBlock = used + gasLimit;
    }

    function _setResourceConfig(uint64 maxGasPerDeposit_, uint64 maxGasPerBlock_) private {
        if (maxGasPerDeposit_ < MIN_GAS_BASE || maxGasPerDeposit_ > maxGasPerBlock_) {
            revert InvalidResourceConfig(maxGasPerDeposit_, maxGasPerBlock_);
        }
        maxGasPerDeposit = maxGasPerDeposit_;
        maxGasPerBlock = maxGasPerBlock_;
        emit ResourceConfigUpdated(maxGasPerDeposit_, maxGasPerBlock_);
    }

    function _setGuardian(address newGuardian) private {
        emit GuardianUpdated(guardian, newGuardian);
        guardian = newGuardian;
    }

    function _checkOwnerOrGuardian() private view {
        if (msg.sender != owner() && (guardian == address(0) || msg.sender != guardian)) {
            revert NotOwnerOrGuardian(msg.sender);
        }
    }
}
