//! `/v2/databases*`: clusters, their users, databases, pools, trusted
//! sources, replicas, configuration, CA, maintenance, resize, migration,
//! upgrade, autoscaling, and the options catalog.

use super::{method_not_allowed, Reply, Req};
use crate::databases;
use crate::error::ApiError;
use crate::store::Store;

pub fn route(store: &mut Store, segs: &[&str], req: &Req<'_>) -> Result<Reply, ApiError> {
    let (now, cfg, body) = (req.now, req.cfg, req.body);
    let ok = |v| Ok(Reply::json(200, v));
    let done = |r: Result<(), ApiError>, status| r.map(|_| Reply::empty(status));
    match (req.method, segs) {
        ("GET", ["options"]) => ok(databases::options_json()),
        ("GET", []) => ok(store.list_databases(req.query)),
        ("POST", []) => Ok(Reply::json(201, store.create_database(body, now, cfg)?)),
        ("GET", [id]) => ok(serde_json::json!({"database": store.database(id)?.to_json()})),
        ("DELETE", [id]) => done(store.delete_database(id, now, cfg), 204),
        ("PUT", [id, "resize"]) => done(store.resize_database(id, body, now, cfg), 202),
        ("PUT", [id, "migrate"]) => done(store.migrate_database(id, body, now, cfg), 202),
        ("PUT", [id, "upgrade"]) => done(store.upgrade_database(id, body, now, cfg), 204),
        ("PUT", [id, "maintenance"]) => done(store.set_maintenance(id, body), 204),
        ("GET", [id, "autoscale"]) => ok(store.autoscale_json(id)?),
        ("PUT", [id, "autoscale"]) => done(store.set_autoscale(id, body), 204),
        ("GET", [id, "firewall"]) => ok(store.firewall_json(id)?),
        ("PUT", [id, "firewall"]) => done(store.set_firewall(id, body), 204),
        ("GET", [id, "config"]) => ok(store.database_config_json(id)?),
        ("PATCH", [id, "config"]) => done(store.patch_database_config(id, body), 200),
        ("GET", [id, "ca"]) => ok(store.ca_json(id)?),
        ("GET", [id, "eviction_policy"]) => ok(store.eviction_policy_json(id)?),
        ("PUT", [id, "eviction_policy"]) => done(store.set_eviction_policy(id, body), 204),
        ("GET", [id, "sql_mode"]) => ok(store.sql_mode_json(id)?),
        ("PUT", [id, "sql_mode"]) => done(store.set_sql_mode(id, body), 204),
        ("GET", [id, "users"]) => ok(store.db_users_json(id)?),
        ("POST", [id, "users"]) => Ok(Reply::json(201, store.create_db_user(id, body)?)),
        ("GET", [id, "users", name]) => ok(store.db_user_json(id, name)?),
        ("PUT", [id, "users", name]) => Ok(Reply::json(201, store.update_db_user(id, name, body)?)),
        ("DELETE", [id, "users", name]) => done(store.delete_db_user(id, name), 204),
        ("POST", [id, "users", name, "reset_auth"]) => ok(store.reset_db_user_auth(id, name, body)?),
        ("GET", [id, "dbs"]) => ok(store.dbs_json(id)?),
        ("POST", [id, "dbs"]) => Ok(Reply::json(201, store.create_db(id, body)?)),
        ("GET", [id, "dbs", name]) => ok(store.db_json(id, name)?),
        ("DELETE", [id, "dbs", name]) => done(store.delete_db(id, name), 204),
        ("GET", [id, "pools"]) => ok(store.pools_json(id)?),
        ("POST", [id, "pools"]) => Ok(Reply::json(201, store.create_pool_db(id, body)?)),
        ("GET", [id, "pools", name]) => ok(store.pool_json(id, name)?),
        ("PUT", [id, "pools", name]) => done(store.update_pool_db(id, name, body), 204),
        ("DELETE", [id, "pools", name]) => done(store.delete_pool_db(id, name), 204),
        ("GET", [id, "replicas"]) => ok(store.replicas_json(id)?),
        ("POST", [id, "replicas"]) => Ok(Reply::json(201, store.create_replica(id, body, now, cfg)?)),
        ("GET", [id, "replicas", name]) => ok(store.replica_json(id, name)?),
        ("DELETE", [id, "replicas", name]) => done(store.delete_replica(id, name, now, cfg), 204),
        (_, [] | [_] | [_, _] | [_, _, _]) => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}
