// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Script} from "../test/utils/Script.sol";
import {VM_ADDRESS} from "../test/utils/Vm.sol";
import {console} from "../test/utils/console.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {TRexPassport} from "../src/identity/TRexPassport.sol";
import {TRexBadge} from "../src/identity/TRexBadge.sol";
import {ITRexPassport} from "../src/identity/ITRexPassport.sol";

/// @notice Where T-Rex Chain's genesis predeploys the identity contracts (docs/identity-contracts.md).
/// @dev The proxies' addresses are the seed's; the implementations sit at fixed OP-style
///      `0xc0d3…` addresses, the same on every network. deploy/tools/predeploys.mjs and
///      crates/chainspec carry the same values.
library IdentityPredeploys {
    /// TRexPassport implementation (every network).
    address internal constant PASSPORT_IMPLEMENTATION = 0xc0D3c0d3C0d3C0d3c0D3c0d3c0d3c0d3C0D31d01;
    /// TRexBadge implementation (every network).
    address internal constant BADGE_IMPLEMENTATION = 0xc0D3C0d3c0D3c0D3c0d3c0D3c0D3C0D3C0d31D02;
    /// TRexPassport proxy on testnet and devnet.
    address internal constant TESTNET_PASSPORT = 0x06fAb5a4e177fefE5Cc15dc41C64Ba933021418a;
    /// TRexBadge proxy on testnet and devnet.
    address internal constant TESTNET_BADGE = 0xa51B53Dc3aA7f4ef5fE9bb429521a73f411ad867;
    /// TRexPassport proxy on mainnet.
    address internal constant MAINNET_PASSPORT = 0xbbB216C52f5B9095391f463AdC438d65a8aC2242;
    /// TRexBadge proxy on mainnet.
    address internal constant MAINNET_BADGE = 0x6F52cCCfAb0712Db45C31863B262e2683097bb5c;

    uint256 internal constant MAINNET_CHAIN_ID = 1628;
    uint256 internal constant TESTNET_CHAIN_ID = 1962;
    uint256 internal constant DEVNET_CHAIN_ID = 31628;

    /// The chain has no identity predeploys.
    error NoIdentityPredeploys(uint256 chainId);

    /// The proxies predeployed on the T-Rex chain `chainId`; reverts for any other chain.
    function proxies(uint256 chainId) internal pure returns (address passport, address badge) {
        if (chainId == MAINNET_CHAIN_ID) return (MAINNET_PASSPORT, MAINNET_BADGE);
        if (chainId == TESTNET_CHAIN_ID || chainId == DEVNET_CHAIN_ID) {
            return (TESTNET_PASSPORT, TESTNET_BADGE);
        }
        revert NoIdentityPredeploys(chainId);
    }
}

/// @notice forge 1.7.1 cheatcodes the identity scripts need beyond test/utils/Vm.sol.
/// @dev Declared here rather than in Vm.sol so the scripts stay self-contained;
///      test/identity/DeployIdentity.t.sol calls each of them, which proves forge accepts the
///      declarations (a cheatcode is dispatched by selector).
interface VmIdentity {
    /// Writes every account of the current state (code, storage, nonce, balance) as JSON.
    function dumpState(string calldata pathToStateJson) external;
    function envExists(string calldata name) external view returns (bool result);
    function envAddress(string calldata name, string calldata delim)
        external
        view
        returns (address[] memory value);
}

