// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Script} from "./utils/Script.sol";
import {Vm} from "./utils/Vm.sol";
import {console} from "./utils/console.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {DevToken} from "../src/examples/DevToken.sol";

// Tests of our own test library in test/utils/: every cheatcode declared in Vm.sol is called here
// (a wrong declaration makes forge reject the call), every assertion is shown to pass on equal
// values and to revert with its message otherwise, and each invariant target getter is shown to
// be read by forge (without it the invariant below it would break).

/// External entry points to the assertions, so a test can expect their revert.
contract AssertionsHarness is Test {
    function eqUint(uint256 a, uint256 b) external pure {
        assertEq(a, b);
    }

    function eqUintErr(uint256 a, uint256 b, string calldata err) external pure {
        assertEq(a, b, err);
    }

    function eqInt(int256 a, int256 b) external pure {
        assertEq(a, b);
    }

    function eqBool(bool a, bool b) external pure {
        assertEq(a, b);
    }

    function eqAddress(address a, address b) external pure {
        assertEq(a, b);
    }

    function eqBytes32(bytes32 a, bytes32 b) external pure {
        assertEq(a, b);
    }

    function eqString(string calldata a, string calldata b) external pure {
        assertEq(a, b);
    }

    function eqBytes(bytes calldata a, bytes calldata b) external pure {
        assertEq(a, b);
    }

    function eqUints(uint256[] calldata a, uint256[] calldata b) external pure {
        assertEq(a, b);
    }

    function eqAddresses(address[] calldata a, address[] calldata b) external pure {
        assertEq(a, b);
    }

    function notEqUint(uint256 a, uint256 b) external pure {
        assertNotEq(a, b);
    }

    function notEqString(string calldata a, string calldata b) external pure {
        assertNotEq(a, b);
    }

    function isTrue(bool c) external pure {
        assertTrue(c);
    }

    function isTrueErr(bool c, string calldata err) external pure {
        assertTrue(c, err);
    }

    function isFalse(bool c) external pure {
        assertFalse(c);
    }

    function gtUint(uint256 a, uint256 b) external pure {
        assertGt(a, b);
    }

    function geUint(uint256 a, uint256 b) external pure {
        assertGe(a, b);
    }

    function ltInt(int256 a, int256 b) external pure {
        assertLt(a, b);
    }

    function leInt(int256 a, int256 b) external pure {
        assertLe(a, b);
    }

    function approx(uint256 a, uint256 b, uint256 d) external pure {
        assertApproxEqAbs(a, b, d);
    }

    function failWith(string calldata err) external pure {
        fail(err);
    }

    function boundOf(uint256 x, uint256 min, uint256 max) external pure returns (uint256) {
        return bound(x, min, max);
    }
}

