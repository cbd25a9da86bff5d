//! `/v2/vpcs*`.

use serde_json::json;

use super::{method_not_allowed, Reply, Req};
use crate::error::ApiError;
use crate::pagination;
use crate::store::Store;

pub fn route(store: &mut Store, segs: &[&str], req: &Req<'_>) -> Result<Reply, ApiError> {
    match (req.method, segs) {
        ("GET", []) => {
            let items = store.vpcs.iter().map(|v| v.to_json()).collect();
            Ok(Reply::json(200, pagination::page("vpcs", items, req.query, req.base, "/v2/vpcs")))
        }
        ("POST", []) => Ok(Reply::json(201, json!({"vpc": store.create_vpc(req.body)?}))),
        ("GET", [id]) => Ok(Reply::json(200, json!({"vpc": store.vpc(id)?.to_json()}))),
        ("PUT", [id]) => Ok(Reply::json(200, json!({"vpc": store.update_vpc(id, req.body, true)?}))),
        ("PATCH", [id]) => Ok(Reply::json(200, json!({"vpc": store.update_vpc(id, req.body, false)?}))),
        ("DELETE", [id]) => store.delete_vpc(id, req.now).map(|_| Reply::empty(204)),
        ("GET", [id, "members"]) => {
            let items = store.vpc_members(id)?;
            Ok(Reply::json(200, pagination::page("members", items, req.query, req.base, &format!("/v2/vpcs/{id}/members"))))
        }
        (_, [] | [_] | [_, "members"]) => Err(method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}
