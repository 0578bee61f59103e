//! Loads programs from disk: `workflows/<id>.toml` and `workflows/calendars/<id>.toml`.
//! File errors name the file, the field path and the line.
//!
//! Every file in the folder is checked; the item programs the engine can run are listed by
//! `programs`, the partner programs (`subject = "partner"`) by `partner_programs` (the server
//! loads both; `simulate` runs a partner program through its own path).

use crate::domain::calendar::Calendar;
use crate::domain::validate::{lines, Problem};
use crate::domain::workflow::parse_normalised;
use crate::domain::{Program, Workflow};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub file: PathBuf,
    pub problem: Problem,
    /// The line of the field path in the file, when the path is found there (format errors
    /// carry their line in the message instead).
    pub line: Option<usize>,
}

impl FileProblem {
    fn new(file: &Path, problem: Problem) -> FileProblem {
        FileProblem {
            file: file.to_path_buf(),
            problem,
            line: None,
        }
    }
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.problem)?;
        match self.line {
            Some(l) => write!(f, " (строка {l})"),
            None => Ok(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<FileProblem>),
    #[error("программа «{0}» не найдена в {1}")]
    UnknownWorkflow(String, PathBuf),
    #[error("программа «{0}» прошла проверку формата, но эта версия движка ещё не умеет её выполнять (период [events] или программа уровня партнёра)")]
    NotRunnable(String),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// The workflows folder and the calendars beside it.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub dir: PathBuf,
    pub calendars: BTreeMap<String, Calendar>,
}

impl Catalog {
    /// Opens `dir` (usually `workflows/`) and loads every calendar in `dir/calendars/`.
    ///
    /// # Errors
    /// An unreadable folder or an invalid calendar file.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Catalog, CatalogError> {
        let dir = dir.into();
        let cal_dir = dir.join("calendars");
        let mut calendars = BTreeMap::new();
        let mut problems = vec![];
        for path in toml_files(&cal_dir)? {
            let text =
                std::fs::read_to_string(&path).map_err(|e| CatalogError::Io(path.clone(), e))?;
            match Calendar::from_toml(&text) {
                Ok(c) => {
                    let stem = stem(&path);
                    if c.id != stem {
                        problems.push(FileProblem::new(
                            &path,
                            Problem::new(
                                "id",
                                format!("id «{}» должен совпадать с именем файла «{stem}»", c.id),
                            ),
                        ));
                    }
                    calendars.insert(c.id.clone(), c);
                }
                Err(e) => problems.push(FileProblem::new(&path, Problem::new("", e.to_string()))),
            }
        }
        if !problems.is_empty() {
            return Err(CatalogError::Invalid(problems));
        }
        Ok(Catalog { dir, calendars })
    }

    /// Paths of every workflow file in the folder, sorted.
    pub fn workflow_files(&self) -> Result<Vec<PathBuf>, CatalogError> {
        toml_files(&self.dir)
    }

    /// Loads and validates the workflow with id `id` (the file stem), for running it.
    ///
    /// # Errors
    /// Unknown id, an invalid file, or a program the engine cannot run yet.
    pub fn program(&self, id: &str) -> Result<Program, CatalogError> {
        let path = self.dir.join(format!("{id}.toml"));
        if !path.is_file() || id.contains('/') || id.contains('\\') {
            return Err(CatalogError::UnknownWorkflow(id.into(), self.dir.clone()));
        }
        let p = self.load_file(&path)?;
        if !p.wf.is_runnable() {
            return Err(CatalogError::NotRunnable(id.into()));
        }
        Ok(p)
    }

    /// Loads and validates one workflow file (what `workflow check` reports), runnable or not.
    pub fn load_file(&self, path: &Path) -> Result<Program, CatalogError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| CatalogError::Io(path.to_path_buf(), e))?;
        let located = |ps: Vec<Problem>| {
            CatalogError::Invalid(
                ps.into_iter()
                    .map(|p| FileProblem {
                        file: path.to_path_buf(),
                        line: lines::line_of(&text, &p.path),
                        problem: p,
                    })
                    .collect(),
            )
        };
        let wf = match parse_workflow(&text, &stem(path)) {
            Ok(wf) => wf,
            Err(ParseError::Format(p)) => {
                return Err(CatalogError::Invalid(vec![FileProblem::new(path, p)]))
            }
            Err(ParseError::Shape(ps)) => return Err(located(ps)),
        };
        Program::new(wf, &self.calendars).map_err(located)
    }

    /// Every workflow in the folder that validates and that the engine can run. A valid program
    /// the engine cannot run yet is left out with a log line (it still passes `workflow check`).
    pub fn programs(&self) -> Result<Vec<Program>, CatalogError> {
        let mut out = vec![];
        for path in self.workflow_files()? {
            let p = self.load_file(&path)?;
            if p.wf.is_runnable() {
                out.push(p);
            } else {
                tracing::info!(
                    program = %p.wf.id,
                    file = %path.display(),
                    "program passes the format check but is not runnable yet (rolling [events] window or partner program); not loaded"
                );
            }
        }
        Ok(out)
    }

    /// Every partner program in the folder (`[standing]`, subject = partner), validated. They
    /// run beside the item programs in the server (their commands and due items go through the
    /// service); lists and dashboards of item programs never see them (`Service::programs`).
    ///
    /// # Errors
    /// An unreadable folder or an invalid file.
    pub fn partner_programs(&self) -> Result<Vec<Program>, CatalogError> {
        let mut out = vec![];
        for path in self.workflow_files()? {
            let p = self.load_file(&path)?;
            if p.wf.standing.is_some() {
                out.push(p);
            }
        }
        Ok(out)
    }
}

