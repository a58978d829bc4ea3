//! `coupon cluster status`: every node's own view of the cluster, asked of each node directly.

use clap::Subcommand;
use coupon_client::api::ClusterStatus;
use coupon_client::HttpCouponClient;
use futures::future::join_all;
use serde::Serialize;

use crate::cli::Global;
use crate::exit::Done;
use crate::output::Output;
use crate::render::optional;

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Each node's role, term, log and applied index, and the leader it knows. Fails (exit 1)
    /// only when no node answers.
    Status,
}

/// One node's answer, or why there was none.
#[derive(Debug, Serialize)]
struct NodeView {
    node: String,
    status: Option<ClusterStatus>,
    error: Option<String>,
}

impl ClusterCommand {
    pub async fn run(self, global: &Global, output: Output) -> anyhow::Result<Done> {
        match self {
            Self::Status => status(global, output).await,
        }
    }
}

async fn status(global: &Global, output: Output) -> anyhow::Result<Done> {
    let client = global.client()?;
    let views = join_all(client.nodes().into_iter().map(|node| view(&client, node))).await;
    if output.json {
        output.print_json(&serde_json::json!({ "nodes": views }));
    } else {
        println!("{}", table(&views));
    }
    if views.iter().all(|view| view.status.is_none()) {
        anyhow::bail!("no node answered");
    }
    Ok(Done::Success)
}

async fn view(client: &HttpCouponClient, node: String) -> NodeView {
    match client.cluster_status_of(&node).await {
        Ok(status) => NodeView { node, status: Some(status), error: None },
        Err(error) => NodeView { node, status: None, error: Some(error.to_string()) },
    }
}

fn table(views: &[NodeView]) -> String {
    let mut lines = vec![format!(
        "{:<22} {:<4} {:<10} {:<6} {:<9} {:<13} {}",
        "NODE", "ID", "ROLE", "TERM", "LAST_LOG", "LAST_APPLIED", "LEADER"
    )];
    for view in views {
        lines.push(match (&view.status, &view.error) {
            (Some(status), _) => format!(
                "{:<22} {:<4} {:<10} {:<6} {:<9} {:<13} {}",
                view.node,
                status.node_id,
                format!("{:?}", status.role).to_lowercase(),
                status.term,
                optional(status.last_log_index),
                optional(status.last_applied),
                optional(status.leader_id),
            ),
            (None, error) => format!("{:<22} unreachable: {}", view.node, optional(error.as_ref())),
        });
    }
    if let Some(status) = views.iter().find_map(|view| view.status.as_ref()) {
        let members: Vec<String> = status
            .members
            .iter()
            .map(|member| {
                let kind = if member.voter { "voter" } else { "learner" };
                format!("{}={} ({kind})", member.id, member.api_addr)
            })
            .collect();
        lines.push(format!("members: {}", members.join(", ")));
    }
    lines.join("\n")
}
