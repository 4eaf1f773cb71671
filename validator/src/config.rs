//! Command line of `trex-validator` and the plain [`Config`] it turns into.

use std::{net::SocketAddr, str::FromStr, time::Duration};

use alloy_primitives::{Address, B256, address};
use alloy_signer_local::PrivateKeySigner;
use clap::Parser;
use trex_zktls::{Provider, VerifierConfig};
use url::Url;

use crate::{error::ValidatorError, evaluate::Chains, persona::PersonaSink};

/// Passport and Badge proxies of the networks with identity predeploys, by L2 chain id.
///
/// The devnet (31628) runs the testnet's genesis layout, so both use the testnet addresses.
pub fn identity_predeploys(chain_id: u64) -> Option<(Address, Address)> {
    const TESTNET: (Address, Address) = (
        address!("0x06fAb5a4e177fefE5Cc15dc41C64Ba933021418a"),
        address!("0xa51B53Dc3aA7f4ef5fE9bb429521a73f411ad867"),
    );
    const MAINNET: (Address, Address) = (
        address!("0xbbB216C52f5B9095391f463AdC438d65a8aC2242"),
        address!("0x6F52cCCfAb0712Db45C31863B262e2683097bb5c"),
    );
    match chain_id {
        31628 | 1962 => Some(TESTNET),
        1628 => Some(MAINNET),
        _ => None,
    }
}

/// An extra EVM chain, `name=url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainArg {
    /// The name conditions use in their `chain` field.
    pub name: String,
    /// Its JSON-RPC URL.
    pub url: Url,
}

impl FromStr for ChainArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, url) = s.split_once('=').ok_or_else(|| format!("`{s}` is not name=url"))?;
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            return Err(format!("chain name `{name}` must be lower-case letters, digits, - or _"));
        }
        if name == Chains::TREX {
            return Err("`trex` is the T-Rex L2 itself: set it with --l2-rpc".into());
        }
        let url = url.parse().map_err(|err| format!("chain `{name}`: bad URL `{url}`: {err}"))?;
        Ok(Self { name: name.to_owned(), url })
    }
}

/// A trusted Reclaim witness of an epoch, `epoch:address`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WitnessArg {
    /// The witness epoch.
    pub epoch: u64,
    /// The witness's address.
    pub address: Address,
}

impl FromStr for WitnessArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (epoch, address) =
            s.split_once(':').ok_or_else(|| format!("`{s}` is not epoch:address"))?;
        Ok(Self {
            epoch: epoch.parse().map_err(|_| format!("`{epoch}` is not an epoch number"))?,
            address: address.parse().map_err(|_| format!("`{address}` is not an address"))?,
        })
    }
}

/// A trusted Reclaim provider definition of a T-Rex zkTLS provider,
/// `provider-id=0x<32-byte providerHash>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderHashArg {
    /// The T-Rex provider (`twitch-followers`, `cex-total-assets`, …).
    pub provider: Provider,
    /// The `providerHash` its proofs must carry.
    pub hash: B256,
}

impl FromStr for ProviderHashArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (id, hash) =
            s.split_once('=').ok_or_else(|| format!("`{s}` is not provider-id=0xhash"))?;
        let provider = id.trim().parse().map_err(|_| {
            let known: Vec<&str> = Provider::ALL.iter().map(|p| p.id()).collect();
            format!("`{id}` is not a zkTLS provider id (one of {})", known.join(", "))
        })?;
        // A hash without its 0x, or of another length, is more likely a typo than a definition.
        let hash = hash.trim();
        let valid = hash.len() == 66 && hash.starts_with("0x");
        let hash = valid
            .then(|| hash.parse::<B256>().ok())
            .flatten()
            .ok_or_else(|| format!("`{hash}` is not a 0x-prefixed 32-byte hex providerHash"))?;
        Ok(Self { provider, hash })
    }
}