contract AssertionsTest is Test {
    AssertionsHarness internal h;

    function setUp() public {
        h = new AssertionsHarness();
    }

    function test_Assertions_PassOnMatchingValues() public view {
        h.eqUint(7, 7);
        h.eqInt(-7, -7);
        h.eqBool(true, true);
        h.eqAddress(address(1), address(1));
        h.eqBytes32(bytes32("a"), bytes32("a"));
        h.eqString("badge", "badge");
        h.eqBytes(hex"0102", hex"0102");
        h.eqUints(_uints(1, 2), _uints(1, 2));
        h.eqAddresses(_addrs(address(1), address(2)), _addrs(address(1), address(2)));
        h.notEqUint(1, 2);
        h.notEqString("a", "b");
        h.isTrue(true);
        h.isFalse(false);
        h.gtUint(2, 1);
        h.geUint(2, 2);
        h.ltInt(-2, -1);
        h.leInt(-1, -1);
        h.approx(100, 104, 5);
        h.approx(104, 100, 4);
    }

    function test_Assertions_RevertWithMessage() public {
        _expect("assertEq failed: 1 != 2");
        h.eqUint(1, 2);
        _expect("supply: assertEq failed: 1 != 2");
        h.eqUintErr(1, 2, "supply");
        _expect("assertEq failed: -1 != 1");
        h.eqInt(-1, 1);
        _expect("assertEq failed: true != false");
        h.eqBool(true, false);
        _expect(
            "assertEq failed: 0x0000000000000000000000000000000000000001 != 0x0000000000000000000000000000000000000002"
        );
        h.eqAddress(address(1), address(2));
        _expect(
            "assertEq failed: 0x6100000000000000000000000000000000000000000000000000000000000000 != 0x6200000000000000000000000000000000000000000000000000000000000000"
        );
        h.eqBytes32(bytes32("a"), bytes32("b"));
        _expect("assertEq failed: \"alice\" != \"bob\"");
        h.eqString("alice", "bob");
        _expect("assertEq failed: 0x0102 != 0x0103");
        h.eqBytes(hex"0102", hex"0103");
        _expect("assertEq failed: [1, 2] != [1, 3]");
        h.eqUints(_uints(1, 2), _uints(1, 3));
        _expect(
            "assertEq failed: [0x0000000000000000000000000000000000000001, 0x0000000000000000000000000000000000000002] != []"
        );
        h.eqAddresses(_addrs(address(1), address(2)), new address[](0));
        _expect("assertNotEq failed: 3 == 3");
        h.notEqUint(3, 3);
        _expect("assertNotEq failed: \"a\" == \"a\"");
        h.notEqString("a", "a");
        _expect("assertTrue failed");
        h.isTrue(false);
        _expect("holder has badge: assertTrue failed");
        h.isTrueErr(false, "holder has badge");
        _expect("assertFalse failed");
        h.isFalse(true);
        _expect("assertGt failed: 1 <= 1");
        h.gtUint(1, 1);
        _expect("assertGe failed: 1 < 2");
        h.geUint(1, 2);
        _expect("assertLt failed: -1 >= -1");
        h.ltInt(-1, -1);
        _expect("assertLe failed: 0 > -1");
        h.leInt(0, -1);
        _expect("assertApproxEqAbs failed: 100 !~= 106 (delta 6 > max 5)");
        h.approx(100, 106, 5);
        _expect("custom failure");
        h.failWith("custom failure");
    }

    function test_Bound_KeepsValuesInRange() public view {
        assertEq(h.boundOf(5, 3, 9), 5);
        assertEq(h.boundOf(0, 3, 9), 3);
        assertEq(h.boundOf(1, 3, 9), 4);
        assertEq(h.boundOf(10, 3, 9), 6); // 10 % 7 == 3
        assertEq(h.boundOf(type(uint256).max, 3, 9), 9);
        assertEq(h.boundOf(type(uint256).max - 1, 3, 9), 8);
        assertEq(h.boundOf(7, 10, 10), 10);
        assertEq(h.boundOf(123, 0, type(uint256).max), 123);
        assertEq(h.boundOf(0, 1, type(uint256).max), 1);
    }

    function test_Bound_RevertsWhenMinAboveMax() public {
        _expect("bound: min > max");
        h.boundOf(1, 2, 1);
    }

    function testFuzz_Bound_ResultWithinRange(uint256 x, uint256 min, uint256 max) public view {
        if (min > max) (min, max) = (max, min);
        uint256 y = h.boundOf(x, min, max);
        assertGe(y, min);
        assertLe(y, max);
        if (x >= min && x <= max) assertEq(y, x);
    }

    function test_MakeAddr_IsDeterministicAndMatchesKey() public {
        (address alice, uint256 key) = makeAddrAndKey("alice");
        assertEq(makeAddr("alice"), alice);
        assertEq(vm.addr(key), alice);
        assertNotEq(makeAddr("bob"), alice);
    }

    function _expect(string memory message) internal {
        vm.expectRevert(bytes(message));
    }

    function _uints(uint256 a, uint256 b) internal pure returns (uint256[] memory out) {
        out = new uint256[](2);
        (out[0], out[1]) = (a, b);
    }

    function _addrs(address a, address b) internal pure returns (address[] memory out) {
        out = new address[](2);
        (out[0], out[1]) = (a, b);
    }
}

