//! A concurrent walk of a dependency graph on tokio: a node starts when all
//! its dependencies finished; a failed node's dependents are skipped while
//! independent branches go on; cancellation stops starting new nodes and
//! waits for those in flight.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::task::JoinSet;

pub type NodeFuture = Pin<Box<dyn Future<Output = Result<(), ()>> + Send + 'static>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeOutcome {
    Done,
    Failed,
    /// Not run: a dependency failed.
    Skipped,
    /// Not run: the walk was cancelled.
    Cancelled,
}

/// Walks `deps` (node → the nodes it depends on). `run` is called once per
/// node whose dependencies all succeeded. Outcomes come back per node.
pub async fn walk<F>(deps: &[Vec<usize>], cancel: Arc<AtomicBool>, run: F) -> Vec<NodeOutcome>
where
    F: Fn(usize) -> NodeFuture,
{
    let n = deps.len();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting: Vec<usize> = vec![0; n];
    for (node, ds) in deps.iter().enumerate() {
        waiting[node] = ds.len();
        for &d in ds {
            dependents[d].push(node);
        }
    }
    let mut outcome: Vec<Option<NodeOutcome>> = vec![None; n];
    let mut set: JoinSet<(usize, Result<(), ()>)> = JoinSet::new();
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();

    // Marks a node and, transitively, its dependents as not run.
    fn skip_from(node: usize, why: NodeOutcome, dependents: &[Vec<usize>], outcome: &mut [Option<NodeOutcome>]) {
        let mut stack = vec![node];
        while let Some(x) = stack.pop() {
            for &d in &dependents[x] {
                if outcome[d].is_none() {
                    outcome[d] = Some(why);
                    stack.push(d);
                }
            }
        }
    }

    loop {
        while let Some(node) = ready.pop() {
            if outcome[node].is_some() {
                continue;
            }
            if cancel.load(Ordering::SeqCst) {
                outcome[node] = Some(NodeOutcome::Cancelled);
                skip_from(node, NodeOutcome::Cancelled, &dependents, &mut outcome);
                continue;
            }
            let fut = run(node);
            // Each node runs as a child of the caller's span (plan, apply) in traces.
            set.spawn(tracing::Instrument::instrument(async move { (node, fut.await) }, tracing::Span::current()));
        }
        let Some(joined) = set.join_next().await else { break };
        let (node, result) = match joined {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        match result {
            Ok(()) => {
                outcome[node] = Some(NodeOutcome::Done);
                for &d in &dependents[node] {
                    waiting[d] -= 1;
                    if waiting[d] == 0 && outcome[d].is_none() {
                        ready.push(d);
                    }
                }
            }
            Err(()) => {
                outcome[node] = Some(NodeOutcome::Failed);
                skip_from(node, NodeOutcome::Skipped, &dependents, &mut outcome);
            }
        }
    }
    outcome.into_iter().map(|o| o.unwrap_or(NodeOutcome::Cancelled)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn run_walk(deps: Vec<Vec<usize>>, fail: Option<usize>) -> (Vec<usize>, Vec<NodeOutcome>) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let o2 = order.clone();
        let outcomes = rt.block_on(walk(&deps, Arc::new(AtomicBool::new(false)), move |n| {
            let order = o2.clone();
            Box::pin(async move {
                tokio::task::yield_now().await;
                order.lock().unwrap().push(n);
                if Some(n) == fail {
                    Err(())
                } else {
                    Ok(())
                }
            })
        }));
        let order = order.lock().unwrap().clone();
        (order, outcomes)
    }

    #[test]
    fn order_respects_every_edge() {
        // A diamond plus a chain.
        let deps = vec![vec![], vec![0], vec![0], vec![1, 2], vec![3], vec![]];
        let (order, outcomes) = run_walk(deps.clone(), None);
        assert!(outcomes.iter().all(|o| *o == NodeOutcome::Done));
        let pos = |n: usize| order.iter().position(|&x| x == n).unwrap();
        for (node, ds) in deps.iter().enumerate() {
            for &d in ds {
                assert!(pos(d) < pos(node), "{d} must run before {node}");
            }
        }
    }

    #[test]
    fn failure_skips_dependents_only() {
        let deps = vec![vec![], vec![0], vec![1], vec![]];
        let (_, outcomes) = run_walk(deps, Some(0));
        assert_eq!(outcomes, vec![NodeOutcome::Failed, NodeOutcome::Skipped, NodeOutcome::Skipped, NodeOutcome::Done]);
    }
}
