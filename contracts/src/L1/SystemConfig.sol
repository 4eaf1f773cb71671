// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title SystemConfig
/// @notice The L1 record of T-Rex Chain's rollup parameters that derivation follows: the batcher,
///         the L2 gas limit and the L1 fee scalars. Every change emits OP's `ConfigUpdate` event
///         with OP's data encodings, so kona_genesis's system-config log parser applies it at the
///         L1 block that contains it. The batch inbox, the portal and the start block are fixed.
contract SystemConfig is Ownable {
    /// @notice The kinds of `ConfigUpdate` (OP's numbering; only the first three are used here).
    enum UpdateType {
        BATCHER,
        FEE_SCALARS,
        GAS_LIMIT
    }

    /// @notice Version of the `ConfigUpdate` event encoding.
    uint256 public constant VERSION = 0;
    /// @notice Smallest accepted L2 block gas limit: room for a full block of deposits (the
    ///         portal's default per-L1-block cap, 20M) and the L1-attributes transaction (1M).
    uint64 public constant MINIMUM_GAS_LIMIT = 21_000_000;
    /// @notice Largest accepted L2 block gas limit.
    uint64 public constant MAXIMUM_GAS_LIMIT = 200_000_000;
    /// @notice Version byte of the Ecotone fee scalar encoding.
    uint8 public constant SCALAR_VERSION = 1;

    /// @notice The batcher, as derivation sees it: `bytes32(uint256(uint160(batcher)))`.
    bytes32 public batcherHash;
    /// @notice L2 block gas limit.
    uint64 public gasLimit;
    /// @notice Ecotone L1 base fee scalar.
    uint32 public basefeeScalar;
    /// @notice Ecotone L1 blob base fee scalar.
    uint32 public blobbasefeeScalar;
    /// @notice The address batches are sent to.
    address public immutable batchInbox;
    /// @notice The deposit contract.
    address public immutable portal;
    /// @notice The L1 block this contract was deployed in; derivation need not look earlier.
    uint256 public immutable startBlock;

    /// @notice A derivation-relevant change (OP's event).
    /// @param version Always `VERSION`.
    /// @param updateType An `UpdateType`.
    /// @param data `abi.encode(batcherHash)`, `abi.encode(uint256(0), scalar)` or
    ///        `abi.encode(uint256(gasLimit))` for BATCHER, FEE_SCALARS and GAS_LIMIT.
    event ConfigUpdate(uint256 indexed version, UpdateType indexed updateType, bytes data);

    /// @notice The batcher address is zero.
    error ZeroBatcher();
    /// @notice An address that must be set (inbox, portal) is zero.
    error ZeroAddress();
    /// @notice The gas limit is outside [MINIMUM_GAS_LIMIT, MAXIMUM_GAS_LIMIT].
    error GasLimitOutOfRange(uint64 gasLimit, uint64 minimum, uint64 maximum);

    /// @param owner_ The owner, the only one who may change the configuration.
    /// @param batcher_ The batcher's address.
    /// @param gasLimit_ L2 block gas limit.
    /// @param basefeeScalar_ Ecotone base fee scalar.
    /// @param blobbasefeeScalar_ Ecotone blob base fee scalar.
    /// @param batchInbox_ The batch inbox address.
    /// @param portal_ The `TRexPortal`.
    constructor(
        address owner_,
        address batcher_,
        uint64 gasLimit_,
        uint32 basefeeScalar_,
        uint32 blobbasefeeScalar_,
        address batchInbox_,
        address portal_
    ) Ownable(owner_) {
        if (batchInbox_ == address(0) || portal_ == address(0)) {
            revert ZeroAddress();
        }
        batchInbox = batchInbox_;
        portal = portal_;
        startBlock = block.number;
        _setBatcher(batcher_);
        _setFeeScalars(basefeeScalar_, blobbasefeeScalar_);
        _setGasLimit(gasLimit_);
    }

    /// @notice The batcher's address.
    function batcher() external view returns (address) {
        return address(uint160(uint256(batcherHash)));
    }

    /// @notice The Ecotone fee scalar word: version byte 1, then zeros, the blob base fee scalar in
    ///         bytes 24..28 and the base fee scalar in bytes 28..32.
    function scalar() public view returns (uint256) {
        return (uint256(SCALAR_VERSION) << 248) | (uint256(blobbasefeeScalar) << 32)
            | uint256(basefeeScalar);
    }

    /// @notice Changes the batcher (owner only).
    function setBatcher(address newBatcher) external onlyOwner {
        _setBatcher(newBatcher);
    }

    /// @notice Changes the L1 fee scalars (owner only).
    function setFeeScalars(uint32 newBasefeeScalar, uint32 newBlobbasefeeScalar)
        external
        onlyOwner
    {
        _setFeeScalars(newBasefeeScalar, newBlobbasefeeScalar);
    }

    /// @notice Changes the L2 block gas limit (owner only).
    function setGasLimit(uint64 newGasLimit) external onlyOwner {
        _setGasLimit(newGasLimit);
    }

    function _setBatcher(address newBatcher) private {
        if (newBatcher == address(0)) revert ZeroBatcher();
        batcherHash = bytes32(uint256(uint160(newBatcher)));
        emit ConfigUpdate(VERSION, UpdateType.BATCHER, abi.encode(batcherHash));
    }

    function _setFeeScalars(uint32 newBasefeeScalar, uint32 newBlobbasefeeScalar) private {
        basefeeScalar = newBasefeeScalar;
        blobbasefeeScalar = newBlobbasefeeScalar;
        // The overhead word is zero since Ecotone.
        emit ConfigUpdate(VERSION, UpdateType.FEE_SCALARS, abi.encode(uint256(0), scalar()));
    }

    function _setGasLimit(uint64 newGasLimit) private {
        if (newGasLimit < MINIMUM_GAS_LIMIT || newGasLimit > MAXIMUM_GAS_LIMIT) {
            revert GasLimitOutOfRange(newGasLimit, MINIMUM_GAS_LIMIT, MAXIMUM_GAS_LIMIT);
        }
        gasLimit = newGasLimit;
        emit ConfigUpdate(VERSION, UpdateType.GAS_LIMIT, abi.encode(uint256(newGasLimit)));
    }
}