contract Emitter {
    event Ping(address indexed from, uint256 indexed id, string note);

    error Refused();

    function ping(uint256 id, string calldata note) external {
        emit Ping(msg.sender, id, note);
    }

    function refuse() external pure {
        revert Refused();
    }
}

/// Calls each cheatcode declared in test/utils/Vm.sol at least once.
contract CheatcodesTest is Test {
    event Ping(address indexed from, uint256 indexed id, string note);

    DevToken internal token;
    Emitter internal emitter;
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    function setUp() public {
        vm.prank(alice);
        token = new DevToken("Dev Token", "DEV", 1000);
        emitter = new Emitter();
    }

    function test_BlockState() public {
        vm.warp(1_700_000_000);
        assertEq(block.timestamp, 1_700_000_000);
        skip(60);
        assertEq(block.timestamp, 1_700_000_060);
        vm.roll(42);
        assertEq(block.number, 42);
        vm.fee(7 gwei);
        assertEq(block.basefee, 7 gwei);
        vm.chainId(31_337_001);
        assertEq(block.chainid, 31_337_001);
    }

    function test_AccountState() public {
        vm.deal(bob, 1 ether);
        assertEq(bob.balance, 1 ether);
        deal(bob, 2 ether);
        assertEq(bob.balance, 2 ether);

        address copy = address(0xC0FFEE);
        vm.etch(copy, address(token).code);
        assertEq(keccak256(copy.code), keccak256(address(token).code));

        // OpenZeppelin 5's ERC20 keeps _balances at slot 0: balanceOf(bob) lives at keccak(bob, 0).
        bytes32 slot = keccak256(abi.encode(bob, uint256(0)));
        assertEq(vm.load(address(token), slot), bytes32(0));
        vm.store(address(token), slot, bytes32(uint256(5)));
        assertEq(token.balanceOf(bob), 5);

        vm.setNonce(bob, 9);
        assertEq(vm.getNonce(bob), 9);

        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)));
        assertEq(address(new Emitter()), predicted);
    }

    function test_Snapshots() public {
        uint256 id = vm.snapshotState();
        vm.prank(alice);
        assertTrue(token.transfer(bob, 10));
        assertEq(token.balanceOf(bob), 10);
        assertTrue(vm.revertToState(id));
        assertEq(token.balanceOf(bob), 0);
    }

    function test_Pranks() public {
        vm.prank(alice);
        assertTrue(token.transfer(bob, 1));

        vm.prank(alice, bob);
        assertTrue(token.transfer(bob, 1));

        vm.startPrank(alice);
        assertTrue(token.transfer(bob, 1));
        assertTrue(token.transfer(bob, 1));
        vm.stopPrank();

        vm.startPrank(alice, alice);
        assertTrue(token.approve(bob, 3));
        vm.stopPrank();

        assertEq(token.balanceOf(bob), 4);
        assertEq(token.allowance(alice, bob), 3);
    }

    function test_ExpectRevert() public {
        vm.expectRevert();
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(bob, 1); // this contract holds no tokens

        // bytes4: the revert data must be exactly the selector (an error without arguments).
        vm.expectRevert(Emitter.Refused.selector);
        emitter.refuse();

        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientBalance.selector, address(this), 0, 1
            )
        );
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(bob, 1);

        vm.expectPartialRevert(IERC20Errors.ERC20InsufficientBalance.selector);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(bob, 2);
    }

    function test_ExpectEmit() public {
        vm.expectEmit();
        emit Ping(address(this), 1, "one");
        emitter.ping(1, "one");

        vm.expectEmit(address(emitter));
        emit Ping(address(this), 2, "two");
        emitter.ping(2, "two");

        vm.expectEmit(true, false, false, false);
        emit Ping(address(this), 0, "data not checked");
        emitter.ping(3, "three");

        vm.expectEmit(true, true, false, true, address(emitter));
        emit Ping(address(this), 4, "four");
        emitter.ping(4, "four");
    }

    function test_ExpectCallAndMocks() public {
        vm.expectCall(address(token), abi.encodeCall(IERC20.transfer, (bob, 1)));
        vm.prank(alice);
        assertTrue(token.transfer(bob, 1));

        vm.mockCall(address(token), abi.encodeCall(IERC20.balanceOf, (bob)), abi.encode(77));
        assertEq(token.balanceOf(bob), 77);
        vm.clearMockedCalls();
        assertEq(token.balanceOf(bob), 1);
    }

    function test_RecordLogs() public {
        vm.recordLogs();
        vm.prank(alice);
        assertTrue(token.transfer(bob, 3));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].emitter, address(token));
        assertEq(logs[0].topics[0], IERC20.Transfer.selector);
        assertEq(logs[0].topics[1], bytes32(uint256(uint160(alice))));
        assertEq(abi.decode(logs[0].data, (uint256)), 3);
    }

    function testFuzz_Assume(uint256 x) public pure {
        vm.assume(x % 2 == 0);
        assertEq(x % 2, 0);
    }

    function test_KeysAndSignatures() public {
        (address signer, uint256 key) = makeAddrAndKey("signer");
        bytes32 digest = keccak256("badge claim");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        assertEq(ecrecover(digest, v, r, s), signer);
        vm.label(signer, "signer (relabelled)");
    }

    function test_ToString() public pure {
        assertEq(vm.toString(uint256(42)), "42");
        assertEq(vm.toString(int256(-42)), "-42");
        assertEq(vm.toString(true), "true");
        assertEq(vm.toString(bytes(hex"beef")), "0xbeef");
        assertEq(
            vm.toString(bytes32(uint256(1))),
            "0x0000000000000000000000000000000000000000000000000000000000000001"
        );
        assertEq(
            vm.toString(address(0xdEADBEeF00000000000000000000000000000000)),
            "0xdEADBEeF00000000000000000000000000000000"
        );
    }

    function test_Environment() public {
        vm.setEnv("TREX_TEST_UINT", "12");
        vm.setEnv("TREX_TEST_ADDR", vm.toString(bob));
        vm.setEnv("TREX_TEST_STR", "badge");
        assertEq(vm.envUint("TREX_TEST_UINT"), 12);
        assertEq(vm.envAddress("TREX_TEST_ADDR"), bob);
        assertEq(vm.envString("TREX_TEST_STR"), "badge");
        assertEq(vm.envOr("TREX_TEST_UNSET_UINT", uint256(5)), 5);
        assertEq(vm.envOr("TREX_TEST_UNSET_ADDR", alice), alice);
        assertTrue(vm.envOr("TREX_TEST_UNSET_BOOL", true));
        assertEq(vm.envOr("TREX_TEST_UINT", uint256(5)), 12);
    }

    function test_Console() public view {
        console.log("console works");
        console.log("uint", uint256(1));
        console.log("int", int256(-1));
        console.log("address", alice);
        console.log("bool", true);
        console.log("string", string("s"));
        console.log("bytes32", bytes32("b"));
    }
}

