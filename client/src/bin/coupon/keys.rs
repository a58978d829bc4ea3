//! `coupon keys create|list|revoke`: API keys (needs an admin key).

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use coupon_client::api::{ApiKey, CreateKeyRequest, KeyRole};
use coupon_client::HttpCouponClient;

use crate::exit::Done;
use crate::output::Output;
use crate::render::optional;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; prints its secret, which is shown this once.
    Create {
        /// What the key may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Free text for the operator (at most 64 characters).
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Every key, revoked ones included, without secrets.
    List,
    /// Revoke a key; once this returns no node accepts it.
    Revoke {
        /// The key's id (`key_…`).
        id: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    Storefront,
    Readonly,
}

impl From<RoleArg> for KeyRole {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => KeyRole::Admin,
            RoleArg::Storefront => KeyRole::Storefront,
            RoleArg::Readonly => KeyRole::Readonly,
        }
    }
}

impl KeysCommand {
    pub async fn run(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        match self {
            Self::Create { role, label } => {
                let request = CreateKeyRequest { role: role.into(), label };
                let created = client.create_key(&request).await.context("create the key")?.value;
                output.emit(&created, || {
                    format!("{}\nsecret: {}", line(&created.key), optional(created.secret.as_ref()))
                });
            }
            Self::List => {
                let list = client.list_keys().await.context("list the keys")?;
                output.emit(&list, || {
                    let mut lines = vec![format!(
                        "{:<22} {:<11} {:<26} {:<26} {}",
                        "ID", "ROLE", "CREATED", "REVOKED", "LABEL"
                    )];
                    lines.extend(list.keys.iter().map(line));
                    lines.join("\n")
                });
            }
            Self::Revoke { id } => {
                let revoked = client.revoke_key(&id).await.context("revoke the key")?.value;
                output.emit(&revoked, || line(&revoked));
            }
        }
        Ok(Done::Success)
    }
}

fn line(key: &ApiKey) -> String {
    let role = serde_json::to_value(key.role).ok().and_then(|v| v.as_str().map(str::to_owned));
    format!(
        "{:<22} {:<11} {:<26} {:<26} {}",
        key.id,
        optional(role.as_ref()),
        key.created_at.to_rfc3339(),
        optional(key.revoked_at.map(|at| at.to_rfc3339()).as_ref()),
        key.label
    )
}
