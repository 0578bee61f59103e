//! E-mail templates: `templates/email/<kind>/{subject.hbs,body.txt.hbs,body.html.hbs}` and the
//! shared `templates/email/_partials/*.hbs`, compiled into the binary; an admin may override any
//! of these files from a folder of the same layout (`mail.templates`). Handlebars runs in strict
//! mode, so a template naming a value the context lacks is an error, never an empty gap.

use super::russian;
use crate::domain::NotificationKind;
use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

macro_rules! embedded {
    ($($kind:literal),* $(,)?) => {
        &[$(
            (concat!($kind, "/subject.hbs"), include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/email/", $kind, "/subject.hbs"))),
            (concat!($kind, "/body.txt.hbs"), include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/email/", $kind, "/body.txt.hbs"))),
            (concat!($kind, "/body.html.hbs"), include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/email/", $kind, "/body.html.hbs"))),
        )*]
    };
}

/// The shipped per-kind files, by path relative to `templates/email/`: one folder per
/// [`NotificationKind`] (the folder names are the kinds' serialized names; a unit test checks
/// that every kind has its three files).
const KIND_FILES: &[(&str, &str)] = embedded!(
    "application_approved",
    "application_rejected",
    "deadline_reminder",
    "submission_received",
    "submission_returned",
    "submission_approved",
    "penalty_applied",
    "excluded",
    "report_accepted",
    "review_due",
    "duty_reminder",
    "digest",
    "info_support_changed",
    "support_suspended",
    "support_resumed",
    "admission_approved",
    "admission_refused",
    "status_changed",
    "status_confirmed",
    "status_expiry_warning",
    "status_at_risk",
    "nfr_issued",
    "nfr_renewed",
    "nfr_revoked",
    "points_request_decided",
    "project_published",
    "project_returned",
    "partnership_terminated",
    "violation_recorded",
    "sanction_applied",
    "single_client_warning",
    "disconnected",
    "kkv_documents_requested",
    "kkv_granted",
    "kkv_upgraded",
    "kkv_renewed",
    "kkv_refused",
    "kkv_downgraded",
    "kkv_cancelled",
    "kkv_expired",
    "kkv_renewal_reminder",
    "kkv_renewal_missing",
    "kkv_bonus_cancellation_warning",
    "kkv_bonuses_cancelled",
    "kkv_report_reminder",
    "kkv_report_overdue",
    "kkv_pipeline_review_overdue",
    "kkv_requirement_lapsed",
);

macro_rules! partials {
    ($($name:literal),* $(,)?) => {
        &[$(
            ($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/email/_partials/", $name, ".hbs"))),
        )*]
    };
}

/// Shared pieces, used as `{{> name}}` (or `{{#> layout}}…{{/layout}}` for the HTML frame).
const PARTIALS: &[(&str, &str)] = partials!(
    "layout",
    "greeting_txt",
    "seminar_txt",
    "seminar_html",
    "deadline_txt",
    "deadline_html",
    "link_html",
    "footer_txt",
);

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("шаблон письма {file}: {message}")]
    Invalid { file: String, message: String },
    #[error("шаблон письма {file} не прочитан: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("письмо «{kind}» не сформировано ({file}): {message}")]
    Render {
        kind: String,
        file: String,
        message: String,
    },
}

/// One rendered e-mail: subject, plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The compiled templates: one registry escaping HTML, one producing plain text.
pub struct Templates {
    html: Handlebars<'static>,
    text: Handlebars<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templates")
    }
}

impl Templates {
    /// The shipped templates only.
    pub fn builtin() -> Result<Templates, TemplateError> {
        Templates::load(None)
    }

    /// The shipped templates, each file replaced by `<dir>/<same path>` when that file exists.
    ///
    /// # Errors
    /// An override that cannot be read, or any template that does not compile, naming the file.
    pub fn load(overrides: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut html = registry(false);
        let mut text = registry(true);
        let source =
            |rel: &str, builtin: &'static str| -> Result<(String, String), TemplateError> {
                if let Some(dir) = overrides {
                    let p = dir.join(rel);
                    if p.is_file() {
                        let s = std::fs::read_to_string(&p).map_err(|e| TemplateError::Read {
                            file: p.clone(),
                            source: e,
                        })?;
                        return Ok((s, p.display().to_string()));
                    }
                }
                Ok((builtin.to_string(), format!("templates/email/{rel}")))
            };
        for (name, body) in PARTIALS {
            let (src, file) = source(&format!("_partials/{name}.hbs"), body)?;
            let invalid = |e: handlebars::TemplateError| TemplateError::Invalid {
                file: file.clone(),
                message: e.to_string(),
            };
            html.register_partial(name, &src).map_err(invalid)?;
            text.register_partial(name, &src).map_err(invalid)?;
        }
        for (rel, body) in KIND_FILES {
            let (src, file) = source(rel, body)?;
            let invalid = |e: handlebars::TemplateError| TemplateError::Invalid {
                file: file.clone(),
                message: e.to_string(),
            };
            if rel.ends_with("/body.html.hbs") {
                html.register_template_string(rel, &src).map_err(invalid)?;
            } else {
                text.register_template_string(rel, &src).map_err(invalid)?;
            }
        }
        Ok(Templates { html, text })
    }

    /// Renders kind `kind` with `ctx`.
    ///
    /// # Errors
    /// Unknown kind, or a template that asks for a value `ctx` lacks (strict mode).
    pub fn render(&self, kind: NotificationKind, ctx: &Value) -> Result<Rendered, TemplateError> {
        let subject = self.render_one(&self.text, kind, "subject.hbs", ctx)?;
        Ok(Rendered {
            subject: one_line(&subject),
            text: tidy(&self.render_one(&self.text, kind, "body.txt.hbs", ctx)?),
            html: self.render_one(&self.html, kind, "body.html.hbs", ctx)?,
        })
    }

    /// Only the subject line of kind `kind` (digest items reuse it).
    pub fn subject(&self, kind: NotificationKind, ctx: &Value) -> Result<String, TemplateError> {
        Ok(one_line(&self.render_one(
            &self.text,
            kind,
            "subject.hbs",
            ctx,
        )?))
    }

    fn render_one(
        &self,
        reg: &Handlebars<'static>,
        kind: NotificationKind,
        file: &str,
        ctx: &Value,
    ) -> Result<String, TemplateError> {
        let name = format!("{kind}/{file}");
        reg.render(&name, ctx).map_err(|e| TemplateError::Render {
            kind: kind.to_string(),
            file: name.clone(),
            message: render_message(&e),
        })
    }
}

