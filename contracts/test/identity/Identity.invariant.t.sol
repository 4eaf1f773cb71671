// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IdentityTestBase} from "./IdentityTestBase.sol";
import {TRexPassport} from "../../src/identity/TRexPassport.sol";
import {TRexBadge} from "../../src/identity/TRexBadge.sol";

/// @notice Mints, revokes, tries to transfer badges and moves task points among a fixed set of
///         passports and badge classes, keeping its own books (ghost state) of what it expects.
contract IdentityHandler is IdentityTestBase {
    uint256 internal constant ACTORS = 4;
    uint256 internal constant CLASSES = 3;

    address internal project;
    address[ACTORS] internal actors;
    uint256[ACTORS] internal passportIds;
    uint256[CLASSES] internal classIds;
    bytes32[2] internal categories = [keccak256("nft"), keccak256("social")];

    mapping(uint256 classId => mapping(uint256 passportId => bool)) public live;
    mapping(uint256 passportId => mapping(bytes32 category => uint256)) public ghostTaskPoints;
    mapping(uint256 classId => uint256) public minted;
    mapping(uint256 classId => uint256) public revoked;
    uint256 internal attestationCounter;
    uint256 public transfersRefused;

    constructor(
        TRexPassport passport_,
        TRexBadge badge_,
        uint256 validatorKey_,
        address taskIssuer_,
        address project_
    ) {
        passport = passport_;
        badge = badge_;
        validatorKey = validatorKey_;
        taskIssuer = taskIssuer_;
        project = project_;
        address[] memory trusted = new address[](1);
        trusted[0] = vm.addr(validatorKey_);
        for (uint256 i; i < ACTORS; ++i) {
            actors[i] = makeAddr(string.concat("actor", vm.toString(i)));
            passportIds[i] = _newPassport(actors[i]);
        }
        for (uint256 c; c < CLASSES; ++c) {
            vm.prank(project_);
            classIds[c] = badge_.createClass(
                TRexBadge.ClassParams({
                    uri: "ipfs://class",
                    points: uint128(10 * (c + 1)),
                    pointsCategory: categories[c % 2],
                    validatorKind: keccak256("NFT"),
                    paramsHash: bytes32(c),
                    supplyCap: c == 2 ? 2 : 0,
                    startTime: 0,
                    endTime: 0,
                    expiry: 0
                }),
                trusted
            );
        }
    }

    // --- actions --------------------------------------------------------------------------------
    function mint(uint256 actorSeed, uint256 classSeed) external {
        uint256 a = actorSeed % ACTORS;
        uint256 classId = classIds[classSeed % CLASSES];
        uint256 pid = passportIds[a];
        bytes32 att = bytes32(++attestationCounter);
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(validatorKey, classId, pid, actors[a], att, deadline);
        TRexBadge.BadgeClass memory c = badge.getClass(classId);
        if (live[classId][pid]) {
            vm.expectRevert(
                abi.encodeWithSelector(TRexBadge.AlreadyHoldsBadge.selector, classId, pid)
            );
        } else if (c.supplyCap != 0 && c.supply >= c.supplyCap) {
            vm.expectRevert(
                abi.encodeWithSelector(TRexBadge.SupplyCapReached.selector, classId, c.supplyCap)
            );
        } else {
            live[classId][pid] = true;
            ++minted[classId];
        }
        badge.mint(classId, pid, att, deadline, sig);
    }

    function revoke(uint256 actorSeed, uint256 classSeed) external {
        uint256 pid = passportIds[actorSeed % ACTORS];
        uint256 classId = classIds[classSeed % CLASSES];
        if (!live[classId][pid]) {
            vm.expectRevert(abi.encodeWithSelector(TRexBadge.BadgeNotHeld.selector, classId, pid));
        } else {
            live[classId][pid] = false;
            ++revoked[classId];
        }
        vm.prank(project);
        badge.revoke(classId, pid);
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 classSeed) external {
        address from = actors[fromSeed % ACTORS];
        address to = actors[toSeed % ACTORS];
        uint256 classId = classIds[classSeed % CLASSES];
        vm.expectRevert(TRexBadge.BadgeLocked.selector);
        vm.prank(from);
        badge.safeTransferFrom(from, to == from ? address(0xdead) : to, classId, 1, "");
        ++transfersRefused;
    }

    function creditTask(uint256 actorSeed, uint256 catSeed, uint256 amount) external {
        uint256 pid = passportIds[actorSeed % ACTORS];
        bytes32 cat = categories[catSeed % 2];
        amount = bound(amount, 0, 1e24);
        ghostTaskPoints[pid][cat] += amount;
        vm.prank(taskIssuer);
        passport.creditPoints(pid, cat, amount);
    }

    function debitTask(uint256 actorSeed, uint256 catSeed, uint256 amount) external {
        uint256 pid = passportIds[actorSeed % ACTORS];
        bytes32 cat = categories[catSeed % 2];
        amount = bound(amount, 0, ghostTaskPoints[pid][cat]);
        ghostTaskPoints[pid][cat] -= amount;
        vm.prank(taskIssuer);
        passport.debitPoints(pid, cat, amount);
    }

    // --- views for the invariants ---------------------------------------------------------------
    function actorCount() external pure returns (uint256) {
        return ACTORS;
    }

    function classCount() external pure returns (uint256) {
        return CLASSES;
    }

    function actor(uint256 i) external view returns (address, uint256) {
        return (actors[i], passportIds[i]);
    }

    function classAt(uint256 i) external view returns (uint256) {
        return classIds[i];
    }

    function category(uint256 i) external view returns (bytes32) {
        return categories[i];
    }
}