/// Problems between the files checked together: a sanction code of the vendor's shared catalogue
/// defined differently in two partner programs of the same vendor (reported at the later file).
pub fn cross_file_problems(loaded: &[(PathBuf, Program)]) -> Vec<FileProblem> {
    let mut out = vec![];
    for (i, (path, p)) in loaded.iter().enumerate() {
        let Some(s) = &p.wf.standing else { continue };
        for (j, sanction) in s.sanctions.iter().enumerate() {
            let earlier = loaded[..i].iter().find_map(|(other_path, o)| {
                let os = o.wf.standing.as_ref()?;
                let def = os.sanctions.iter().find(|x| x.code == sanction.code)?;
                (o.wf.vendor == p.wf.vendor && def != sanction).then_some(other_path)
            });
            if let Some(other) = earlier {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let at = format!("sanctions[{j}]");
                out.push(FileProblem {
                    file: path.clone(),
                    line: lines::line_of(&text, &at),
                    problem: Problem::new(
                        at,
                        format!(
                            "определение «{}» расходится с {}: санкции поставщика одинаковы во всех его программах",
                            sanction.code,
                            other.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
                        ),
                    ),
                });
            }
        }
    }
    out
}

/// What `workflow check` says of a valid program, and whether the engine runs it yet.
pub fn checked_summary(wf: &Workflow) -> String {
    match &wf.standing {
        Some(s) => format!(
            "«{}», программа уровня партнёра: статусов {}, уровней {}, метрик {}, действий {}",
            wf.name,
            s.statuses.len(),
            s.standing.levels.len(),
            s.metrics.len(),
            s.actions.len()
        ),
        None => format!(
            "«{}», этапов {}, правил штрафов {}{}",
            wf.name,
            wf.stages.len(),
            wf.penalties.automatic.len() + wf.penalties.manual.len(),
            if wf.is_runnable() {
                ""
            } else {
                "; формат проверен, но эта версия ещё не запускает программы с периодом [events] (сервер и simulate её пропускают)"
            }
        ),
    }
}

/// Why workflow text is not a workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not the format: TOML syntax, an unknown field, a wrong type (the line is in the message).
    Format(Problem),
    /// The format, but sections that do not go together (see `WorkflowFile::normalise`).
    Shape(Vec<Problem>),
}

/// Parses workflow text and normalises it; a format error names the field path and line.
///
/// # Errors
/// See [`ParseError`].
pub fn parse_workflow(text: &str, id: &str) -> Result<Workflow, ParseError> {
    match parse_normalised(text, id) {
        Ok(normalised) => normalised.map_err(ParseError::Shape),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let line = inner.span().map(|s| {
                text.as_bytes()[..s.start.min(text.len())]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1
            });
            let msg = inner.message().trim().to_string();
            let msg = match line {
                Some(l) => format!("{msg} (строка {l})"),
                None => msg,
            };
            Err(ParseError::Format(Problem::new(
                if path == "." { String::new() } else { path },
                format!("ошибка формата: {msg}"),
            )))
        }
    }
}

/// The file name without `.toml`: a program's or a calendar's id.
fn stem(p: &Path) -> String {
    // Only paths of files already read get here, and a file's path has a stem; the empty id
    // of a stemless path would match no program or calendar anyway.
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    let rd = std::fs::read_dir(dir).map_err(|e| CatalogError::Io(dir.to_path_buf(), e))?;
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    Ok(v)
}

/// The default workflows folder: `$SEMINARFLOW_WORKFLOWS`, else `./workflows`, else the one
/// shipped beside the crate sources (so `cargo run` works from anywhere in the checkout).
pub fn default_dir() -> PathBuf {
    if let Ok(d) = std::env::var("SEMINARFLOW_WORKFLOWS") {
        return PathBuf::from(d);
    }
    let local = PathBuf::from("workflows");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workflows")
}
