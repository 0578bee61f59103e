//! `staff_attach` / `staff_certify` / `staff_detach` (S§1.1, S§1.3): the employees attached to
//! the partner's card and their certificates.

use crate::domain::program::Refusal;
use crate::domain::standing::actions::{bad_field, opt_text, param, text, Ctx, Effects, Fields};
use crate::domain::standing::metrics::StaffMember;
use crate::domain::workflow::Action;

/// The employee attached (again) with `role`, or as they are when already attached.
fn attached(ctx: &Ctx, action: &Action, fields: &Fields) -> Result<StaffMember, Refusal> {
    let id = text(fields, "staff")?;
    let role = opt_text(fields, "role").or_else(|| param(action, "default_role"));
    if let Some(r) = role {
        if !ctx.program.roles.iter().any(|x| x.code == r) {
            return Err(bad_field("role", &format!("роли «{r}» нет в программе")));
        }
    }
    let current = ctx
        .staff
        .iter()
        .find(|m| m.id == id && m.detached.is_none());
    Ok(match current {
        Some(m) => {
            let mut m = m.clone();
            if let Some(r) = opt_text(fields, "role") {
                m.role = r.to_string();
            }
            m
        }
        None => StaffMember {
            id: id.to_string(),
            role: role.unwrap_or_default().to_string(),
            courses: vec![],
            attached: ctx.now,
            detached: None,
        },
    })
}

pub fn attach(ctx: &Ctx, action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let m = attached(ctx, action, fields)?;
    Ok(Effects {
        staff: vec![m],
        inputs_changed: true,
        ..Effects::default()
    })
}

pub fn certify(ctx: &Ctx, action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let mut m = attached(ctx, action, fields)?;
    let course = text(fields, "course")?.to_string();
    if !m.courses.contains(&course) {
        m.courses.push(course.clone());
    }
    Ok(Effects {
        certificates: vec![(m.id.clone(), course)],
        staff: vec![m],
        inputs_changed: true,
        ..Effects::default()
    })
}

pub fn detach(ctx: &Ctx, fields: &Fields) -> Result<Effects, Refusal> {
    let id = text(fields, "staff")?;
    let Some(m) = ctx
        .staff
        .iter()
        .find(|m| m.id == id && m.detached.is_none())
    else {
        return Err(bad_field(
            "staff",
            &format!("сотрудник «{id}» не прикреплён к карточке"),
        ));
    };
    let mut m = m.clone();
    m.detached = Some(ctx.now);
    Ok(Effects {
        staff: vec![m],
        inputs_changed: true,
        ..Effects::default()
    })
}
