//! `trex-persona-synthetic`: writes a synthetic persona graph into a Postgres database.

use clap::Parser;
use trex_persona_synthetic::{Spec, generate};

/// Writes N synthetic users (features, badges, points, GameFi labels) into an empty persona graph.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Number of users.
    #[arg(long, env = "TREX_SYNTHETIC_USERS", default_value_t = 10_000)]
    users: u64,
    /// Seed; the same seed and size give the same graph.
    #[arg(long, env = "TREX_SYNTHETIC_SEED", default_value_t = 1)]
    seed: u64,
    /// The persona engine's database.
    #[arg(long, env = "TREX_PERSONA_DATABASE_URL")]
    database_url: String,
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let pool = sqlx::PgPool::connect(&args.database_url).await?;
    let summary = generate(&pool, Spec { users: args.users, seed: args.seed }).await?;
    println!(
        "{} users, {} badges, {} points rows, {} labels in {:.1} s",
        summary.users, summary.badges, summary.points, summary.labels, summary.seconds
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse() {
        let args = Args::try_parse_from([
            "trex-persona-synthetic",
            "--users",
            "5",
            "--seed",
            "9",
            "--database-url",
            "postgres://x",
        ])
        .unwrap();
        assert_eq!((args.users, args.seed, args.database_url.as_str()), (5, 9, "postgres://x"));
        assert!(Args::try_parse_from(["trex-persona-synthetic", "--users", "-1"]).is_err());
    }
}
