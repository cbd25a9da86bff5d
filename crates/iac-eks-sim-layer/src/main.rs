//! `iac-eks-sim-layer --upstream http://127.0.0.1:5000 [--listen 127.0.0.1:4566] [--transition-reads N] [--kube-api URL] [--oidc-issuer URL]`:
//! the EKS layer in front of a running moto_server, for trying stacks by hand.
//! With `--kube-api`, created clusters report that URL (a local Kubernetes
//! test API such as iac-kube-sim) as their endpoint; with `--oidc-issuer`,
//! their OIDC issuers live under that URL (`URL/id/ID`).

use std::net::SocketAddr;

fn usage() -> ! {
    eprintln!("usage: iac-eks-sim-layer --upstream URL [--listen ADDR] [--transition-reads N] [--kube-api URL] [--oidc-issuer URL]");
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let mut upstream = None;
    let mut listen: SocketAddr = ([127, 0, 0, 1], 4566).into();
    let mut behaviour = iac_eks_sim_layer::Behaviour::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--upstream" => upstream = Some(value()),
            "--listen" => listen = value().parse().unwrap_or_else(|_| usage()),
            "--transition-reads" => behaviour.transition_reads = value().parse().unwrap_or_else(|_| usage()),
            "--kube-api" => behaviour.kube_api = Some(value()),
            "--oidc-issuer" => behaviour.oidc_issuer = Some(value()),
            _ => usage(),
        }
    }
    let upstream = upstream.unwrap_or_else(|| usage());
    match iac_eks_sim_layer::start_on(listen, &upstream, behaviour).await {
        Ok(h) => {
            println!("EKS layer on {} in front of {upstream}", h.url());
            let _ = tokio::signal::ctrl_c().await;
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