/// `trex-validator`: checks T-Rex passports against badge-class conditions and signs EIP-712
/// mint and link attestations.
#[derive(Debug, Clone, Parser)]
#[command(name = "trex-validator", version, about)]
pub struct Args {
    /// Address the HTTP API listens on.
    #[arg(long, env = "TREX_VALIDATOR_LISTEN", default_value = "127.0.0.1:3200")]
    pub listen: SocketAddr,
    /// Postgres URL of the service's database (migrated at start).
    #[arg(long = "database-url", env = "TREX_VALIDATOR_DATABASE_URL")]
    pub database_url: String,
    /// JSON-RPC URL of the T-Rex L2 (the chain named `trex` in conditions).
    #[arg(long = "l2-rpc", env = "TREX_VALIDATOR_L2_RPC")]
    pub l2_rpc: Url,
    /// An extra EVM chain conditions may name, `name=url` (repeatable; in the environment,
    /// comma-separated).
    #[arg(long = "chain", env = "TREX_VALIDATOR_CHAINS", value_delimiter = ',')]
    pub chains: Vec<ChainArg>,
    /// Solana JSON-RPC URL; without it, Solana balance and transaction checks cannot be used.
    #[arg(long = "solana-rpc", env = "TREX_VALIDATOR_SOLANA_RPC")]
    pub solana_rpc: Option<Url>,
    /// The secp256k1 key attestations are signed with (hex). Prefer the environment variable: a
    /// flag is visible to every user of the machine.
    #[arg(long = "signer-key", env = "TREX_VALIDATOR_SIGNER_KEY", hide_env_values = true)]
    pub signer_key: String,
    /// TRexPassport proxy (default: the predeploy of the L2's chain id).
    #[arg(long, env = "TREX_VALIDATOR_PASSPORT")]
    pub passport: Option<Address>,
    /// TRexBadge proxy (default: the predeploy of the L2's chain id).
    #[arg(long, env = "TREX_VALIDATOR_BADGE")]
    pub badge: Option<Address>,
    /// Seconds an attestation stays valid on chain.
    #[arg(
        long = "attestation-ttl",
        env = "TREX_VALIDATOR_ATTESTATION_TTL",
        default_value_t = 3600
    )]
    pub attestation_ttl: u64,
    /// A trusted Reclaim witness, `epoch:address` (repeatable; in the environment,
    /// comma-separated).
    #[arg(long = "zktls.witness", env = "TREX_VALIDATOR_ZKTLS_WITNESSES", value_delimiter = ',')]
    pub zktls_witnesses: Vec<WitnessArg>,
    /// Distinct trusted witnesses that must have signed a zkTLS claim.
    #[arg(
        long = "zktls.min-witnesses",
        env = "TREX_VALIDATOR_ZKTLS_MIN_WITNESSES",
        default_value_t = 1
    )]
    pub zktls_min_witnesses: usize,
    /// A trusted Reclaim provider definition, `provider-id=0x<32-byte providerHash>` (repeatable,
    /// several hashes per provider allowed; in the environment, comma-separated). Once a provider
    /// has one, its proofs must carry a pinned hash; providers without any accept every
    /// definition, which only a test deployment should do.
    #[arg(
        long = "zktls.provider-hash",
        env = "TREX_VALIDATOR_ZKTLS_PROVIDER_HASHES",
        value_delimiter = ','
    )]
    pub zktls_provider_hashes: Vec<ProviderHashArg>,
    /// The oldest a zkTLS claim may be, in seconds.
    #[arg(long = "zktls.max-age", env = "TREX_VALIDATOR_ZKTLS_MAX_AGE", default_value_t = 86_400)]
    pub zktls_max_age: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long = "body-limit", env = "TREX_VALIDATOR_BODY_LIMIT", default_value_t = 256 * 1024)]
    pub body_limit: usize,
    /// Fetch token metadata from loopback, private and link-local hosts too. Off by default:
    /// metadata URLs are chosen by NFT contract owners, who could otherwise make the validator
    /// send requests into its own network.
    #[arg(
        long = "metadata.allow-private-hosts",
        env = "TREX_VALIDATOR_METADATA_ALLOW_PRIVATE_HOSTS"
    )]
    pub metadata_allow_private_hosts: bool,
    /// The persona engine to forward proven facts to (its base URL); none: not forwarded.
    #[arg(long = "persona.url", env = "TREX_VALIDATOR_PERSONA_URL", requires = "persona_key")]
    pub persona_url: Option<Url>,
    /// The client id the persona engine knows this validator by.
    #[arg(
        long = "persona.client",
        env = "TREX_VALIDATOR_PERSONA_CLIENT",
        default_value = "trex-validator"
    )]
    pub persona_client: String,
    /// The hex HMAC key shared with the persona engine for this client.
    #[arg(long = "persona.key", env = "TREX_VALIDATOR_PERSONA_KEY", hide_env_values = true)]
    pub persona_key: Option<String>,
}