/// A deploy script in the shape future ones under contracts/script/ take.
contract ExampleDeployScript is Script {
    function run() external returns (DevToken token) {
        uint256 key = vm.envOr("TREX_EXAMPLE_DEPLOYER_KEY", uint256(0xA11CE));
        vm.startBroadcast(key);
        token = new DevToken("Example", "EXM", 100);
        vm.stopBroadcast();
        console.log("DevToken deployed at", address(token));
    }
}

contract ScriptTest is Test {
    function test_ScriptDeploysFromBroadcastKey() public {
        DevToken token = new ExampleDeployScript().run();
        assertEq(token.balanceOf(vm.addr(0xA11CE)), 100);
    }

    function test_BroadcastVariants() public {
        uint256 key = 0xB0B;
        address signer = vm.addr(key);

        vm.broadcast(key);
        DevToken a = new DevToken("A", "A", 1);
        assertEq(a.balanceOf(signer), 1);

        vm.broadcast(signer);
        DevToken b = new DevToken("B", "B", 1);
        assertEq(b.balanceOf(signer), 1);

        vm.startBroadcast(signer);
        DevToken c = new DevToken("C", "C", 1);
        vm.stopBroadcast();
        assertEq(c.balanceOf(signer), 1);
    }

    /// Without an argument the broadcaster is the caller of the test, forge's default sender
    /// (unless a private key was broadcast with before: forge then signs with that one).
    function test_BroadcastWithoutSigner() public {
        vm.broadcast();
        DevToken d = new DevToken("D", "D", 1);
        vm.startBroadcast();
        DevToken e = new DevToken("E", "E", 1);
        vm.stopBroadcast();
        assertEq(d.balanceOf(msg.sender), 1);
        assertEq(e.balanceOf(msg.sender), 1);
    }
}

