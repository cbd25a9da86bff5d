//! The choice of a managed instance's action, as a pure function of what
//! planning found: no prior object is a create; a planned value equal to
//! the prior (or `ignore_changes = all`) is a no-op, else an update; an
//! update the provider cannot make in place is a replacement, and so is a
//! tainted object, `-replace`, or changed `replace_triggered_by` values; a
//! no-op on an object just imported is an import. (Data sources read at
//! apply are chosen in `data_source`, orphans deleted in `orphans`.)

use iac_core::plan::reason;
use iac_core::plan::Action;
use iac_core::Value;

/// What the choice depends on.
#[derive(Clone, Copy, Debug)]
pub struct ActionInputs<'a> {
    /// The prior object, unmarked; None when there is none.
    pub prior: Option<&'a Value>,
    /// The provider's planned object, unmarked.
    pub planned: &'a Value,
    /// The provider cannot make the change in place.
    pub requires_replace: bool,
    /// `lifecycle { ignore_changes = all }`.
    pub ignore_all_changes: bool,
    pub tainted: bool,
    /// `-replace=ADDR` names it.
    pub replace_requested: bool,
    /// The `replace_triggered_by` values now, and as recorded with the prior object.
    pub triggers: Option<&'a Value>,
    pub triggers_before: Option<&'a Value>,
    /// The prior object was imported by this plan.
    pub imported: bool,
}

/// An action and Terraform's `action_reason` for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionChoice {
    pub action: Action,
    pub reason: Option<&'static str>,
}

/// The action for one managed instance (later reasons win, as in Terraform:
/// a requested replacement is reported as requested even when the provider
/// would also have to replace).
pub fn choose_action(i: &ActionInputs) -> ActionChoice {
    let Some(prior) = i.prior else { return ActionChoice { action: Action::Create, reason: None } };
    let mut action = if i.ignore_all_changes || i.planned == prior { Action::NoOp } else { Action::Update };
    let mut why = None;
    if i.requires_replace && action != Action::NoOp {
        action = Action::Replace;
        why = Some(reason::REPLACE_CANNOT_UPDATE);
    }
    if i.tainted {
        action = Action::Replace;
        why = Some(reason::REPLACE_TAINTED);
    }
    if i.replace_requested {
        action = Action::Replace;
        why = Some(reason::REPLACE_BY_REQUEST);
    }
    if let Some(t) = i.triggers {
        if i.triggers_before != Some(t) || !t.is_wholly_known() {
            action = Action::Replace;
            why = Some(reason::REPLACE_BY_TRIGGERS);
        }
    }
    if i.imported && action == Action::NoOp {
        action = Action::Import;
    }
    ActionChoice { action, reason: why }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_follow_terraforms_rules() {
        let a = Value::map([("x", Value::from("a"))]);
        let b = Value::map([("x", Value::from("b"))]);
        let t1 = Value::List(vec![Value::from("1")].into());
        let t2 = Value::List(vec![Value::from("2")].into());
        let unknown = Value::List(vec![Value::Unknown].into());
        let base = ActionInputs {
            prior: Some(&a),
            planned: &a,
            requires_replace: false,
            ignore_all_changes: false,
            tainted: false,
            replace_requested: false,
            triggers: None,
            triggers_before: None,
            imported: false,
        };
        let choice = |action, reason| ActionChoice { action, reason };
        let table: Vec<(&str, ActionInputs, ActionChoice)> = vec![
            ("no prior object", ActionInputs { prior: None, ..base }, choice(Action::Create, None)),
            ("no prior object, replacement asked", ActionInputs { prior: None, replace_requested: true, ..base }, choice(Action::Create, None)),
            ("planned equals prior", base, choice(Action::NoOp, None)),
            ("planned differs", ActionInputs { planned: &b, ..base }, choice(Action::Update, None)),
            ("ignore_changes = all", ActionInputs { planned: &b, ignore_all_changes: true, ..base }, choice(Action::NoOp, None)),
            (
                "cannot update in place",
                ActionInputs { planned: &b, requires_replace: true, ..base },
                choice(Action::Replace, Some(reason::REPLACE_CANNOT_UPDATE)),
            ),
            ("requires replace but no change", ActionInputs { requires_replace: true, ..base }, choice(Action::NoOp, None)),
            ("tainted", ActionInputs { tainted: true, ..base }, choice(Action::Replace, Some(reason::REPLACE_TAINTED))),
            (
                "tainted and cannot update",
                ActionInputs { planned: &b, requires_replace: true, tainted: true, ..base },
                choice(Action::Replace, Some(reason::REPLACE_TAINTED)),
            ),
            ("-replace", ActionInputs { replace_requested: true, ..base }, choice(Action::Replace, Some(reason::REPLACE_BY_REQUEST))),
            (
                "-replace of a tainted object",
                ActionInputs { tainted: true, replace_requested: true, ..base },
                choice(Action::Replace, Some(reason::REPLACE_BY_REQUEST)),
            ),
            ("triggers unchanged", ActionInputs { triggers: Some(&t1), triggers_before: Some(&t1), ..base }, choice(Action::NoOp, None)),
            (
                "triggers changed",
                ActionInputs { triggers: Some(&t2), triggers_before: Some(&t1), ..base },
                choice(Action::Replace, Some(reason::REPLACE_BY_TRIGGERS)),
            ),
            ("triggers first recorded", ActionInputs { triggers: Some(&t1), ..base }, choice(Action::Replace, Some(reason::REPLACE_BY_TRIGGERS))),
            (
                "triggers known only after apply",
                ActionInputs { triggers: Some(&unknown), triggers_before: Some(&unknown), ..base },
                choice(Action::Replace, Some(reason::REPLACE_BY_TRIGGERS)),
            ),
            (
                "triggers win over -replace",
                ActionInputs { replace_requested: true, triggers: Some(&t2), triggers_before: Some(&t1), ..base },
                choice(Action::Replace, Some(reason::REPLACE_BY_TRIGGERS)),
            ),
            ("imported, nothing to change", ActionInputs { imported: true, ..base }, choice(Action::Import, None)),
            ("imported, then updated", ActionInputs { planned: &b, imported: true, ..base }, choice(Action::Update, None)),
            ("imported, then replaced", ActionInputs { tainted: true, imported: true, ..base }, choice(Action::Replace, Some(reason::REPLACE_TAINTED))),
        ];
        for (case, inputs, want) in table {
            assert_eq!(choose_action(&inputs), want, "{case}");
        }
    }
}
