//! The `seminarflow` command line. `main.rs` only calls [`run`].

use crate::catalog::{self, Catalog, CatalogError};
use crate::simulate::{self, SimulateError};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "seminarflow",
    version,
    about = "Движок партнёрских программ семинаров: этапы, сроки, штрафы, баллы и компенсации"
)]
pub struct Cli {
    /// Folder with workflow files and `calendars/` (default: ./workflows).
    #[arg(long, global = true, env = "SEMINARFLOW_WORKFLOWS")]
    pub workflows: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Workflow files: validation.
    Workflow {
        #[command(subcommand)]
        action: WorkflowCmd,
    },
    /// Working-day calendars.
    Calendar {
        #[command(subcommand)]
        action: CalendarCmd,
    },
    /// Runs a scenario file through the engine with a simulated clock.
    Simulate {
        scenario: PathBuf,
        /// Print the machine-readable report (SCENARIOS.md) instead of the timeline.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum WorkflowCmd {
    /// Validates workflow files (all of the workflows folder without arguments).
    Check { files: Vec<PathBuf> },
}

#[derive(Subcommand, Debug)]
pub enum CalendarCmd {
    /// Prints every non-working date of a year, one ISO date per line with its reason.
    Show { id: String, year: i32 },
}

pub fn run(cli: Cli) -> ExitCode {
    let dir = cli.workflows.clone().unwrap_or_else(catalog::default_dir);
    match cli.command {
        Cmd::Workflow {
            action: WorkflowCmd::Check { files },
        } => workflow_check(&dir, files),
        Cmd::Calendar {
            action: CalendarCmd::Show { id, year },
        } => calendar_show(&dir, &id, year),
        Cmd::Simulate { scenario, json } => simulate_cmd(&dir, &scenario, json),
    }
}

fn open_catalog(dir: &std::path::Path) -> Result<Catalog, ExitCode> {
    Catalog::open(dir).map_err(|e| {
        eprintln!("ошибка: {e}");
        ExitCode::from(1)
    })
}

fn workflow_check(dir: &std::path::Path, files: Vec<PathBuf>) -> ExitCode {
    let cat = match open_catalog(dir) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let files = if files.is_empty() {
        match cat.workflow_files() {
            Ok(f) => f,
            Err(e) => {
                eprintln!("ошибка: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        files
    };
    if files.is_empty() {
        eprintln!("ошибка: в {} нет файлов программ (*.toml)", dir.display());
        return ExitCode::from(1);
    }
    let mut ok = true;
    for f in &files {
        match cat.load_file(f) {
            Ok(p) => println!(
                "{}: ок — «{}», этапов {}, правил штрафов {}",
                f.display(),
                p.wf.name,
                p.wf.stages.len(),
                p.wf.penalties.automatic.len() + p.wf.penalties.manual.len()
            ),
            Err(CatalogError::Invalid(problems)) => {
                ok = false;
                for p in problems {
                    eprintln!("{p}");
                }
            }
            Err(e) => {
                ok = false;
                eprintln!("{e}");
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn calendar_show(dir: &std::path::Path, id: &str, year: i32) -> ExitCode {
    let cat = match open_catalog(dir) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some(cal) = cat.calendars.get(id) else {
        eprintln!(
            "ошибка: календарь «{id}» не найден (есть: {})",
            cat.calendars.keys().cloned().collect::<Vec<_>>().join(", ")
        );
        return ExitCode::from(1);
    };
    match cal.non_working_days(year) {
        Ok(days) => {
            for (d, name) in days {
                println!("{d}\t{name}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ошибка: {e}");
            ExitCode::from(1)
        }
    }
}

fn simulate_cmd(dir: &std::path::Path, path: &std::path::Path, json: bool) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("ошибка: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let cat = match open_catalog(dir) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ошибка: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(async {
        let (sc, prog) = match simulate::load(&cat, &text) {
            Ok(v) => v,
            Err(e) => return fail(path, e),
        };
        let (service, report) = match simulate::run(&sc, prog.clone()).await {
            Ok(v) => v,
            Err(e) => return fail(path, e),
        };
        if json {
            match serde_json::to_string_pretty(&report) {
                Ok(s) => println!("{s}"),
                Err(e) => return fail(path, SimulateError::Failed(e.to_string())),
            }
        } else {
            match simulate::timeline(&service, &report, &prog).await {
                Ok(s) => print!("{s}"),
                Err(e) => return fail(path, SimulateError::Failed(e.to_string())),
            }
        }
        ExitCode::SUCCESS
    })
}

fn fail(path: &std::path::Path, e: SimulateError) -> ExitCode {
    eprintln!("{}: {e}", path.display());
    match e {
        SimulateError::Malformed(_) => ExitCode::from(2),
        SimulateError::Failed(_) => ExitCode::from(1),
    }
}