/// @notice Points of a passport always equal the sum over its live badges plus its task points;
///         no badge ever changes owner; a class's supply is minted minus revoked.
contract IdentityInvariantTest is IdentityTestBase {
    IdentityHandler internal handler;

    function setUp() public {
        _deploy();
        address project = makeAddr("project");
        handler = new IdentityHandler(passport, badge, validatorKey, taskIssuer, project);
        targetContract(address(handler));
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_PointsEqualLiveBadgesPlusTaskPoints() public view {
        for (uint256 a; a < handler.actorCount(); ++a) {
            (, uint256 pid) = handler.actor(a);
            for (uint256 k; k < 2; ++k) {
                bytes32 cat = handler.category(k);
                uint256 fromBadges;
                for (uint256 c; c < handler.classCount(); ++c) {
                    uint256 classId = handler.classAt(c);
                    TRexBadge.BadgeClass memory cls = badge.getClass(classId);
                    if (cls.pointsCategory == cat && handler.live(classId, pid)) {
                        fromBadges += cls.points;
                    }
                }
                uint256 task = handler.ghostTaskPoints(pid, cat);
                assertEq(passport.badgePoints(pid, cat), fromBadges, "badge points");
                assertEq(passport.taskPoints(pid, cat), task, "task points");
                assertEq(passport.points(pid, cat), fromBadges + task, "total points");
            }
        }
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_BadgesNeverChangeOwner() public view {
        for (uint256 c; c < handler.classCount(); ++c) {
            uint256 classId = handler.classAt(c);
            uint256 held;
            for (uint256 a; a < handler.actorCount(); ++a) {
                (address owner, uint256 pid) = handler.actor(a);
                uint256 expected = handler.live(classId, pid) ? 1 : 0;
                assertEq(badge.balanceOf(owner, classId), expected, "balance of passport owner");
                assertEq(badge.getBadge(classId, pid).mintedAt != 0, expected == 1, "badge record");
                held += expected;
            }
            assertEq(badge.balanceOf(address(0xdead), classId), 0, "outsider balance");
            assertEq(badge.balanceOf(address(handler), classId), 0, "submitter balance");
            TRexBadge.BadgeClass memory cls = badge.getClass(classId);
            assertEq(uint256(cls.supply), held, "supply is live badges");
            assertEq(held, handler.minted(classId) - handler.revoked(classId), "minted - revoked");
            if (cls.supplyCap != 0) assertLe(uint256(cls.supply), uint256(cls.supplyCap));
        }
    }
}