fn render_message(e: &RenderError) -> String {
    match e.reason() {
        RenderErrorReason::MissingVariable(Some(path)) => {
            let at = e
                .line_no
                .map(|l| format!(" (строка {l})"))
                .unwrap_or_default();
            format!("в данных нет значения «{path}»{at}")
        }
        _ => e.to_string(),
    }
}

fn registry(plain: bool) -> Handlebars<'static> {
    let mut h = Handlebars::new();
    h.set_strict_mode(true);
    if plain {
        h.register_escape_fn(handlebars::no_escape);
    }
    h.register_helper("plural", Box::new(plural_helper));
    h.register_helper("plural_word", Box::new(plural_word_helper));
    h
}

/// The number argument of `plural`/`plural_word` and its three forms.
fn plural_args<'a>(
    name: &'static str,
    h: &'a Helper<'_>,
) -> Result<(i64, [&'a str; 3]), RenderError> {
    let n = h
        .param(0)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?;
    if n.is_value_missing() {
        let path = n.relative_path().cloned().unwrap_or_else(|| "?".into());
        return Err(RenderErrorReason::MissingVariable(Some(path)).into());
    }
    let number = match n.value() {
        Value::Number(x) => x.as_i64().or_else(|| x.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        RenderErrorReason::ParamTypeMismatchForName(
            name,
            "0".into(),
            format!("ожидалось число, получено {}", n.value()),
        )
    })?;
    let mut forms = [""; 3];
    for (i, f) in forms.iter_mut().enumerate() {
        *f = h
            .param(i + 1)
            .and_then(|p| p.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, i + 1))?;
    }
    Ok((number, forms))
}