/// @notice What the identity scripts share: the role set-up after `initialize`, reading the
///         deployment's parameters from the environment, and the result as JSON.
abstract contract IdentityScript is Script {
    VmIdentity internal constant vmx = VmIdentity(VM_ADDRESS);

    /// anvil's account 0 (the default mnemonic): deployer and admin on development chains.
    uint256 internal constant DEV_DEPLOYER_KEY =
        0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    /// anvil's account 0.
    address internal constant DEV_ACCOUNT_0 = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;
    /// anvil's account 9: the devnet validator signer.
    address internal constant DEV_ACCOUNT_9 = 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720;
    /// anvil's own chain id.
    uint256 internal constant ANVIL_CHAIN_ID = 31337;

    /// @notice A deployment's parameters.
    /// @param deployerKey sends the transactions; holds every admin role until they are handed
    ///        to `admin` at the end (when they differ)
    /// @param admin receives DEFAULT_ADMIN_ROLE, PAUSER_ROLE and UPGRADER_ROLE on both contracts
    /// @param validators receive VALIDATOR_ROLE on the passport
    /// @param taskIssuers receive TASK_ISSUER_ROLE on the passport
    struct Config {
        uint256 deployerKey;
        address admin;
        address[] validators;
        address[] taskIssuers;
    }

    /// @notice The four contracts of one identity deployment.
    struct Deployment {
        address passport;
        address badge;
        address passportImplementation;
        address badgeImplementation;
    }

    /// No TREX_DEPLOYER_KEY on a chain where the public anvil key must not be the default.
    error DeployerKeyRequired(uint256 chainId);
    /// A role holder of the configuration is the zero address.
    error ZeroRoleHolder();
    /// The post-deployment check found a contract not set up as configured.
    error SetupCheckFailed(string what);

    /// @notice The parameters from the environment: TREX_DEPLOYER_KEY (required except on anvil
    ///         and the devnet, where it defaults to anvil's account 0), TREX_IDENTITY_ADMIN (the
    ///         deployer), TREX_IDENTITY_VALIDATORS and TREX_IDENTITY_TASK_ISSUERS (comma-separated
    ///         addresses; on anvil and the devnet they default to account 9 and account 0,
    ///         elsewhere to none).
    function config() public view returns (Config memory c) {
        bool dev =
            block.chainid == ANVIL_CHAIN_ID || block.chainid == IdentityPredeploys.DEVNET_CHAIN_ID;
        c.deployerKey = vm.envOr("TREX_DEPLOYER_KEY", dev ? DEV_DEPLOYER_KEY : 0);
        if (c.deployerKey == 0) revert DeployerKeyRequired(block.chainid);
        c.admin = vm.envOr("TREX_IDENTITY_ADMIN", vm.addr(c.deployerKey));
        c.validators = _addressList("TREX_IDENTITY_VALIDATORS", dev ? DEV_ACCOUNT_9 : address(0));
        c.taskIssuers = _addressList("TREX_IDENTITY_TASK_ISSUERS", dev ? DEV_ACCOUNT_0 : address(0));
    }

    /// The deployment as the JSON deploy/deploy-identity.sh writes (checksummed addresses).
    function toJson(Deployment memory d) public view returns (string memory) {
        return string.concat(
            '{"chainId":',
            vm.toString(block.chainid),
            ',"TRexPassport":"',
            vm.toString(d.passport),
            '","TRexBadge":"',
            vm.toString(d.badge),
            '","TRexPassportImplementation":"',
            vm.toString(d.passportImplementation),
            '","TRexBadgeImplementation":"',
            vm.toString(d.badgeImplementation),
            '"}'
        );
    }

    /// @notice Sets up freshly initialised proxies whose admin roles the caller holds:
    ///         the passport's badge contract, VALIDATOR_ROLE and TASK_ISSUER_ROLE.
    /// @dev Run under `vm.startBroadcast` (scripts) or `vm.startPrank` (the genesis script).
    function _wire(TRexPassport passport, TRexBadge badge, Config memory c) internal {
        passport.setBadgeContract(address(badge));
        bytes32 validatorRole = passport.VALIDATOR_ROLE();
        for (uint256 i = 0; i < c.validators.length; i++) {
            if (c.validators[i] == address(0)) revert ZeroRoleHolder();
            passport.grantRole(validatorRole, c.validators[i]);
        }
        bytes32 taskIssuerRole = passport.TASK_ISSUER_ROLE();
        for (uint256 i = 0; i < c.taskIssuers.length; i++) {
            if (c.taskIssuers[i] == address(0)) revert ZeroRoleHolder();
            passport.grantRole(taskIssuerRole, c.taskIssuers[i]);
        }
    }

    /// @notice Gives `admin` the three admin roles of `target` and renounces them for `from`,
    ///         DEFAULT_ADMIN_ROLE last (it administers the others).
    function _handOver(IAccessControl target, bytes32[3] memory roles, address from, address admin)
        internal
    {
        if (admin == from) return;
        for (uint256 i = 0; i < roles.length; i++) {
            target.grantRole(roles[i], admin);
        }
        for (uint256 i = roles.length; i > 0; i--) {
            target.renounceRole(roles[i - 1], from);
        }
    }

    /// The admin roles of both contracts, DEFAULT_ADMIN_ROLE first.
    function _adminRoles(TRexPassport passport) internal view returns (bytes32[3] memory) {
        return [passport.DEFAULT_ADMIN_ROLE(), passport.PAUSER_ROLE(), passport.UPGRADER_ROLE()];
    }

    /// @notice Wires proxies initialised with the deployer as admin, then hands the admin roles
    ///         to `c.admin`: `initialize` takes one admin, and the wiring calls need that admin's
    ///         signature, which the script only has for the deployer.
    /// @dev Run while broadcasting as the deployer (view calls are not broadcast).
    function _wireAndHandOver(TRexPassport passport, TRexBadge badge, Config memory c) internal {
        address deployer = vm.addr(c.deployerKey);
        bytes32[3] memory roles = _adminRoles(passport);
        _wire(passport, badge, c);
        _handOver(IAccessControl(address(passport)), roles, deployer, c.admin);
        _handOver(IAccessControl(address(badge)), roles, deployer, c.admin);
    }

    /// @notice Reverts unless both proxies are set up as `c` says, reading them back.
    function _verify(Deployment memory d, Config memory c) internal view {
        TRexPassport passport = TRexPassport(d.passport);
        TRexBadge badge = TRexBadge(d.badge);
        if (_implementationOf(d.passport) != d.passportImplementation) {
            revert SetupCheckFailed("passport implementation slot");
        }
        if (_implementationOf(d.badge) != d.badgeImplementation) {
            revert SetupCheckFailed("badge implementation slot");
        }
        if (passport.badgeContract() != d.badge) revert SetupCheckFailed("badgeContract");
        if (address(badge.passport()) != d.passport) revert SetupCheckFailed("badge passport");
        bytes32[3] memory roles = _adminRoles(passport);
        address deployer = vm.addr(c.deployerKey);
        for (uint256 i = 0; i < roles.length; i++) {
            if (!passport.hasRole(roles[i], c.admin) || !badge.hasRole(roles[i], c.admin)) {
                revert SetupCheckFailed("admin roles");
            }
            if (
                deployer != c.admin
                    && (passport.hasRole(roles[i], deployer) || badge.hasRole(roles[i], deployer))
            ) revert SetupCheckFailed("deployer kept an admin role");
        }
        for (uint256 i = 0; i < c.validators.length; i++) {
            if (!passport.hasRole(passport.VALIDATOR_ROLE(), c.validators[i])) {
                revert SetupCheckFailed("VALIDATOR_ROLE");
            }
        }
        for (uint256 i = 0; i < c.taskIssuers.length; i++) {
            if (!passport.hasRole(passport.TASK_ISSUER_ROLE(), c.taskIssuers[i])) {
                revert SetupCheckFailed("TASK_ISSUER_ROLE");
            }
        }
    }

    /// The ERC-1967 implementation slot of `proxy`.
    function _implementationOf(address proxy) internal view returns (address) {
        return address(uint160(uint256(vm.load(proxy, ERC1967Utils.IMPLEMENTATION_SLOT))));
    }

    /// @notice The comma-separated addresses in `name`; `[defaultHolder]` when it is unset (or `[]`
    ///         when `defaultHolder` is zero). Set but empty means none.
    function _addressList(string memory name, address defaultHolder)
        private
        view
        returns (address[] memory list)
    {
        if (vmx.envExists(name)) {
            if (bytes(vm.envString(name)).length == 0) return new address[](0);
            return vmx.envAddress(name, ",");
        }
        if (defaultHolder == address(0)) return new address[](0);
        list = new address[](1);
        list[0] = defaultHolder;
    }
}

