//! The command line: global options, the subcommands, and the client they share.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use coupon_client::{ClientConfig, HttpCouponClient, ATTEMPTS_MAX_DEFAULT};

use crate::audit::AuditCommand;
use crate::bench::BenchArgs;
use crate::campaign::CampaignCommand;
use crate::cluster::ClusterCommand;
use crate::duration_arg;
use crate::edit::EditArgs;
use crate::exit::{Done, EXIT_CODES_HELP};
use crate::generate::GenerateArgs;
use crate::holds::{HoldArgs, HoldRefArgs};
use crate::keys::KeysCommand;
use crate::list::ListArgs;
use crate::lookup::{GetArgs, HistoryArgs};
use crate::output::Output;
use crate::redeem::{RedeemArgs, RollbackArgs, ValidateArgs};

/// The nodes of a cluster started with `scripts/cluster.sh start` and its default ports.
const NODES_DEFAULT: &str = "127.0.0.1:8081,127.0.0.1:8082,127.0.0.1:8083";

#[derive(Debug, Parser)]
#[command(
    name = "coupon",
    version,
    about = "Command-line client of the replicated coupon service",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// API addresses (host:port) of the cluster's nodes, comma-separated; any node serves any
    /// request, and the client fails over between them. `https://host:port` (or --ca-cert)
    /// talks TLS to every node.
    #[arg(
        long,
        env = "COUPON_NODES",
        value_delimiter = ',',
        default_value = NODES_DEFAULT,
        value_parser = parse_node,
        global = true
    )]
    pub nodes: Vec<String>,
    /// Print JSON on stdout (one object per line) instead of text. Errors from the service are
    /// printed as their problem+json body.
    #[arg(long, global = true)]
    pub json: bool,
    /// Time one attempt may take (e.g. 5s, 500ms).
    #[arg(long, default_value = "5s", value_parser = duration_arg::parse, global = true)]
    pub timeout: Duration,
    /// Attempts per request, the first included (retries go to other nodes and keep one
    /// Idempotency-Key per write).
    #[arg(long, default_value_t = ATTEMPTS_MAX_DEFAULT, value_parser = clap::value_parser!(u32).range(1..=100), global = true)]
    pub attempts: u32,
    /// The API key's secret, sent as `Authorization: Bearer` (a node running open needs none).
    #[arg(long, env = "COUPON_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
    /// PEM certificate of the CA that signed the nodes' certificates, trusted beside the system
    /// roots (`scripts/cluster.sh start --tls` prints it); implies https:// to every node.
    #[arg(long, env = "COUPON_CA_CERT", global = true)]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create one coupon, or many with --count.
    Generate(GenerateArgs),
    /// Show a coupon, by id or by code.
    Get(GetArgs),
    /// The catalogue: coupons oldest first, filtered and paged.
    List(ListArgs),
    /// Change a coupon's terms (expiry, limits, amounts, metadata).
    Edit(EditArgs),
    /// Would a redeem succeed now? Exits 2 when it would not.
    Validate(ValidateArgs),
    /// Use a coupon once.
    Redeem(RedeemArgs),
    /// A coupon's redemptions, oldest first.
    History(HistoryArgs),
    /// Undo a redemption (the order was cancelled): gives the use back.
    Rollback(RollbackArgs),
    /// Set a use aside at checkout, until it is confirmed or released (or expires).
    Hold(HoldArgs),
    /// Turn a hold into a redemption (payment succeeded).
    Confirm(HoldRefArgs),
    /// Give a hold's use back (the checkout was abandoned).
    Release(HoldRefArgs),
    /// Campaigns: one set of rules behind many codes.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// The cluster's nodes.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// API keys: create, list, revoke (needs an admin key).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The audit trail: list it, or verify its hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Load generator: measures redeems per second and latency.
    Bench(BenchArgs),
}

impl Cli {
    pub fn output(&self) -> Output {
        Output { json: self.global.json }
    }

    pub async fn run(self) -> anyhow::Result<Done> {
        let output = self.output();
        let global = self.global;
        match self.command {
            Command::Generate(args) => args.run(&global.client()?, output).await,
            Command::Get(args) => args.run(&global.client()?, output).await,
            Command::List(args) => args.run(&global.client()?, output).await,
            Command::Edit(args) => args.run(&global.client()?, output).await,
            Command::Validate(args) => args.run(&global.client()?, output).await,
            Command::Redeem(args) => args.run(&global.client()?, output).await,
            Command::History(args) => args.run(&global.client()?, output).await,
            Command::Rollback(args) => args.run(&global.client()?, output).await,
            Command::Hold(args) => args.run(&global.client()?, output).await,
            Command::Confirm(args) => args.confirm(&global.client()?, output).await,
            Command::Release(args) => args.release(&global.client()?, output).await,
            Command::Campaign(command) => command.run(&global.client()?, output).await,
            Command::Cluster(command) => command.run(&global, output).await,
            Command::Keys(command) => command.run(&global.client()?, output).await,
            Command::Audit(command) => command.run(&global.client()?, output).await,
            Command::Bench(args) => args.run(&global, output).await,
        }
    }
}

impl Global {
    /// The client configuration these options ask for (reads the --ca-cert file).
    pub fn client_config(&self) -> anyhow::Result<ClientConfig> {
        let ca_cert_pem = match &self.ca_cert {
            Some(path) => Some(
                std::fs::read(path)
                    .with_context(|| format!("cannot read --ca-cert {}", path.display()))?,
            ),
            None => None,
        };
        Ok(ClientConfig {
            request_timeout: self.timeout,
            connect_timeout: self.timeout.min(coupon_client::CONNECT_TIMEOUT_DEFAULT),
            attempts_max: self.attempts,
            api_key: self.api_key.clone().filter(|key| !key.is_empty()),
            ca_cert_pem,
            ..ClientConfig::default()
        })
    }

    pub fn client(&self) -> anyhow::Result<HttpCouponClient> {
        HttpCouponClient::new(self.nodes.clone(), self.client_config()?)
            .context("cannot build the client")
    }
}

/// Accepts `host:port`, and for convenience `http://host:port/`; `https://host:port` is kept
/// whole, since it asks for TLS.
fn parse_node(text: &str) -> Result<String, String> {
    let node = text.trim().trim_end_matches('/');
    let (tls, address) = match node.strip_prefix("https://") {
        Some(address) => (true, address),
        None => (false, node.strip_prefix("http://").unwrap_or(node)),
    };
    if address.is_empty() || !address.contains(':') {
        return Err(format!("{text:?} is not host:port"));
    }
    Ok(if tls { format!("https://{address}") } else { address.to_owned() })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::{parse_node, Cli};

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn nodes_may_be_written_as_urls() {
        assert_eq!(parse_node(" http://127.0.0.1:8081/ ").unwrap(), "127.0.0.1:8081");
        assert_eq!(parse_node("n1:80").unwrap(), "n1:80");
        assert_eq!(parse_node("https://n1:8443/").unwrap(), "https://n1:8443");
        assert!(parse_node("https://nohost").is_err());
        assert!(parse_node("nohost").is_err());
        assert!(parse_node("").is_err());
    }
}
