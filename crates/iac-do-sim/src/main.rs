//! `iac-do-sim`: runs the DigitalOcean API simulator until interrupted.

use std::net::SocketAddr;

use clap::Parser;
use iac_do_sim::{Faults, SimConfig, Simulator};

#[derive(Parser)]
#[command(name = "iac-do-sim", about = "A stateful simulator of the DigitalOcean API (VPCs, DOKS clusters, node pools, managed databases)")]
struct Args {
    /// Address to listen on (port 0: a free port, printed on start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Kubernetes API address that kubeconfigs point at.
    #[arg(long, default_value = "https://127.0.0.1:6443")]
    kube_api: String,
    /// Milliseconds a cluster spends provisioning (and upgrading), and a
    /// database cluster creating (and resizing, migrating, upgrading).
    #[arg(long, default_value_t = 2000)]
    provision_delay_ms: u64,
    #[arg(long, default_value_t = 1000)]
    node_delay_ms: u64,
    /// Latency added to every answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of requests answered 429.
    #[arg(long, default_value_t = 0.0)]
    rate_429: f64,
    /// Share of requests answered 5xx.
    #[arg(long, default_value_t = 0.0)]
    rate_5xx: f64,
    /// Share of requests whose connection is dropped.
    #[arg(long, default_value_t = 0.0)]
    rate_drop: f64,
    /// Requests per minute per token (0: unlimited).
    #[arg(long, default_value_t = 250)]
    rate_limit: u32,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let a = Args::parse();
    let cfg = SimConfig {
        kube_api_address: a.kube_api,
        provision_delay_ms: a.provision_delay_ms,
        node_delay_ms: a.node_delay_ms,
        faults: Faults {
            latency_ms: a.latency_ms,
            rate_429: a.rate_429,
            rate_5xx: a.rate_5xx,
            rate_drop: a.rate_drop,
            rate_limit_per_minute: a.rate_limit,
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    let handle = match Simulator::start_on(a.listen, cfg).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("iac-do-sim: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", handle.url());
    let _ = tokio::signal::ctrl_c().await;
    handle.stop();
}