/// The target of the invariant tests below: `set` keeps `value` below 100, `smash` does not,
/// and any call from an address other than `allowed` raises `foreignCaller`.
contract Box {
    uint256 public value;
    bool public foreignCaller;
    address public immutable allowed;

    constructor(address allowed_) {
        allowed = allowed_;
    }

    function set(uint256 x) external {
        value = x % 100;
        if (allowed != address(0) && msg.sender != allowed) foreignCaller = true;
    }

    function smash() external {
        value = 1000;
    }
}

/// forge-config: default.invariant.runs = 16
/// forge-config: default.invariant.depth = 32
contract InvariantTargetSelectorTest is Test {
    Box internal box;

    function setUp() public {
        box = new Box(address(0));
        targetContract(address(box));
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = Box.set.selector;
        targetSelector(FuzzSelector({addr: address(box), selectors: selectors}));
    }

    function invariant_OnlySetIsCalled() public view {
        assertLt(box.value(), 100);
    }
}

/// forge-config: default.invariant.runs = 16
/// forge-config: default.invariant.depth = 32
contract InvariantExcludeSelectorTest is Test {
    Box internal box;

    function setUp() public {
        box = new Box(address(0));
        targetContract(address(box));
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = Box.smash.selector;
        excludeSelector(FuzzSelector({addr: address(box), selectors: selectors}));
    }

    function invariant_SmashIsNeverCalled() public view {
        assertLt(box.value(), 100);
    }
}

/// forge-config: default.invariant.runs = 16
/// forge-config: default.invariant.depth = 32
contract InvariantTargetSenderTest is Test {
    Box internal box;
    address internal keeper = makeAddr("keeper");

    function setUp() public {
        box = new Box(keeper);
        targetContract(address(box));
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = Box.set.selector;
        targetSelector(FuzzSelector({addr: address(box), selectors: selectors}));
        targetSender(keeper);
    }

    function invariant_OnlyKeeperCalls() public view {
        assertFalse(box.foreignCaller());
    }
}

/// forge-config: default.invariant.runs = 16
/// forge-config: default.invariant.depth = 32
contract InvariantExcludeContractTest is Test {
    Box internal fragile;
    Box internal other;

    function setUp() public {
        fragile = new Box(address(0));
        other = new Box(address(0));
        excludeContract(address(fragile));
    }

    function invariant_ExcludedContractIsNeverCalled() public view {
        assertEq(fragile.value(), 0);
    }
}

/// forge-config: default.invariant.runs = 16
/// forge-config: default.invariant.depth = 32
contract InvariantExcludeSenderTest is Test {
    Box internal box;
    address internal keeper = makeAddr("keeper");
    address internal intruder = makeAddr("intruder");

    function setUp() public {
        box = new Box(keeper);
        targetContract(address(box));
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = Box.set.selector;
        targetSelector(FuzzSelector({addr: address(box), selectors: selectors}));
        targetSender(keeper);
        targetSender(intruder);
        excludeSender(intruder);
    }

    function invariant_ExcludedSenderNeverCalls() public view {
        assertFalse(box.foreignCaller());
    }
}