/// Everything the service needs, checked; built from [`Args`] (or by hand in tests).
#[derive(Debug, Clone)]
pub struct Config {
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// Postgres URL.
    pub database_url: String,
    /// The T-Rex L2's JSON-RPC URL.
    pub l2_rpc: Url,
    /// Extra EVM chains.
    pub chains: Vec<ChainArg>,
    /// Solana JSON-RPC URL.
    pub solana_rpc: Option<Url>,
    /// The attestation key (its `Debug` shows only the address).
    pub signer: PrivateKeySigner,
    /// TRexPassport override.
    pub passport: Option<Address>,
    /// TRexBadge override.
    pub badge: Option<Address>,
    /// How long an attestation stays valid.
    pub attestation_ttl: Duration,
    /// Trusted Reclaim witnesses, provider definitions and freshness.
    pub zktls: VerifierConfig,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Whether token metadata may come from loopback and private networks.
    pub metadata_allow_private_hosts: bool,
    /// Where proven facts are forwarded, when anywhere.
    pub persona: Option<PersonaSink>,
}

impl Args {
    /// Checks the flags and parses the key.
    pub fn into_config(self) -> Result<Config, ValidatorError> {
        let signer: PrivateKeySigner = self.signer_key.trim().parse().map_err(|_| {
            ValidatorError::Config("--signer-key is not a hex secp256k1 private key".into())
        })?;
        if self.attestation_ttl == 0 {
            return Err(ValidatorError::Config("--attestation-ttl must be at least 1 s".into()));
        }
        if self.zktls_min_witnesses == 0 {
            return Err(ValidatorError::Config("--zktls.min-witnesses must be at least 1".into()));
        }
        if self.body_limit < 1024 {
            return Err(ValidatorError::Config("--body-limit must be at least 1024 bytes".into()));
        }
        let mut names: Vec<&str> = self.chains.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(ValidatorError::Config(format!("--chain {} is given twice", pair[0])));
        }
        let mut zktls = VerifierConfig::new(self.zktls_min_witnesses, self.zktls_max_age);
        for witness in &self.zktls_witnesses {
            zktls.witnesses.entry(witness.epoch).or_default().insert(witness.address);
        }
        for pinned in &self.zktls_provider_hashes {
            zktls = zktls.with_provider_hash(pinned.provider, pinned.hash);
        }
        let persona = match (self.persona_url, self.persona_key) {
            (Some(url), Some(key)) => {
                let key = alloy_primitives::hex::decode(key.trim())
                    .map_err(|_| ValidatorError::Config("--persona.key is not hex".into()))?;
                if key.len() < 16 {
                    return Err(ValidatorError::Config(
                        "--persona.key must be at least 16 bytes".into(),
                    ));
                }
                Some(PersonaSink { url, client: self.persona_client, key })
            }
            _ => None,
        };
        Ok(Config {
            listen: self.listen,
            database_url: self.database_url,
            l2_rpc: self.l2_rpc,
            chains: self.chains,
            solana_rpc: self.solana_rpc,
            signer,
            passport: self.passport,
            badge: self.badge,
            attestation_ttl: Duration::from_secs(self.attestation_ttl),
            zktls,
            body_limit: self.body_limit,
            metadata_allow_private_hosts: self.metadata_allow_private_hosts,
            persona,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";

    fn args(extra: &[&str]) -> Result<Args, clap::Error> {
        let base = [
            "trex-validator",
            "--database-url=postgres://postgres@127.0.0.1/v",
            "--l2-rpc=http://127.0.0.1:9545",
        ];
        Args::try_parse_from(base.iter().chain(extra))
    }

    #[test]
    fn defaults_and_repeatable_flags() {
        let a = args(&[
            &format!("--signer-key={KEY}"),
            "--chain=sepolia=http://127.0.0.1:8545",
            "--chain",
            "base=https://base.example/rpc",
            "--zktls.witness=1:0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
            "--zktls.witness=2:0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        ])
        .unwrap();
        assert_eq!(a.listen, "127.0.0.1:3200".parse().unwrap());
        assert_eq!(a.chains.len(), 2);
        assert_eq!(a.chains[1].name, "base");
        let config = a.into_config().unwrap();
        assert_eq!(config.attestation_ttl, Duration::from_secs(3600));
        assert_eq!(config.body_limit, 256 * 1024);
        assert_eq!(config.zktls.min_witnesses, 1);
        assert_eq!(config.zktls.max_age_s, 86_400);
        assert_eq!(config.zktls.witnesses.len(), 2);
        assert_eq!(config.signer.address(), address!("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"));
        assert!(!format!("{config:?}").contains(&KEY[2..]), "the key is never printed");
        assert!(config.zktls.provider_hashes.is_empty(), "nothing is pinned by default");
        assert!(!config.metadata_allow_private_hosts, "metadata comes from public hosts");
    }

    #[test]
    fn pins_provider_hashes() {
        let (a, b) = (B256::repeat_byte(0xaa), B256::repeat_byte(0xbb));
        let config = args(&[
            &format!("--signer-key={KEY}"),
            &format!("--zktls.provider-hash=twitch-followers={a}"),
            "--zktls.provider-hash",
            &format!("twitch-followers={b}"),
            &format!("--zktls.provider-hash=cex-vip-level={a}"),
            "--metadata.allow-private-hosts",
        ])
        .unwrap()
        .into_config()
        .unwrap();
        let pinned = &config.zktls.provider_hashes;
        assert_eq!(pinned.len(), 2);
        assert_eq!(pinned[&Provider::TwitchFollowers].len(), 2);
        assert!(pinned[&Provider::CexVipLevel].contains(&a));
        assert!(config.metadata_allow_private_hosts);
    }

    #[test]
    fn provider_hashes_split_like_the_environment_variable() {
        // The environment variable is read with the flag's `,` delimiter; clap applies it to
        // values given on the command line the same way.
        let (a, b) = (B256::repeat_byte(0x01), B256::repeat_byte(0x02));
        let a = args(&[
            &format!("--signer-key={KEY}"),
            &format!("--zktls.provider-hash=x-followers={a},twitch-followers={b}"),
        ])
        .unwrap();
        assert_eq!(a.zktls_provider_hashes.len(), 2);
        assert_eq!(a.zktls_provider_hashes[1].provider, Provider::TwitchFollowers);
        assert_eq!(a.zktls_provider_hashes[1].hash, b);
    }

    #[rstest::rstest]
    #[case::no_equals("twitch-followers", "provider-id=0xhash")]
    #[case::unknown_id(
        "twitch-follower=0x2222222222222222222222222222222222222222222222222222222222222222",
        "not a zkTLS provider id (one of cex-total-assets"
    )]
    #[case::reclaim_id_not_trex_id(
        "Twitch=0x2222222222222222222222222222222222222222222222222222222222222222",
        "not a zkTLS provider id"
    )]
    #[case::short_hash("twitch-followers=0x1234", "32-byte hex providerHash")]
    #[case::no_prefix(
        "twitch-followers=2222222222222222222222222222222222222222222222222222222222222222",
        "0x-prefixed"
    )]
    #[case::not_hex(
        "twitch-followers=0xzz22222222222222222222222222222222222222222222222222222222222222",
        "32-byte hex providerHash"
    )]
    #[case::empty_hash("twitch-followers=", "32-byte hex providerHash")]
    fn rejects_bad_provider_hashes(#[case] value: &str, #[case] expected: &str) {
        let err = value.parse::<ProviderHashArg>().unwrap_err();
        assert!(err.contains(expected), "{value}: {err}");
        let flag = format!("--zktls.provider-hash={value}");
        let err = args(&[&format!("--signer-key={KEY}"), &flag]).unwrap_err().to_string();
        assert!(err.contains(expected) && err.contains("--zktls.provider-hash"), "{flag}: {err}");
    }

    #[rstest::rstest]
    #[case::no_equals("--chain=sepolia")]
    #[case::trex("--chain=trex=http://127.0.0.1:1")]
    #[case::bad_name("--chain=Sepolia=http://127.0.0.1:1")]
    #[case::bad_url("--chain=sepolia=not a url")]
    #[case::witness("--zktls.witness=one:0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f")]
    #[case::witness_address("--zktls.witness=1:0x1234")]
    fn rejects_bad_flags(#[case] flag: &str) {
        assert!(args(&[&format!("--signer-key={KEY}"), flag]).is_err(), "{flag}");
    }

    #[test]
    fn rejects_bad_values() {
        let config = |extra: &[&str]| args(extra).unwrap().into_config();
        let err = config(&["--signer-key=0x12"]).unwrap_err().to_string();
        assert!(err.contains("--signer-key") && !err.contains("0x12"), "{err}");
        let key = format!("--signer-key={KEY}");
        assert!(config(&[&key, "--attestation-ttl=0"]).is_err());
        assert!(config(&[&key, "--zktls.min-witnesses=0"]).is_err());
        assert!(config(&[&key, "--chain=a=http://x", "--chain=a=http://y"]).is_err());
    }

    #[test]
    fn predeploys_by_chain_id() {
        assert_eq!(identity_predeploys(31628), identity_predeploys(1962));
        assert_eq!(
            identity_predeploys(1628).unwrap().0,
            address!("0xbbB216C52f5B9095391f463AdC438d65a8aC2242")
        );
        assert!(identity_predeploys(1).is_none());
    }
}
