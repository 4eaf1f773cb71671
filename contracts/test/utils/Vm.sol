// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @dev Where forge's cheatcode handler lives: the address derived from "hevm cheat code".
address constant VM_ADDRESS = address(uint160(uint256(keccak256("hevm cheat code"))));

/// @notice The forge cheatcodes T-Rex Chain's tests and scripts use, declared for forge 1.7.1.
/// @dev Written for this repository; it is a subset on purpose. A cheatcode is dispatched by its
///      selector, so a declaration here must match forge's signature exactly: add one only together
///      with a use of it in `test/TestUtils.t.sol`, which proves forge accepts the declaration.
///      Mutability follows forge (pure/view cheatcodes are called with STATICCALL).
interface Vm {
    /// A log captured between `recordLogs()` and `getRecordedLogs()`.
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    // --- block and account state ---------------------------------------------------------------
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function fee(uint256 newBasefee) external;
    function chainId(uint256 newChainId) external;
    function deal(address account, uint256 newBalance) external;
    function etch(address target, bytes calldata newRuntimeBytecode) external;
    function store(address target, bytes32 slot, bytes32 value) external;
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    function getNonce(address account) external view returns (uint64 nonce);
    function setNonce(address account, uint64 newNonce) external;
    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);

    // --- callers --------------------------------------------------------------------------------
    /// The next call (only) is made with msg.sender `msgSender`.
    function prank(address msgSender) external;
    function prank(address msgSender, address txOrigin) external;
    /// Every call until `stopPrank()` is made with msg.sender `msgSender`.
    function startPrank(address msgSender) external;
    function startPrank(address msgSender, address txOrigin) external;
    function stopPrank() external;

    // --- expectations on the next call ----------------------------------------------------------
    function expectRevert() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    /// Matches a custom error by selector only, whatever its arguments.
    function expectPartialRevert(bytes4 revertData) external;
    /// Checks all topics and the data of the event emitted next in the test.
    function expectEmit() external;
    function expectEmit(address emitter) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData)
        external;
    function expectEmit(
        bool checkTopic1,
        bool checkTopic2,
        bool checkTopic3,
        bool checkData,
        address emitter
    ) external;
    function expectCall(address callee, bytes calldata data) external;
    function mockCall(address callee, bytes calldata data, bytes calldata returnData) external;
    function clearMockedCalls() external;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);

    // --- fuzzing --------------------------------------------------------------------------------
    /// Discards the current fuzz input when `condition` is false.
    function assume(bool condition) external pure;

    // --- keys, signatures, labels ---------------------------------------------------------------
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    function sign(uint256 privateKey, bytes32 digest)
        external
        pure
        returns (uint8 v, bytes32 r, bytes32 s);
    function label(address account, string calldata newLabel) external;
    function computeCreateAddress(address deployer, uint256 nonce) external pure returns (address);

    // --- formatting -----------------------------------------------------------------------------
    function toString(address value) external pure returns (string memory);
    function toString(bytes calldata value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(bool value) external pure returns (string memory);
    function toString(uint256 value) external pure returns (string memory);
    function toString(int256 value) external pure returns (string memory);

    // --- environment (scripts) ------------------------------------------------------------------
    function setEnv(string calldata name, string calldata value) external;
    function envUint(string calldata name) external view returns (uint256 value);
    function envAddress(string calldata name) external view returns (address value);
    function envString(string calldata name) external view returns (string memory value);
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256 value);
    function envOr(string calldata name, address defaultValue) external view returns (address value);
    function envOr(string calldata name, bool defaultValue) external view returns (bool value);

    // --- broadcasting (forge script) ------------------------------------------------------------
    /// The next call (only) becomes a transaction; signed by the sender / key given.
    function broadcast() external;
    function broadcast(address signer) external;
    function broadcast(uint256 privateKey) external;
    /// Every call until `stopBroadcast()` becomes a transaction.
    function startBroadcast() external;
    function startBroadcast(address signer) external;
    function startBroadcast(uint256 privateKey) external;
    function stopBroadcast() external;
}