/// @title DeployIdentity
/// @notice Deploys TRexPassport and TRexBadge on any chain: both implementations, an ERC1967
///         proxy for each initialised in its constructor (so nobody can initialise it first), the
///         passport's badge contract, VALIDATOR_ROLE and TASK_ISSUER_ROLE, then the admin roles
///         handed from the deployer to TREX_IDENTITY_ADMIN. Run by deploy/deploy-identity.sh:
///         `forge script script/DeployIdentity.s.sol:DeployIdentity --rpc-url $RPC --broadcast`.
/// @dev Parameters: see `IdentityScript.config`. The T-Rex chains themselves have the contracts
///      in their genesis; use `InitIdentity` there.
contract DeployIdentity is IdentityScript {
    /// @notice Deploys with the environment's parameters; returns the addresses and their JSON.
    function run() external returns (Deployment memory d, string memory json) {
        d = deploy(config());
        json = toJson(d);
        console.log("TRexPassport", d.passport);
        console.log("TRexBadge", d.badge);
        console.log("deployment", json);
    }

    /// @notice Deploys with the parameters `c` and checks the result.
    function deploy(Config memory c) public returns (Deployment memory d) {
        address deployer = vm.addr(c.deployerKey);
        vm.startBroadcast(c.deployerKey);
        d.passportImplementation = address(new TRexPassport());
        d.badgeImplementation = address(new TRexBadge());
        d.passport = address(
            new ERC1967Proxy(
                d.passportImplementation, abi.encodeCall(TRexPassport.initialize, (deployer))
            )
        );
        d.badge = address(
            new ERC1967Proxy(
                d.badgeImplementation,
                abi.encodeCall(TRexBadge.initialize, (deployer, ITRexPassport(d.passport)))
            )
        );
        _wireAndHandOver(TRexPassport(d.passport), TRexBadge(d.badge), c);
        vm.stopBroadcast();
        _verify(d, c);
    }
}

