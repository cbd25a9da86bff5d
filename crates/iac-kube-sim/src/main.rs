//! `iac-kube-sim`: runs the fake Kubernetes API server, printing its URL as
//! the first line of stdout, until interrupted or `--exit-after-seconds`.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use iac_kube_sim::SimOptions;

#[derive(Parser)]
#[command(name = "iac-kube-sim", about = "A fake Kubernetes API server for tests and demos (kubectl and kube-rs clients work against it)")]
struct Args {
    /// Address to listen on (port 0: a free port; the URL is printed on start).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Milliseconds a Deployment/StatefulSet/DaemonSet takes to roll out (and a Job to complete).
    #[arg(long, default_value_t = SimOptions::default().rollout_delay_ms)]
    rollout_delay_ms: u64,
    /// Milliseconds a deleted Namespace stays Terminating.
    #[arg(long, default_value_t = SimOptions::default().delete_delay_ms)]
    delete_delay_ms: u64,
    /// Milliseconds between an Argo CD Application's looks at its repository,
    /// when that is a git repository on this machine (a file:// repoURL).
    #[arg(long, default_value_t = SimOptions::default().git_poll_ms)]
    git_poll_ms: u64,
    /// Stop after this many seconds, so a forgotten simulator never lingers.
    #[arg(long, default_value_t = 15 * 60)]
    exit_after_seconds: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let a = Args::parse();
    let opts = SimOptions { rollout_delay_ms: a.rollout_delay_ms, delete_delay_ms: a.delete_delay_ms, git_poll_ms: a.git_poll_ms, ..SimOptions::default() };
    let sim = match iac_kube_sim::start_on(a.listen, opts).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("iac-kube-sim: cannot listen on {}: {e}", a.listen);
            std::process::exit(1);
        }
    };
    println!("{}", sim.url());
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = tokio::time::sleep(Duration::from_secs(a.exit_after_seconds)) => {
            tracing::info!(seconds = a.exit_after_seconds, "exit-after elapsed, stopping");
        }
    }
    sim.stop().await;
}