/// `{{plural n "день" "дня" "дней"}}` → `2 дня`.
fn plural_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let (n, [one, few, many]) = plural_args("plural", h)?;
    out.write(&russian::count(n, one, few, many))?;
    Ok(())
}

/// `{{plural_word n "день" "дня" "дней"}}` → `дня` (the form only).
fn plural_word_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let (n, [one, few, many]) = plural_args("plural_word", h)?;
    out.write(russian::plural(n, one, few, many))?;
    Ok(())
}

/// A subject is one line without surrounding blanks.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Plain text: no trailing blanks, at most one empty line in a row, one final newline.
fn tidy(s: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_notification_kind_has_its_three_templates_and_nothing_else_is_shipped() {
        let t = Templates::builtin().unwrap();
        for k in NotificationKind::ALL {
            assert!(t.text.has_template(&format!("{k}/subject.hbs")), "{k}");
            assert!(t.text.has_template(&format!("{k}/body.txt.hbs")), "{k}");
            assert!(t.html.has_template(&format!("{k}/body.html.hbs")), "{k}");
        }
        for (rel, _) in KIND_FILES {
            let kind = rel.split('/').next().unwrap();
            assert!(kind.parse::<NotificationKind>().is_ok(), "{rel}");
        }
    }

    #[test]
    fn the_plural_helper_agrees_with_russian_grammar() {
        let reg = registry(true);
        let render = |n: Value| {
            reg.render_template(
                r#"{{plural n "день" "дня" "дней"}}, {{plural_word n "балл" "балла" "баллов"}}"#,
                &json!({ "n": n }),
            )
            .unwrap()
        };
        assert_eq!(render(json!(1)), "1 день, балл");
        assert_eq!(render(json!(2)), "2 дня, балла");
        assert_eq!(render(json!(5)), "5 дней, баллов");
        assert_eq!(render(json!(11)), "11 дней, баллов");
        assert_eq!(render(json!(14)), "14 дней, баллов");
        assert_eq!(render(json!(21)), "21 день, балл");
        assert_eq!(render(json!(10)), "10 дней, баллов");
    }

    #[test]
    fn the_plural_helper_refuses_a_missing_or_non_numeric_value() {
        let reg = registry(true);
        let e = reg
            .render_template(r#"{{plural nope "день" "дня" "дней"}}"#, &json!({}))
            .unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let e = reg
            .render_template(
                r#"{{plural n "день" "дня" "дней"}}"#,
                &json!({"n": "много"}),
            )
            .unwrap_err();
        assert!(e.to_string().contains("число"), "{e}");
    }

    #[test]
    fn strict_mode_names_the_missing_value() {
        let t = Templates::builtin().unwrap();
        let e = t
            .render(NotificationKind::DutyReminder, &json!({}))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("duty_reminder") && e.contains("в данных нет значения"),
            "{e}"
        );
    }

    #[test]
    fn an_override_folder_replaces_single_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("excluded")).unwrap();
        std::fs::write(
            dir.path().join("excluded/subject.hbs"),
            "Исключение: {{seminar.city}}",
        )
        .unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        let s = t
            .subject(
                NotificationKind::Excluded,
                &json!({"seminar": {"city": "Тула"}}),
            )
            .unwrap();
        assert_eq!(s, "Исключение: Тула");
    }

    #[test]
    fn a_broken_override_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("excluded")).unwrap();
        std::fs::write(
            dir.path().join("excluded/body.html.hbs"),
            "{{#if x}}не закрыт",
        )
        .unwrap();
        let e = Templates::load(Some(dir.path())).unwrap_err().to_string();
        assert!(e.contains("excluded/body.html.hbs"), "{e}");
    }

    #[test]
    fn tidy_text_collapses_blank_runs() {
        assert_eq!(tidy("\n\nА  \n\n\n\nБ\n\n"), "А\n\nБ\n");
    }
}