/// @title InitIdentity
/// @notice Initialises the identity predeploys that testnet and mainnet genesis leave
///         uninitialised (docs/identity-contracts.md): `initialize` on both proxies, the wiring of
///         `DeployIdentity`, the admin roles handed to TREX_IDENTITY_ADMIN. `initialize` runs once
///         per proxy, and anyone may call it: run this as the first L2 transaction, before the
///         chain's RPC is public. Run by `deploy/deploy-identity.sh --init`:
///         `forge script script/DeployIdentity.s.sol:InitIdentity --rpc-url $L2_RPC --broadcast`.
/// @dev The proxies default to the predeploys of the chain the RPC serves
///      (`IdentityPredeploys.proxies`); TREX_IDENTITY_PASSPORT and TREX_IDENTITY_BADGE override
///      them. Other parameters: see `IdentityScript.config`.
contract InitIdentity is IdentityScript {
    /// A proxy has no code on this chain.
    error NotDeployed(address proxy);
    /// A proxy was initialised already (by an earlier run, or by someone else first).
    error AlreadyInitialised(address proxy);

    /// @notice Initialises the proxies with the environment's parameters.
    function run() external returns (Deployment memory d, string memory json) {
        (address passport, address badge) = proxies();
        d = initialise(config(), passport, badge);
        json = toJson(d);
        console.log("initialised TRexPassport", d.passport);
        console.log("initialised TRexBadge", d.badge);
        console.log("deployment", json);
    }

    /// The proxies: TREX_IDENTITY_PASSPORT / TREX_IDENTITY_BADGE, else this chain's predeploys.
    function proxies() public view returns (address passport, address badge) {
        (address p, address b) = (
            vm.envOr("TREX_IDENTITY_PASSPORT", address(0)),
            vm.envOr("TREX_IDENTITY_BADGE", address(0))
        );
        if (p == address(0) || b == address(0)) {
            (address defaultPassport, address defaultBadge) =
                IdentityPredeploys.proxies(block.chainid);
            if (p == address(0)) p = defaultPassport;
            if (b == address(0)) b = defaultBadge;
        }
        return (p, b);
    }

    /// @notice Initialises the proxies at `passport` and `badge` with the parameters `c`.
    function initialise(Config memory c, address passport, address badge)
        public
        returns (Deployment memory d)
    {
        d = Deployment({
            passport: passport,
            badge: badge,
            passportImplementation: _implementationOf(passport),
            badgeImplementation: _implementationOf(badge)
        });
        _requireUninitialised(passport);
        _requireUninitialised(badge);
        address deployer = vm.addr(c.deployerKey);
        vm.startBroadcast(c.deployerKey);
        TRexPassport(passport).initialize(deployer);
        TRexBadge(badge).initialize(deployer, ITRexPassport(passport));
        _wireAndHandOver(TRexPassport(passport), TRexBadge(badge), c);
        vm.stopBroadcast();
        _verify(d, c);
    }

    /// @dev Initialisation writes the EIP-712 name, which is empty before: a read that needs no
    ///      storage-slot arithmetic and works for both contracts.
    function _requireUninitialised(address proxy) private view {
        if (proxy.code.length == 0 || _implementationOf(proxy).code.length == 0) {
            revert NotDeployed(proxy);
        }
        (, string memory name,,,,,) = IERC5267(proxy).eip712Domain();
        if (bytes(name).length != 0) revert AlreadyInitialised(proxy);
    }
}
